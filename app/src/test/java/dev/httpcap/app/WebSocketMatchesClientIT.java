package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.httpcap.app.schema.EventSchemaCheck;

/**
 * End to end for WebSocket: record real WebSocket traffic on loopback (scripts/record-websocket.sh:
 * an echo server and a client from Debian's python3-websockets, directly and through nginx, and a
 * connection with permessage-deflate), decode it with {@code bin/httpcap read FILE --sink
 * file:OUT.ndjson --ws-payload-bytes 100000 --http-ports PORTS}, and hold its WebSocket events
 * ({@code event.dataset: "websocket"}) against what the client says it sent and received
 * (EXPECTED.jsonl, one line per message, see scripts/ws/ws_client.py):
 * <ol>
 * <li>the recording first passes scripts/ws/check_tshark.py: tshark's WebSocket dissector sees on
 * the wire the messages of EXPECTED, so a failure past this point is httpcap's;</li>
 * <li>httpcap exits 0 and reads every frame of the file;</li>
 * <li>every connection has one HTTP event with status 101 for its upgrade, and all its WebSocket
 * events carry that event's httpcap.trans_depth;</li>
 * <li>per connection (source is always the TCP client) and per direction, in order, the events
 * are the messages of EXPECTED: opcode, payload bytes (a fragmented message is one event with its
 * total), frames, text (whole: the limit is above the largest message; for an empty text message
 * an absent text is taken for ""), close code and reason, and not compressed;</li>
 * <li>on the permessage-deflate connection, the same opcodes in the same order; every data message
 * {@code compressed: true}, with plausible bytes on the wire (more than 0, at most its size plus
 * {@value #DEFLATE_SLACK}), payload.inflated_bytes its size and, for text, its whole text inflated;
 * the control frames exact;</li>
 * <li>no WebSocket event is tagged parse_error, gap or incomplete, and none is on a connection
 * EXPECTED does not have.</li>
 * </ol>
 * A message fragmented around a ping comes after that ping in its direction: it is complete only
 * at its last frame.
 *
 * <p>Needs root, tcpdump, tshark, nginx, curl and /usr/bin/python3 with the websockets module
 * (python3-websockets): skipped without them, failed when CI is set. System property {@code
 * httpcap.it.workdir=DIR} keeps the capture, EXPECTED, tshark's PDML, the events and the logs in
 * DIR instead of a temp dir that is deleted.
 */
class WebSocketMatchesClientIT
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern CAPTURED = Pattern.compile("(?m)^(\\d+) packets captured");
    private static final Pattern KERNEL_DROPS = Pattern.compile("(?m)^(\\d+) packets dropped by kernel");
    private static final Pattern PACKETS_READ = Pattern.compile("(?m)^\\s*packets:\\s*(\\d+) read\\b");
    private static final Set<String> BAD_TAGS = Set.of("parse_error", "gap", "incomplete");
    private static final String PYTHON = "/usr/bin/python3";
    private static final String DEFLATE = "deflate";
    /** Bytes a compressed message may have over its uncompressed size (deflate's block overhead). */
    private static final long DEFLATE_SLACK = 64;
    /** Above the largest text message of the recorder (70,000 bytes), so no text is cut. */
    private static final int PAYLOAD_LIMIT = 100_000;
    /** The connections of scripts/record-websocket.sh and the path of each upgrade request. */
    private static final Map<String, String> UPGRADE_PATHS = Map.of(
        "direct", "/direct", "nginx-front", "/nginx", "nginx-back", "/nginx", DEFLATE, "/deflate");
    /** Differences listed in a failure message before "and N more". */
    private static final int MAX_PROBLEMS = 40;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void websocketEventsMatchTheClient(@TempDir final Path tempDir) throws IOException, InterruptedException
    {
        ItSupport.requireTools("tcpdump", "tshark", "nginx", "curl", "timeout");
        ItSupport.requireRoot();
        final Path dir = FlowsMatchTsharkIT.workDir(tempDir);
        requirePythonWebsockets(dir);
        final Path root = ItSupport.repoRoot();

        // 1. A fresh capture, and what the client sent and received.
        final Path pcap = dir.resolve("websocket.pcap");
        final Path expectedFile = dir.resolve("websocket-expected.jsonl");
        final ItSupport.Result recording = ItSupport.run("record", List.of(root.resolve("scripts/record-websocket.sh").toString(),
            pcap.toString(), expectedFile.toString()), null, dir, Duration.ofMinutes(3), Map.of());
        assertEquals(0, recording.exitCode(), () -> "recording failed\n" + recording.describe());
        log("recorded " + pcap + " (" + Files.size(pcap) + " bytes) in " + recording.elapsed().toMillis() + " ms: "
            + recording.stdoutText().strip().replace('\n', ';'));
        final Matcher drops = KERNEL_DROPS.matcher(recording.stdoutText());
        assertTrue(!drops.find() || Long.parseLong(drops.group(1)) == 0,
            () -> "tcpdump lost packets, so the capture does not hold every message\n" + recording.describe());
        final Matcher captured = CAPTURED.matcher(recording.stdoutText());
        assertTrue(captured.find(), () -> "the recorder did not print tcpdump's 'packets captured' line\n" + recording.describe());
        final long packetsCaptured = Long.parseLong(captured.group(1));
        final Map<String, Conn> expected = Conn.read(expectedFile);
        assertEquals(UPGRADE_PATHS.keySet(), expected.keySet(), "the connections in " + expectedFile);
        log("expected: " + expected.values().stream().map(Conn::summary).collect(Collectors.joining("; ")));

        // 2. The recording against tshark: the client's account of the wire is the wire.
        final ItSupport.Result tshark = ItSupport.run("check-tshark", List.of(PYTHON, "-I",
            root.resolve("scripts/ws/check_tshark.py").toString(), pcap.toString(), expectedFile.toString(),
            dir.resolve("websocket.pdml").toString()), null, dir, Duration.ofMinutes(3), Map.of());
        assertEquals(0, tshark.exitCode(), () -> "tshark does not see on the wire what the client says it sent and received,"
            + " so the recorder, not httpcap, is at fault\n" + tshark.describe());
        log(tshark.stdoutText().strip());

        // 3. httpcap.
        final Set<Integer> ports = new TreeSet<>();
        expected.values().forEach(c -> ports.add(c.serverPort()));
        final Path events = dir.resolve("events.ndjson");
        final ItSupport.Result run = ItSupport.httpcap("httpcap", List.of("read", pcap.toString(), "--sink", "file:" + events,
            "--workers", "2", "--ws-payload-bytes", String.valueOf(PAYLOAD_LIMIT),
            "--http-ports", ports.stream().map(String::valueOf).collect(Collectors.joining(","))), null, dir, Duration.ofMinutes(5));
        log("httpcap read took " + run.elapsed().toMillis() + " ms; report:\n" + ItSupport.tail(run.stderrText().strip(), 14));
        assertEquals(0, run.exitCode(), () -> "httpcap read failed\n" + run.describe());
        assertTrue(Files.isRegularFile(events), () -> "httpcap wrote no " + events + "\n" + run.describe());
        log("schema: every event valid, per dataset " + EventSchemaCheck.assertValid(Files.readAllLines(events)));
        final Events read = Events.read(events);
        log("httpcap: events per dataset " + read.datasets() + ", websocket tags " + read.tags());

        // 4. Compare.
        final List<String> problems = new ArrayList<>(read.problems());
        final Matcher packets = PACKETS_READ.matcher(run.stderrText());
        if (!packets.find())
        {
            problems.add("no 'packets: N read' line in httpcap's report");
        }
        else if (Long.parseLong(packets.group(1)) != packetsCaptured)
        {
            problems.add("httpcap read " + packets.group(1) + " packets, tcpdump captured " + packetsCaptured);
        }
        compare(expected, read, problems);
        log(problems.size() + " problems");
        if (!problems.isEmpty())
        {
            final List<String> shown = new ArrayList<>(problems.subList(0, Math.min(MAX_PROBLEMS, problems.size())));
            if (problems.size() > MAX_PROBLEMS)
            {
                shown.add("... and " + (problems.size() - MAX_PROBLEMS) + " more");
            }
            fail("httpcap's WebSocket events disagree with what the client sent on " + pcap
                + " (keep it with -Dhttpcap.it.workdir=DIR)\n  " + String.join("\n  ", shown)
                + "\n--- httpcap stderr (tail) ---\n" + ItSupport.tail(run.stderrText(), 20));
        }
    }

    private static void requirePythonWebsockets(final Path dir) throws IOException, InterruptedException
    {
        boolean found = Files.isExecutable(Path.of(PYTHON));
        if (found)
        {
            final ItSupport.Result probe = ItSupport.run("python-websockets", List.of(PYTHON, "-I", "-c", "import websockets"),
                null, dir, Duration.ofSeconds(30), Map.of());
            found = probe.exitCode() == 0;
        }
        ItSupport.require(found, "needs " + PYTHON + " with the websockets module (apt-get install python3-websockets;"
            + " scripts/test installs it when run as root)");
    }

    /** Adds a line to {@code problems} for each difference between EXPECTED and httpcap's events. */
    static void compare(final Map<String, Conn> expected, final Events httpcap, final List<String> problems)
    {
        final Map<String, List<WsEvent>> wsByKey = new LinkedHashMap<>();
        httpcap.websocket().forEach(e -> wsByKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e));
        final Map<String, List<HttpEvent>> httpByKey = new LinkedHashMap<>();
        httpcap.http().forEach(e -> httpByKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e));

        for (final Conn conn : expected.values())
        {
            final String label = conn.name() + " " + conn.key();
            final List<WsEvent> events = wsByKey.getOrDefault(conn.key(), List.of());
            wsByKey.remove(conn.key());

            final List<HttpEvent> upgrades = httpByKey.getOrDefault(conn.key(), List.of()).stream()
                .filter(h -> Objects.equals(h.status(), 101)).toList();
            Long depth = null;
            if (upgrades.size() != 1)
            {
                problems.add(label + ": " + upgrades.size() + " http events with status 101 (expected 1 for the upgrade);"
                    + " its http events: " + httpByKey.getOrDefault(conn.key(), List.of()));
            }
            else
            {
                final HttpEvent upgrade = upgrades.getFirst();
                depth = upgrade.depth();
                if (!UPGRADE_PATHS.get(conn.name()).equals(upgrade.uri()))
                {
                    problems.add(label + ": the upgrade's url.original is " + upgrade.uri() + ", expected "
                        + UPGRADE_PATHS.get(conn.name()));
                }
            }
            if (events.isEmpty())
            {
                problems.add(label + ": no websocket event for its " + conn.messages().size() + " messages");
                continue;
            }
            for (final WsEvent event : events)
            {
                if (depth != null && !Objects.equals(event.depth(), depth))
                {
                    problems.add(label + ": websocket event with httpcap.trans_depth " + event.depth() + ", the upgrade's is "
                        + depth + ": " + event);
                }
                for (final String tag : event.tags())
                {
                    if (BAD_TAGS.contains(tag))
                    {
                        problems.add(label + ": websocket event tagged " + tag + ": " + event);
                    }
                }
            }
            for (final String direction : List.of("client", "server"))
            {
                final List<Message> want = conn.messages().stream().filter(m -> m.direction().equals(direction)).toList();
                final List<WsEvent> got = events.stream().filter(e -> direction.equals(e.direction())).toList();
                final String where = label + " " + direction + "->";
                if (conn.name().equals(DEFLATE))
                {
                    compareDeflate(where, want, got, problems);
                }
                else
                {
                    diff(where, "messages", want.stream().map(Message::asSeen).toList(),
                        got.stream().map(WsEvent::asSeen).toList(), problems);
                }
            }
            final List<WsEvent> undirected = events.stream()
                .filter(e -> !"client".equals(e.direction()) && !"server".equals(e.direction())).toList();
            if (!undirected.isEmpty())
            {
                problems.add(label + ": " + undirected.size() + " websocket events whose direction is neither client nor server,"
                    + " first: " + undirected.getFirst());
            }
        }
        wsByKey.forEach((key, events) -> problems.add(key + ": " + events.size()
            + " websocket events on a connection the client did not open, first: " + events.getFirst()));
    }

    /** Opcodes in order; data messages compressed with plausible bytes; control frames exact. */
    static void compareDeflate(final String where, final List<Message> want, final List<WsEvent> got, final List<String> problems)
    {
        diff(where, "opcodes", want.stream().map(Message::opcode).toList(), got.stream().map(WsEvent::opcode).toList(), problems);
        for (int i = 0; i < Math.min(want.size(), got.size()); i++)
        {
            final Message message = want.get(i);
            final WsEvent event = got.get(i);
            if (!message.opcode().equals(event.opcode()))
            {
                break;
            }
            final String at = where + " message #" + (i + 1) + " (" + message.opcode() + ")";
            if (!message.compressed())
            {
                if (!message.asSeen().equals(event.asSeen()))
                {
                    problems.add(at + ": expected " + message.asSeen() + ", httpcap " + event.asSeen());
                }
                continue;
            }
            if (!Boolean.TRUE.equals(event.compressed()))
            {
                problems.add(at + ": websocket.compressed is " + event.compressed() + ", the message was sent with permessage-deflate");
            }
            if (event.bytes() == null || event.bytes() <= 0 || event.bytes() > message.bytes() + DEFLATE_SLACK)
            {
                problems.add(at + ": payload.bytes " + event.bytes() + " is implausible for a message of " + message.bytes()
                    + " bytes before compression");
            }
            if (!Long.valueOf(message.bytes()).equals(event.inflatedBytes()))
            {
                problems.add(at + ": payload.inflated_bytes is " + event.inflatedBytes() + ", the message has " + message.bytes()
                    + " bytes");
            }
            if (!Objects.equals(message.text(), event.text()))
            {
                problems.add(at + ": payload.text " + abbreviate(event.text()) + " is not the message's " + abbreviate(message.text()));
            }
            if (!Objects.equals((long)message.frames(), event.frames()))
            {
                problems.add(at + ": frames " + event.frames() + ", the message was sent in " + message.frames());
            }
        }
    }

    /**
     * Adds a problem for the first index where {@code expected} and {@code actual} differ, with
     * both sequences around it.
     */
    static <T> void diff(final String label, final String what, final List<T> expected, final List<T> actual,
        final List<String> problems)
    {
        final int n = Math.max(expected.size(), actual.size());
        int first = -1;
        int differences = 0;
        for (int i = 0; i < n; i++)
        {
            final T e = i < expected.size() ? expected.get(i) : null;
            final T a = i < actual.size() ? actual.get(i) : null;
            if (!Objects.equals(e, a))
            {
                differences++;
                if (first < 0)
                {
                    first = i;
                }
            }
        }
        if (first < 0)
        {
            return;
        }
        final int from = Math.max(0, first - 2);
        problems.add(label + ": " + what + ": " + differences + " of " + n + " differ; first at #" + (first + 1)
            + ": expected " + describe(expected, first) + ", httpcap " + describe(actual, first)
            + textDifference(expected, actual, first)
            + "\n      expected from #" + (from + 1) + ": " + window(expected, from)
            + "\n      httpcap  from #" + (from + 1) + ": " + window(actual, from)
            + (expected.size() != actual.size() ? "\n      (" + expected.size() + " expected, " + actual.size() + " from httpcap)" : ""));
    }

    /** Where two texts part, when the first difference is in a message's text (a long text prints only its start). */
    private static <T> String textDifference(final List<T> expected, final List<T> actual, final int index)
    {
        if (index >= expected.size() || index >= actual.size()
            || !(expected.get(index) instanceof Seen e) || !(actual.get(index) instanceof Seen a)
            || e.text() == null || a.text() == null || e.text().equals(a.text()))
        {
            return "";
        }
        int at = 0;
        while (at < e.text().length() && at < a.text().length() && e.text().charAt(at) == a.text().charAt(at))
        {
            at++;
        }
        return "\n      texts part at char " + at + ": expected " + abbreviate(e.text().substring(at)) + ", httpcap "
            + abbreviate(a.text().substring(at));
    }

    private static <T> String describe(final List<T> list, final int index)
    {
        return index < list.size() ? String.valueOf(list.get(index)) : "nothing";
    }

    private static <T> String window(final List<T> list, final int from)
    {
        final int to = Math.min(list.size(), from + 6);
        if (from >= to)
        {
            return "[]";
        }
        return list.subList(from, to) + (to < list.size() ? " ... (" + list.size() + " in all)" : "");
    }

    static String key(final String clientIp, final int clientPort, final String serverIp, final int serverPort)
    {
        return FlowComparison.normalizeIp(clientIp) + ":" + clientPort + " -> " + FlowComparison.normalizeIp(serverIp) + ":"
            + serverPort;
    }

    static void log(final String message)
    {
        System.out.println("[WebSocketMatchesClientIT] " + message);
    }

    private static String abbreviate(final String text)
    {
        if (text == null)
        {
            return "null";
        }
        final int cut = 40;
        return text.length() <= cut ? "\"" + text + "\"" : "\"" + text.substring(0, cut) + "...\" (" + text.length() + " chars)";
    }

    private static String text(final JsonNode node)
    {
        return node == null || node.isMissingNode() || node.isNull() ? null : node.asText();
    }

    private static Long number(final JsonNode node)
    {
        return node != null && node.canConvertToLong() && node.isNumber() ? node.asLong() : null;
    }

    /**
     * What is compared of one message: opcode, payload bytes, frames, text (text messages), close code and
     * reason (close frames), compressed. Equal with the whole text; printed with its start.
     */
    record Seen(String opcode, Long bytes, Long frames, String text, Long closeCode, String closeReason, boolean compressed)
    {
        @Override
        public String toString()
        {
            return opcode + " " + bytes + "B" + (Long.valueOf(1).equals(frames) ? "" : " in " + frames + " frames")
                + (text == null ? "" : " " + abbreviate(text))
                + (closeCode == null ? "" : " code " + closeCode) + (closeReason == null ? "" : " reason " + abbreviate(closeReason))
                + (compressed ? " compressed" : "");
        }
    }

    /** A line of EXPECTED: a message as the client sent or received it. */
    record Message(String direction, String opcode, long bytes, int frames, boolean compressed, String text, Long closeCode,
        String closeReason)
    {
        Seen asSeen()
        {
            return new Seen(opcode, bytes, (long)frames, text, closeCode, closeReason, compressed);
        }
    }

    /** A connection of EXPECTED: its name, the TCP client and server ports, its messages in wire order. */
    record Conn(String name, int clientPort, int serverPort, List<Message> messages)
    {
        String key()
        {
            return WebSocketMatchesClientIT.key("127.0.0.1", clientPort, "127.0.0.1", serverPort);
        }

        String summary()
        {
            final Map<String, Long> opcodes = new TreeMap<>();
            messages.forEach(m -> opcodes.merge(m.direction() + "." + m.opcode(), 1L, Long::sum));
            return name + " " + key() + " " + opcodes;
        }

        static Map<String, Conn> read(final Path jsonl) throws IOException
        {
            final Map<String, Conn> conns = new LinkedHashMap<>();
            long lineNumber = 0;
            try (BufferedReader reader = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8))
            {
                String line;
                while ((line = reader.readLine()) != null)
                {
                    lineNumber++;
                    if (line.isBlank())
                    {
                        continue;
                    }
                    final JsonNode e = MAPPER.readTree(line);
                    final String name = text(e.path("conn"));
                    final Long bytes = number(e.path("bytes"));
                    if (name == null || !e.path("client_port").isInt() || !e.path("server_port").isInt()
                        || text(e.path("direction")) == null || text(e.path("opcode")) == null || bytes == null)
                    {
                        throw new IllegalStateException(jsonl + " line " + lineNumber + " lacks conn, ports, direction, opcode"
                            + " or bytes: " + line.substring(0, Math.min(line.length(), 300)));
                    }
                    final Conn conn = conns.computeIfAbsent(name,
                        n -> new Conn(n, e.path("client_port").asInt(), e.path("server_port").asInt(), new ArrayList<>()));
                    if (conn.clientPort() != e.path("client_port").asInt() || conn.serverPort() != e.path("server_port").asInt())
                    {
                        throw new IllegalStateException(jsonl + " line " + lineNumber + ": connection " + name
                            + " with other ports than before");
                    }
                    conn.messages().add(new Message(text(e.path("direction")), text(e.path("opcode")), bytes,
                        e.path("frames").asInt(1), e.path("compressed").asBoolean(false), text(e.path("text")),
                        number(e.path("close_code")), text(e.path("close_reason"))));
                }
            }
            return conns;
        }
    }

    /** An httpcap WebSocket event, reduced to what is compared. */
    record WsEvent(long line, String key, String direction, String opcode, Long bytes, Long inflatedBytes, Long frames,
        String text, Long closeCode, String closeReason, Boolean compressed, Long depth, List<String> tags)
    {
        /**
         * As a {@link Seen}: an absent compressed is false, and an empty text message's absent
         * text is "" (there is nothing to cut).
         */
        Seen asSeen()
        {
            final String seenText = text == null && "text".equals(opcode) && Long.valueOf(0).equals(bytes) ? "" : text;
            return new Seen(opcode, bytes, frames, seenText, closeCode, closeReason, Boolean.TRUE.equals(compressed));
        }

        @Override
        public String toString()
        {
            return "line " + line + " " + direction + " " + asSeen() + " trans_depth " + depth + " tags " + tags;
        }
    }

    /** An httpcap HTTP event: its connection, status, url.original and trans_depth. */
    record HttpEvent(long line, String key, Integer status, String uri, Long depth)
    {
        @Override
        public String toString()
        {
            return "line " + line + " " + uri + " -> " + status + " trans_depth " + depth;
        }
    }

    /** httpcap's WebSocket and HTTP events in file order, counts per dataset and lines that could not be read. */
    record Events(List<WsEvent> websocket, List<HttpEvent> http, Map<String, Long> datasets, Map<String, Long> tags,
        List<String> problems)
    {
        static Events read(final Path ndjson) throws IOException
        {
            final List<WsEvent> websocket = new ArrayList<>();
            final List<HttpEvent> http = new ArrayList<>();
            final Map<String, Long> datasets = new TreeMap<>();
            final Map<String, Long> tags = new TreeMap<>();
            final List<String> problems = new ArrayList<>();
            long lineNumber = 0;
            try (BufferedReader reader = Files.newBufferedReader(ndjson, StandardCharsets.UTF_8))
            {
                String line;
                while ((line = reader.readLine()) != null)
                {
                    lineNumber++;
                    if (line.isBlank())
                    {
                        continue;
                    }
                    final JsonNode event;
                    try
                    {
                        event = MAPPER.readTree(line);
                    }
                    catch (final JsonProcessingException e)
                    {
                        problems.add("line " + lineNumber + " is not JSON (" + e.getOriginalMessage() + "): "
                            + line.substring(0, Math.min(line.length(), 300)));
                        continue;
                    }
                    final String dataset = text(event.path("event").path("dataset"));
                    datasets.merge(String.valueOf(dataset), 1L, Long::sum);
                    if (!"websocket".equals(dataset) && !"http".equals(dataset))
                    {
                        continue;
                    }
                    final JsonNode source = event.path("source");
                    final JsonNode destination = event.path("destination");
                    if (text(source.path("ip")) == null || !source.path("port").isInt() || text(destination.path("ip")) == null
                        || !destination.path("port").isInt())
                    {
                        problems.add("line " + lineNumber + ": " + dataset + " event without source/destination ip and port: "
                            + line.substring(0, Math.min(line.length(), 300)));
                        continue;
                    }
                    final String key = key(text(source.path("ip")), source.path("port").asInt(), text(destination.path("ip")),
                        destination.path("port").asInt());
                    final Long depth = number(event.path("httpcap").path("trans_depth"));
                    if ("http".equals(dataset))
                    {
                        final JsonNode status = event.path("http").path("response").path("status_code");
                        http.add(new HttpEvent(lineNumber, key, status.canConvertToInt() ? status.asInt() : null,
                            text(event.path("url").path("original")), depth));
                        continue;
                    }
                    final JsonNode ws = event.path("websocket");
                    final JsonNode compressed = ws.path("compressed");
                    final List<String> eventTags = new ArrayList<>();
                    event.path("tags").forEach(t -> eventTags.add(t.asText()));
                    eventTags.forEach(t -> tags.merge(t, 1L, Long::sum));
                    websocket.add(new WsEvent(lineNumber, key, text(ws.path("direction")), text(ws.path("opcode")),
                        number(ws.path("payload").path("bytes")), number(ws.path("payload").path("inflated_bytes")),
                        number(ws.path("frames")), text(ws.path("payload").path("text")),
                        number(ws.path("close_code")), text(ws.path("close_reason")),
                        compressed.isBoolean() ? compressed.asBoolean() : null, depth, eventTags));
                }
            }
            return new Events(websocket, http, datasets, tags, problems);
        }
    }
}
