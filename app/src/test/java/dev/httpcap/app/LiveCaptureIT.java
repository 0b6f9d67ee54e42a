package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.httpcap.app.schema.EventSchemaCheck;

/**
 * Live capture on a veth in private network namespaces (scripts/live-netns-check.sh): nginx in
 * one namespace; curl, then wrk, in the other; {@code bin/httpcap live} on the server's interface,
 * with each engine, with {@code --fanout 2}, and with VLAN-tagged frames. Every request nginx
 * logged is one HTTP event with nginx's status, every connection curl made is one flow record with
 * both directions and the whole response, every packet the kernel captured is accounted for, and
 * what {@code --write} recorded reads back into the same events.
 */
class LiveCaptureIT
{
    private static final int REQUESTS = 20;
    private static final int VLAN = 42;
    private static final Pattern ADDRESSES = Pattern.compile("client (\\S+) server (\\S+);");
    private static final Pattern READ = Pattern.compile("(?m)^packets: (\\d+) read, (\\d+) decoded, (\\d+) dropped");
    private static final Pattern KERNEL = Pattern.compile("(?m)^kernel: (\\d+) packets captured, (\\d+) dropped");
    private static final Pattern WRK = Pattern.compile("(\\d+) requests in");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void shouldListTheLoopbackInterface(@TempDir final Path dir) throws Exception
    {
        final ItSupport.Result run = ItSupport.httpcap("interfaces", List.of("interfaces"), null, dir, Duration.ofMinutes(1));
        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(run.stdoutText().lines().anyMatch(line ->
            line.matches("\\d+\\s+lo\\s+up\\s+loopback\\s+.*127\\.0\\.0\\.1/8.*")), run.stdoutText());
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldFindEveryRequestAndConnectionCapturedWithAfPacket(@TempDir final Path dir) throws Exception
    {
        final String report = capture(dir, List.of("--wrk", "1", "--replay-vlan", String.valueOf(VLAN)), List.of());
        final List<String> events = checkEveryRequestAndConnection(dir, report, true);
        checkRecordingReadsBackTheSame(dir, List.of(dir.resolve("capture.pcap")), events, report);
        checkVlanReplay(dir, events);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldFindEveryRequestAndConnectionCapturedWithThePcapEngine(@TempDir final Path dir) throws Exception
    {
        final String report = capture(
            dir, List.of("--wrk", "1", "--replay-vlan", String.valueOf(VLAN)), List.of("--engine", "pcap"));
        assertTrue(report.contains("(libpcap via pcap4j, immediate mode"), report);
        final List<String> events = checkEveryRequestAndConnection(dir, report, false);
        checkRecordingReadsBackTheSame(dir, List.of(dir.resolve("capture.pcap")), events, report);
        checkVlanReplay(dir, events);
    }

    /** Two sockets in a fanout group, two pipelines, pinned threads, and root given up for nobody. */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldSplitConnectionsOverTwoFanoutPipelinesAndAddThemUp(@TempDir final Path dir) throws Exception
    {
        // --user nobody: the events and the recordings are written as nobody.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        final String report = capture(dir, List.of("--wrk", "1"),
            List.of("--fanout", "2", "--cpus", "capture=0,workers=1,sink=0", "--user", "nobody"));
        assertTrue(report.contains("fanout 2 (hash, group "), report);
        assertTrue(report.contains("running as user nobody"), report);
        assertFalse(report.contains("cannot pin"), report);
        assertTrue(report.contains(" over 2 fanout sockets"), report);
        assertEquals("nobody", Files.getOwner(dir.resolve("events.ndjson")).getName());

        final List<String> events = checkEveryRequestAndConnection(dir, report, true);
        final List<Path> lanes = List.of(dir.resolve("capture-0.pcap"), dir.resolve("capture-1.pcap"));
        for (final Path lane : lanes)
        {
            assertEquals("nobody", Files.getOwner(lane).getName());
            assertTrue(Files.size(lane) > 24 + 10 * 1000, lane + " holds some of the connections");
        }
        checkRecordingReadsBackTheSame(dir, lanes, events, report);
    }

    /** Real VLAN sub-interfaces on both sides; needs a kernel with 802.1Q support (skipped otherwise). */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldCarryTheVlanIdOfTrafficOverVlanSubInterfaces(@TempDir final Path dir) throws Exception
    {
        final String report = capture(dir, List.of("--vlan", String.valueOf(VLAN), "--wrk", "1"), List.of());
        final List<String> events = checkEveryRequestAndConnection(dir, report, true);
        for (final String line : events)
        {
            assertEquals(VLAN, MAPPER.readTree(line).at("/network/vlan/id").asInt(), line);
        }
        checkRecordingReadsBackTheSame(dir, List.of(dir.resolve("capture.pcap")), events, report);
    }

    /** Run the script; @return its output (the report). Skips when the kernel cannot do what was asked. */
    private static String capture(final Path dir, final List<String> scriptOptions, final List<String> httpcapOptions)
        throws Exception
    {
        ItSupport.requireTools("nginx", "curl", "wrk", "ip", "python3");
        ItSupport.requireRoot();
        final List<String> command = new ArrayList<>(List.of(
            ItSupport.repoRoot().resolve("scripts/live-netns-check.sh").toString(), dir.toString(),
            String.valueOf(REQUESTS)));
        command.addAll(scriptOptions);
        command.add("--");
        command.addAll(httpcapOptions);
        final ItSupport.Result run = ItSupport.run("live-netns", command, null, dir, Duration.ofMinutes(2),
            Map.of("HTTPCAP_NO_BUILD", "1"));
        Assumptions.assumeFalse(run.exitCode() == 77, () -> ItSupport.tail(run.stderrText(), 3));
        assertEquals(0, run.exitCode(), run::describe);
        return run.stdoutText();
    }

    /**
     * Every request in nginx's log (curl's and wrk's) is one HTTP event with the same status, URI and
     * client port; curl's connections are one flow record each; the report adds up.
     *
     * @return the events of the capture.
     */
    private static List<String> checkEveryRequestAndConnection(final Path dir, final String report, final boolean ownSocket)
        throws Exception
    {
        final Matcher addresses = ADDRESSES.matcher(report);
        assertTrue(addresses.find(), report);
        final String client = addresses.group(1);
        final String server = addresses.group(2);

        final List<String> codes = Files.readAllLines(dir.resolve("curl.codes"));
        // REQUESTS single-request connections, then one keep-alive connection with three requests.
        assertEquals(REQUESTS + 3, codes.size(), "curl ran every request");
        assertEquals(REQUESTS + 2, codes.stream().filter("200"::equals).count(), codes.toString());
        assertEquals(1, codes.stream().filter("404"::equals).count(), codes.toString());

        final Matcher read = READ.matcher(report);
        final Matcher kernel = KERNEL.matcher(report);
        assertTrue(read.find() && kernel.find(), report);
        final long captured = Long.parseLong(kernel.group(1));
        final long readPackets = Long.parseLong(read.group(1));
        if (ownSocket)
        {
            assertEquals(captured, readPackets, "every packet the kernel captured was read");
        }
        else
        {
            // libpcap's ps_recv is libpcap's count (pcap_stats(3PCAP): what it includes differs by
            // platform), and now and then a frame more than libpcap hands over (CI: 9460 against 9458,
            // 9387 against 9386, the events all there). What httpcap reads must never exceed it.
            assertTrue(readPackets <= captured && captured - readPackets <= 3,
                "libpcap counted " + captured + " packets captured, httpcap read " + readPackets);
        }
        assertEquals(0, Long.parseLong(kernel.group(2)), "kernel drops");
        assertEquals(read.group(1), read.group(2), "every packet decoded");
        assertTrue(report.lines().anyMatch(line -> line.matches(
            "stats: [\\d,]+ packets/s, [\\d.]+ Mbit/s, kernel drops 0, ring drops 0, flows \\d+, .*, gc pauses \\d+ " +
                "\\(\\d+ ms, longest \\d+ ms\\), capture waits \\d+ \\([\\d.]+ ms\\), sink waits \\d+ \\([\\d.]+ ms\\).*")),
            "periodic statistics while capturing, with the stalls:\n" + report);
        assertTrue(report.lines().anyMatch(line -> line.startsWith("stalls: gc pauses ")), "the report's stalls:\n" + report);

        // nginx's access log: "METHOD URI STATUS BODY_BYTES CLIENT_PORT", the readiness probes aside.
        final List<String> logged = new ArrayList<>();
        final Set<Integer> curlPorts = new HashSet<>();
        final Set<Integer> wrkPorts = new HashSet<>();
        for (final String line : Files.readAllLines(dir.resolve("access.log")))
        {
            final String[] f = line.split(" ");
            if (f[1].equals("/ready"))
            {
                continue;
            }
            logged.add(f[0] + " " + f[1] + " " + f[2] + " " + f[4]);
            (f[1].equals("/wrk.txt") ? wrkPorts : curlPorts).add(Integer.parseInt(f[4]));
        }
        assertEquals(REQUESTS + 3, logged.size() - logged.stream().filter(l -> l.contains(" /wrk.txt ")).count());
        final Matcher wrk = WRK.matcher(Files.readString(dir.resolve("wrk.out")));
        assertTrue(wrk.find());
        final long wrkCounted = Long.parseLong(wrk.group(1));
        final long wrkLogged = logged.stream().filter(l -> l.contains(" /wrk.txt ")).count();
        assertTrue(wrkCounted > 100 && wrkLogged >= wrkCounted && wrkLogged <= wrkCounted + 4,
            "wrk counted " + wrkCounted + ", nginx logged " + wrkLogged);

        final List<String> lines = Files.readAllLines(dir.resolve("events.ndjson"));
        // A live capture's events follow the schema and say where they were captured: this host, the
        // server's veth (scripts/live-netns-check.sh names it hcs...), towards the server (ingress).
        EventSchemaCheck.assertValid(lines);
        for (final String line : lines)
        {
            final JsonNode event = MAPPER.readTree(line);
            assertTrue(event.at("/observer/ingress/interface/name").asText().startsWith("hcs"), line);
            assertEquals("httpcap", event.at("/observer/product").asText(), line);
            assertFalse(event.at("/observer/hostname").asText().isEmpty(), line);
            assertEquals(event.at("/observer/hostname").asText(), event.at("/host/name").asText(), line);
            assertEquals("ingress", event.at("/network/direction").asText(), line);
        }
        final List<String> seen = new ArrayList<>();
        final Map<Integer, JsonNode> flowsByPort = new HashMap<>();
        for (final String line : lines)
        {
            final JsonNode event = MAPPER.readTree(line);
            final String dataset = event.at("/event/dataset").asText();
            assertEquals(client, event.at("/source/ip").asText(), line);
            assertEquals(server, event.at("/destination/ip").asText(), line);
            assertEquals(80, event.at("/destination/port").asInt(), line);
            assertTrue(event.path("tags").isEmpty(), line);
            if (dataset.equals("http"))
            {
                seen.add(event.at("/http/request/method").asText() + " " + event.at("/url/original").asText() + " " +
                    event.at("/http/response/status_code").asText() + " " + event.at("/source/port").asText());
            }
            else
            {
                assertEquals("flow", dataset, line);
                flowsByPort.put(event.at("/source/port").asInt(), event);
            }
        }
        assertEquals(sorted(logged), sorted(seen), "one HTTP event per request nginx answered, with its status");
        System.out.println("LiveCaptureIT " + dir.getFileName() + ": " + seen.size() + " HTTP transactions found of " +
            logged.size() + " requests nginx logged (curl " + (logged.size() - wrkLogged) + ", wrk " + wrkLogged +
            "; wrk counted " + wrkCounted + "), " + read.group(1) + " packets, kernel drops " + kernel.group(2));

        // One record per connection, curl's and wrk's, with both directions and nothing missing.
        assertEquals(flowsByPort.size(), lines.size() - seen.size(), "one record per client port");
        assertTrue(flowsByPort.keySet().containsAll(curlPorts) && flowsByPort.keySet().containsAll(wrkPorts),
            flowsByPort.keySet() + " against " + curlPorts + " " + wrkPorts);
        assertEquals(REQUESTS + 1, curlPorts.size());
        for (final Map.Entry<Integer, JsonNode> flow : flowsByPort.entrySet())
        {
            if (!curlPorts.contains(flow.getKey()) && !wrkPorts.contains(flow.getKey()))
            {
                // wrk may open a connection it never sends a request on (at its start or its end).
                assertEquals(0, flow.getValue().at("/httpcap/flow/client_payload_bytes").asLong() +
                    flow.getValue().at("/httpcap/flow/server_payload_bytes").asLong(), flow.getValue().toString());
            }
        }
        for (final int port : curlPorts)
        {
            final JsonNode event = flowsByPort.get(port);
            assertEquals("fin", event.at("/event/reason").asText(), event.toString());
            assertTrue(event.at("/source/packets").asLong() >= 4, event.toString());
            assertTrue(event.at("/destination/packets").asLong() >= 4, event.toString());
            // Each connection fetched the 27 KB page at least once, and nothing was lost.
            assertTrue(event.at("/httpcap/flow/server_stream_bytes").asLong() > 27_000, event.toString());
        }
        for (final JsonNode event : flowsByPort.values())
        {
            assertEquals(0, event.at("/httpcap/flow/client_gap_bytes").asLong() +
                event.at("/httpcap/flow/server_gap_bytes").asLong(), event.toString());
        }
        return lines;
    }

    /** What --write recorded, read back (one file per fanout socket), gives the same events. */
    private static void checkRecordingReadsBackTheSame(
        final Path dir, final List<Path> recordings, final List<String> events, final String report) throws Exception
    {
        final Matcher read = READ.matcher(report);
        assertTrue(read.find());
        final List<String> replayed = new ArrayList<>();
        long packets = 0;
        for (final Path recording : recordings)
        {
            final Path out = dir.resolve(recording.getFileName() + ".ndjson");
            final ItSupport.Result replay = ItSupport.httpcap("replay", List.of("read", recording.toString(), "--flows",
                "--sink", "file:" + out), null, dir, Duration.ofMinutes(1));
            assertEquals(0, replay.exitCode(), replay::describe);
            final Matcher replayRead = READ.matcher(replay.stderrText());
            assertTrue(replayRead.find(), replay.stderrText());
            packets += Long.parseLong(replayRead.group(1));
            replayed.addAll(Files.readAllLines(out));
        }
        assertEquals(Long.parseLong(read.group(1)), packets, "the recordings hold every packet read");
        // The same events, but for where they were captured (the live capture says, the file does not).
        assertEquals(sorted(ItSupport.withoutObserver(events)), sorted(replayed));
    }

    /**
     * The recording sent again with a VLAN tag: every HTTP event is there again, with the VLAN id,
     * and the live capture of the tagged frames decodes exactly as reading them from a file does.
     */
    private static void checkVlanReplay(final Path dir, final List<String> events) throws Exception
    {
        final String report = Files.readString(dir.resolve("replay.err"));
        final Matcher kernel = KERNEL.matcher(report);
        assertTrue(kernel.find(), report);
        assertEquals("0", kernel.group(2), "kernel drops while the tagged frames were replayed:\n" + report);
        final List<String> live = Files.readAllLines(dir.resolve("replay-events.ndjson"));
        assertEquals(events.stream().filter(line -> line.contains("\"dataset\":\"http\"")).count(), live.size());
        for (final String line : live)
        {
            assertEquals(VLAN, MAPPER.readTree(line).at("/network/vlan/id").asInt(), line);
        }
        final Path out = dir.resolve("replay-read.ndjson");
        final ItSupport.Result read = ItSupport.httpcap("read-vlan", List.of("read",
            dir.resolve("replay-vlan.pcap").toString(), "--sink", "file:" + out), null, dir, Duration.ofMinutes(1));
        assertEquals(0, read.exitCode(), read::describe);
        // Live, the packets carry the time they were sent again; from the file, the time recorded.
        assertEquals(sorted(withoutTimes(Files.readAllLines(out))), sorted(withoutTimes(live)));
    }

    private static List<String> withoutTimes(final List<String> lines) throws Exception
    {
        return ItSupport.withoutCaptureTimes(lines);
    }

    private static List<String> sorted(final List<String> lines)
    {
        return lines.stream().sorted().toList();
    }
}
