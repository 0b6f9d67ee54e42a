package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end for {@code httpcap stats}: record real captures (scripts/record-http-mix.sh and a short
 * scripts/record-nginx-wrk.sh), run {@code bin/httpcap stats FILE --format json} and tshark's
 * {@code -z http,tree -z http_req,tree -z http_srv,tree -z conv,tcp} on the same file, and hold
 * every row of each tshark table against stats', in both directions (a row tshark has that stats
 * lacks, or the reverse, is a failure as much as a different count):
 * <ul>
 * <li>{@code http,tree}: total, request packets by method, response packets by status class and code
 * (a 100 Continue is a response packet of its own, as in tshark), other packets (0);</li>
 * <li>{@code http_req,tree}: requests by Host header and request target;</li>
 * <li>{@code http_srv,tree}: requests by server address and Host, by Host and server address, and
 * answers by server address, OK (2xx, 3xx) and KO;</li>
 * <li>{@code conv,tcp}: per connection, frames each way (exact), bytes each way (exact where tshark
 * prints bytes; where it prints kB or MB, equal to our count in that unit truncated or rounded),
 * relative start (1 µs) and duration (tshark's 4 decimals);</li>
 * <li>{@code io,stat,1}: frames and bytes of each second from the first frame.</li>
 * </ul>
 * tshark 4.0 misreads the answers of a pipelined connection whose segment holds a HEAD among other
 * requests (see HttpMatchesTsharkIT): those connections of the http-mix capture are left out of both
 * sides, by a tap filter for tshark and {@code --filter} for httpcap, so every count is still compared
 * on the same traffic.
 * <p>Needs root, tcpdump, tshark, nginx, wrk and curl: skipped without them, failed when CI is set.
 * {@code httpcap.it.workdir=DIR} keeps the captures and outputs.
 */
class StatsMatchTsharkIT
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern CONV = Pattern.compile(
        "^(\\S+):(\\d+)\\s+<->\\s+(\\S+):(\\d+)\\s+(\\d+) (\\d+) (bytes|kB|MB|GB)\\s+(\\d+) (\\d+) (bytes|kB|MB|GB)\\s+" +
            "(\\d+) (\\d+) (bytes|kB|MB|GB)\\s+([\\d.]+)\\s+([\\d.]+)\\s*$");

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void statsMatchTsharkTables(@TempDir final Path tempDir) throws IOException, InterruptedException
    {
        ItSupport.requireTools("tcpdump", "tshark", "nginx", "wrk", "curl", "timeout");
        ItSupport.requireRoot();
        final Path dir = FlowsMatchTsharkIT.workDir(tempDir);
        final Path root = ItSupport.repoRoot();
        final List<String> problems = new ArrayList<>();

        final Path mix = dir.resolve("http-mix.pcap");
        record("record-mix", List.of(root.resolve("scripts/record-http-mix.sh").toString(), mix.toString(),
            ItSupport.systemProperty("httpcap.it.rounds", "3")), dir);
        compare("http-mix", mix, dir, problems, true);

        final Path wrk = dir.resolve("nginx-wrk.pcap");
        record("record-wrk", List.of(root.resolve("scripts/record-nginx-wrk.sh").toString(), wrk.toString(),
            ItSupport.systemProperty("httpcap.it.seconds", "2"), ItSupport.systemProperty("httpcap.it.connections", "4")), dir);
        compare("nginx-wrk", wrk, dir, problems, false);

        if (!problems.isEmpty())
        {
            fail("httpcap stats disagrees with tshark (keep the captures with -Dhttpcap.it.workdir=DIR)\n  "
                + String.join("\n  ", problems.subList(0, Math.min(60, problems.size())))
                + (problems.size() > 60 ? "\n  ... and " + (problems.size() - 60) + " more" : ""));
        }
    }

    private static void record(final String name, final List<String> command, final Path dir)
        throws IOException, InterruptedException
    {
        final ItSupport.Result recording = ItSupport.run(name, command, null, dir, Duration.ofMinutes(3), Map.of());
        assertEquals(0, recording.exitCode(), () -> "recording failed\n" + recording.describe());
        log(name + ": " + recording.stdoutText().strip().replace('\n', ';'));
        assertTrue(recording.stdoutText().contains(" 0 packets dropped by kernel") ||
            recording.stdoutText().contains("\n0 packets dropped by kernel"), () -> "tcpdump lost packets\n" + recording.describe());
    }

    private static void compare(final String name, final Path pcap, final Path dir, final List<String> problems,
        final boolean skipPipelinedHead) throws IOException, InterruptedException
    {
        final TsharkConnections.Capture capture = TsharkConnections.read(pcap, dir);
        final TreeSet<Integer> serverPorts = new TreeSet<>();
        capture.connections().forEach(c -> serverPorts.add(c.serverPort()));
        assertEquals(1, serverPorts.size(), () -> "expected one server port, tshark sees " + serverPorts);
        final int port = serverPorts.first();

        final List<Integer> excluded = new ArrayList<>();
        if (skipPipelinedHead)
        {
            final ItSupport.Result heads = ItSupport.run(name + "-heads", List.of("tshark", "-n", "-r", pcap.toString(),
                "-d", "tcp.port==" + port + ",http", "-Y", "http.request.uri contains \"pipelined-head\"",
                "-T", "fields", "-e", "tcp.srcport"), null, dir, Duration.ofMinutes(5), Map.of());
            assertEquals(0, heads.exitCode(), heads::describe);
            for (final String line : heads.stdoutText().split("\n"))
            {
                if (!line.isBlank())
                {
                    excluded.add(Integer.parseInt(line.strip()));
                }
            }
            assertTrue(!excluded.isEmpty(), "the http-mix capture has its pipelined HEAD connections");
        }
        final StringBuilder tapFilter = new StringBuilder();
        final StringBuilder bpf = new StringBuilder();
        for (final int p : excluded)
        {
            tapFilter.append(tapFilter.isEmpty() ? "!(" : " || ").append("tcp.port == ").append(p);
            bpf.append(bpf.isEmpty() ? "not (" : " or ").append("tcp port ").append(p);
        }
        final String tap = tapFilter.isEmpty() ? "" : "," + tapFilter + ")";

        final ItSupport.Result tshark = ItSupport.run(name + "-tshark", List.of("tshark", "-n", "-q", "-r", pcap.toString(),
            "-d", "tcp.port==" + port + ",http", "-o", "tcp.desegment_tcp_streams:TRUE",
            "-o", "http.desegment_headers:TRUE", "-o", "http.desegment_body:TRUE", "-o", "http.dechunk_body:TRUE",
            "-z", "http,tree" + tap, "-z", "http_req,tree" + tap, "-z", "http_srv,tree" + tap, "-z", "conv,tcp" + tap,
            "-z", "io,stat,1"),
            null, dir, Duration.ofMinutes(10), Map.of());
        assertEquals(0, tshark.exitCode(), tshark::describe);
        final String out = tshark.stdoutText();

        final Path json = dir.resolve(name + "-stats.json");
        final List<String> args = new ArrayList<>(List.of("stats", pcap.toString(), "--format", "json", "-o", json.toString(),
            "--workers", "2"));
        if (!bpf.isEmpty())
        {
            args.addAll(List.of("--filter", bpf + ")"));
        }
        final ItSupport.Result run = ItSupport.httpcap(name + "-stats", args, null, dir, Duration.ofMinutes(5));
        assertEquals(0, run.exitCode(), run::describe);
        final JsonNode stats = MAPPER.readTree(json.toFile());
        log(name + ": " + capture.frames() + " frames, " + capture.connections().size() + " connections, excluded " + excluded
            + "; stats took " + run.elapsed().toMillis() + " ms, tshark " + tshark.elapsed().toMillis() + " ms");
        assertEquals(capture.frames(), stats.at("/ledger/packets/read").asLong(), "frames read");

        final int before = problems.size();
        diff(name + " http,tree", tree(out, "HTTP/Packet Counter:"), httpTree(stats), problems);
        diff(name + " http_req,tree", tree(out, "HTTP/Requests:"), httpReqTree(stats), problems);
        diff(name + " http_srv,tree", tree(out, "HTTP/Load Distribution:"), httpSrvTree(stats), problems);
        final int rows = conversations(name, out, stats, problems);
        ioStat(name, out, stats, problems);
        log(name + ": compared " + rows + " conversations; " + (problems.size() - before) + " problems");
        assertTrue(stats.at("/http_tree/requests").asLong() > 100, "the capture holds requests");
    }

    // ---- tshark's stats_tree text: "Topic / Item", then one row per node, indented one space per level.

    static Map<String, Long> tree(final String out, final String title)
    {
        final int at = out.indexOf(title);
        assertTrue(at >= 0, () -> "no " + title + " in tshark's output:\n" + out);
        final String[] lines = out.substring(at).split("\n");
        final int countColumn = lines[1].indexOf("Count");
        final Map<String, Long> rows = new LinkedHashMap<>();
        final List<String> path = new ArrayList<>();
        for (int i = 3; i < lines.length && !lines[i].startsWith("----"); i++)
        {
            final String line = lines[i];
            if (line.isBlank())
            {
                continue;
            }
            final String item = line.substring(0, countColumn).stripTrailing();
            final int depth = item.length() - item.stripLeading().length();
            while (path.size() > depth)
            {
                path.removeLast();
            }
            path.add(normalizeItem(item.strip()));
            final long count = Long.parseLong(line.substring(countColumn).strip().split("\\s+")[0]);
            if (count != 0)
            {
                rows.put(String.join(" / ", path), count);
            }
        }
        return rows;
    }

    /** Status rows by code only ("200 OK" -> "200"): the phrase is tshark's table's, not the wire's. */
    private static String normalizeItem(final String item)
    {
        final Matcher code = Pattern.compile("^(\\d{3}) .*").matcher(item);
        return code.matches() ? code.group(1) : item;
    }

    // ---- the same trees from stats' JSON (zero rows left out, as from tshark's).

    static Map<String, Long> httpTree(final JsonNode s)
    {
        final Map<String, Long> rows = new LinkedHashMap<>();
        final String total = "Total HTTP Packets";
        put(rows, total, s.at("/http_tree/total").asLong());
        final String req = total + " / HTTP Request Packets";
        put(rows, req, s.at("/http_tree/requests").asLong());
        s.at("/http_tree/requests_by_method").properties().forEach(e -> put(rows, req + " / " + e.getKey(), e.getValue().asLong()));
        final String resp = total + " / HTTP Response Packets";
        put(rows, resp, s.at("/http_tree/responses").asLong());
        s.at("/http_tree/responses_by_code").properties().forEach(e ->
        {
            final int code = Integer.parseInt(e.getKey());
            final String cls = resp + " / " + switch (code / 100)
            {
                case 1 -> "1xx: Informational";
                case 2 -> "2xx: Success";
                case 3 -> "3xx: Redirection";
                case 4 -> "4xx: Client Error";
                case 5 -> "5xx: Server Error";
                default -> "???: broken";
            };
            rows.merge(cls, e.getValue().asLong(), Long::sum);
            put(rows, cls + " / " + code, e.getValue().asLong());
        });
        return rows;
    }

    static Map<String, Long> httpReqTree(final JsonNode s)
    {
        final Map<String, Long> rows = new LinkedHashMap<>();
        final String top = "HTTP Requests by HTTP Host";
        put(rows, top, s.at("/http_req_tree/requests").asLong());
        for (final JsonNode host : s.at("/http_req_tree/hosts"))
        {
            final String h = top + " / " + host.at("/host").asText();
            put(rows, h, host.at("/requests").asLong());
            for (final JsonNode uri : host.at("/uris"))
            {
                put(rows, h + " / " + uri.at("/uri").asText(), uri.at("/requests").asLong());
            }
        }
        return rows;
    }

    static Map<String, Long> httpSrvTree(final JsonNode s)
    {
        final Map<String, Long> rows = new LinkedHashMap<>();
        final String top = "HTTP Requests by Server";
        put(rows, top, s.at("/http_req_tree/requests").asLong());
        final String byAddress = top + " / HTTP Requests by Server Address";
        put(rows, byAddress, s.at("/http_req_tree/requests").asLong());
        for (final JsonNode server : s.at("/http_srv_tree/requests_by_server"))
        {
            final String a = byAddress + " / " + server.at("/address").asText();
            put(rows, a, server.at("/requests").asLong());
            for (final JsonNode host : server.at("/hosts"))
            {
                put(rows, a + " / " + host.at("/host").asText(), host.at("/requests").asLong());
            }
        }
        final String byHost = top + " / HTTP Requests by HTTP Host";
        put(rows, byHost, s.at("/http_req_tree/requests").asLong());
        for (final JsonNode host : s.at("/http_srv_tree/requests_by_host"))
        {
            final String h = byHost + " / " + host.at("/host").asText();
            put(rows, h, host.at("/requests").asLong());
            for (final JsonNode server : host.at("/addresses"))
            {
                put(rows, h + " / " + server.at("/address").asText(), server.at("/requests").asLong());
            }
        }
        final String answers = "HTTP Responses by Server Address";
        long all = 0;
        for (final JsonNode server : s.at("/http_srv_tree/responses_by_server"))
        {
            all += server.at("/responses").asLong();
            final String a = answers + " / " + server.at("/address").asText();
            put(rows, a, server.at("/responses").asLong());
            put(rows, a + " / OK", server.at("/ok").asLong());
            put(rows, a + " / KO", server.at("/ko").asLong());
        }
        put(rows, answers, all);
        return rows;
    }

    private static void put(final Map<String, Long> rows, final String key, final long value)
    {
        if (value != 0)
        {
            rows.put(key, value);
        }
    }

    static void diff(final String table, final Map<String, Long> tshark, final Map<String, Long> stats, final List<String> problems)
    {
        assertTrue(!tshark.isEmpty(), table + ": tshark's table is empty");
        for (final Map.Entry<String, Long> row : tshark.entrySet())
        {
            final Long ours = stats.get(row.getKey());
            if (!row.getValue().equals(ours))
            {
                problems.add(table + ": [" + row.getKey() + "] tshark " + row.getValue() + ", stats " + ours);
            }
        }
        for (final Map.Entry<String, Long> row : stats.entrySet())
        {
            if (!tshark.containsKey(row.getKey()))
            {
                problems.add(table + ": [" + row.getKey() + "] stats " + row.getValue() + ", not in tshark's table");
            }
        }
        log(table + ": " + tshark.size() + " rows from tshark, " + stats.size() + " from stats");
    }

    // ---- conv,tcp

    private static int conversations(final String name, final String out, final JsonNode stats, final List<String> problems)
    {
        // By 4-tuple; a reused 4-tuple (a new SYN after the close) is several connections, told apart by their start.
        final Map<String, List<JsonNode>> ours = new LinkedHashMap<>();
        for (final JsonNode c : stats.at("/conversations"))
        {
            final String key = c.at("/address_a").asText() + ":" + c.at("/port_a").asInt() + " " + c.at("/address_b").asText()
                + ":" + c.at("/port_b").asInt();
            ours.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
        }
        int compared = 0;
        final String section = out.substring(out.indexOf("TCP Conversations"));
        for (final String line : section.split("\n"))
        {
            final Matcher m = CONV.matcher(line);
            if (!m.matches())
            {
                continue;
            }
            compared++;
            final String a = m.group(1) + ":" + m.group(2);
            final String b = m.group(3) + ":" + m.group(4);
            final double start = Double.parseDouble(m.group(14));
            boolean swapped = false;
            JsonNode c = take(ours.get(a + " " + b), start);
            if (c == null)
            {
                swapped = true;
                c = take(ours.get(b + " " + a), start);
            }
            if (c == null)
            {
                problems.add(name + " conv,tcp: " + a + " <-> " + b + " starting at " + start + " not in stats");
                continue;
            }
            // tshark: "<-" is B to A, "->" A to B.
            final long framesBA = c.at(swapped ? "/frames_a_to_b" : "/frames_b_to_a").asLong();
            final long bytesBA = c.at(swapped ? "/bytes_a_to_b" : "/bytes_b_to_a").asLong();
            final long framesAB = c.at(swapped ? "/frames_b_to_a" : "/frames_a_to_b").asLong();
            final long bytesAB = c.at(swapped ? "/bytes_b_to_a" : "/bytes_a_to_b").asLong();
            final String row = name + " conv,tcp " + a + " <-> " + b + ": ";
            check(problems, row + "frames B->A", Long.parseLong(m.group(5)), framesBA);
            checkBytes(problems, row + "bytes B->A", Long.parseLong(m.group(6)), m.group(7), bytesBA);
            check(problems, row + "frames A->B", Long.parseLong(m.group(8)), framesAB);
            checkBytes(problems, row + "bytes A->B", Long.parseLong(m.group(9)), m.group(10), bytesAB);
            check(problems, row + "frames", Long.parseLong(m.group(11)), framesAB + framesBA);
            checkBytes(problems, row + "bytes", Long.parseLong(m.group(12)), m.group(13), bytesAB + bytesBA);
            if (Math.abs(start - c.at("/rel_start").asDouble()) > 1.5e-6)
            {
                problems.add(row + "relative start tshark " + start + ", stats " + c.at("/rel_start").asDouble());
            }
            final double duration = Double.parseDouble(m.group(15));
            if (Math.abs(duration - c.at("/duration").asDouble()) > 0.00005 + 1e-9)
            {
                problems.add(row + "duration tshark " + duration + ", stats " + c.at("/duration").asDouble());
            }
        }
        assertTrue(compared > 0, () -> "no conversation rows in tshark's output:\n" + section);
        ours.forEach((k, left) -> left.forEach(c ->
            problems.add(name + " conv,tcp: " + k + " starting at " + c.at("/rel_start") + " in stats, not in tshark's table")));
        return compared;
    }

    private static final Pattern IO_ROW = Pattern.compile("^\\|\\s*(\\d+)\\s*<>\\s*(\\d+|Dur)\\s*\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)\\s*\\|\\s*$");

    /**
     * {@code io,stat,1}: frames and bytes of every one-second interval from the first frame (stats
     * counts every frame read, before any filter, as tshark's unfiltered table does).
     */
    private static void ioStat(final String name, final String out, final JsonNode stats, final List<String> problems)
    {
        final List<long[]> tshark = new ArrayList<>();
        for (final String line : out.substring(out.indexOf("IO Statistics")).split("\n"))
        {
            final Matcher m = IO_ROW.matcher(line);
            if (m.matches())
            {
                tshark.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4))});
            }
        }
        final JsonNode ours = stats.at("/io/intervals");
        assertTrue(!tshark.isEmpty(), "tshark's io,stat table has rows");
        if (tshark.size() != ours.size())
        {
            problems.add(name + " io,stat: tshark has " + tshark.size() + " intervals, stats " + ours.size());
            return;
        }
        for (int i = 0; i < tshark.size(); i++)
        {
            final long[] row = tshark.get(i);
            final JsonNode o = ours.get(i);
            if (Math.round(o.at("/start").asDouble()) != row[0] || o.at("/frames").asLong() != row[1] || o.at("/bytes").asLong() != row[2])
            {
                problems.add(name + " io,stat interval " + row[0] + ": tshark " + row[1] + " frames " + row[2] + " bytes, stats "
                    + o.at("/frames") + " frames " + o.at("/bytes") + " bytes from " + o.at("/start") + " s");
            }
        }
        log(name + " io,stat: " + tshark.size() + " intervals compared");
    }

    /** Removes and returns the connection of {@code candidates} that starts closest to {@code start}, or null. */
    private static JsonNode take(final List<JsonNode> candidates, final double start)
    {
        if (candidates == null || candidates.isEmpty())
        {
            return null;
        }
        JsonNode best = candidates.getFirst();
        for (final JsonNode c : candidates)
        {
            if (Math.abs(c.at("/rel_start").asDouble() - start) < Math.abs(best.at("/rel_start").asDouble() - start))
            {
                best = c;
            }
        }
        candidates.remove(best);
        return best;
    }

    private static void check(final List<String> problems, final String what, final long tshark, final long stats)
    {
        if (tshark != stats)
        {
            problems.add(what + " tshark " + tshark + ", stats " + stats);
        }
    }

    /** tshark prints "N bytes", or whole kB/MB/GB (SI): ours in that unit, cut or rounded, must be N. */
    private static void checkBytes(final List<String> problems, final String what, final long value, final String unit,
        final long stats)
    {
        final long scale = switch (unit)
        {
            case "kB" -> 1000L;
            case "MB" -> 1000_000L;
            case "GB" -> 1000_000_000L;
            default -> 1L;
        };
        if (stats / scale != value && Math.round((double)stats / scale) != value)
        {
            problems.add(what + " tshark " + value + " " + unit + ", stats " + stats + " bytes");
        }
    }

    private static void log(final String message)
    {
        System.out.println("[StatsMatchTsharkIT] " + message);
    }
}
