package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code httpcap.timing} against times set on purpose, on a live capture (scripts/live-netns-check.sh):
 * every packet the client sends is delayed {@link #DELAY_MS} on its way out (netem, or an NFQUEUE delay
 * line where the kernel has no netem), so each connection's handshake takes one such delay at the
 * server's veth, where httpcap captures; and nginx proxies {@code /slow} to an upstream that sleeps
 * {@link #SLOW_MS} before answering, which is the server time of those requests. Neither can be shorter
 * than what was set; each may be longer by what the machine adds (softirqs, nginx's and the upstream's
 * scheduling, more on a loaded machine), so the bound above is half the delay: what a wrong split (one more
 * delayed packet inside) would add is the whole of it. And each connection's handshake is tshark's initial
 * RTT of the same frames, as --write recorded them, exactly.
 */
class LiveTimingIT
{
    private static final long MS = 1_000_000;
    private static final long DELAY_MS = 20;
    private static final long SLOW_MS = 200;
    /** What the machine may add to a set time: well under {@link #DELAY_MS}. */
    private static final long LATER_BY_AT_MOST = DELAY_MS * MS / 2;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldTimeTheHandshakeAndTheServerAsSet(@TempDir final Path dir) throws Exception
    {
        ItSupport.requireTools("nginx", "curl", "ip", "tc", "iptables", "python3", "tshark");
        ItSupport.requireRoot();
        final List<String> command = List.of(
            ItSupport.repoRoot().resolve("scripts/live-netns-check.sh").toString(), dir.toString(), "5",
            "--name", "timing20", "--delay", String.valueOf(DELAY_MS), "--slow", String.valueOf(SLOW_MS));
        final ItSupport.Result run = ItSupport.run("live-timing", command, null, dir, Duration.ofMinutes(2),
            Map.of("HTTPCAP_NO_BUILD", "1"));
        Assumptions.assumeFalse(run.exitCode() == 77, () -> ItSupport.tail(run.stderrText(), 3));
        assertEquals(0, run.exitCode(), run::describe);
        final String report = run.stdoutText();
        final String how = report.lines().filter(line -> line.startsWith("delay: ")).findFirst().orElse("");
        assertTrue(how.contains(" by "), "the delay was set:\n" + report);
        assertEquals(List.of("200", "200", "200", "200", "200"), Files.readAllLines(dir.resolve("slow.codes")));

        final Map<Integer, Long> handshakeByPort = new HashMap<>();
        final List<Long> handshakes = new ArrayList<>();
        final List<Long> slow = new ArrayList<>();
        int http = 0;
        for (final String line : Files.readAllLines(dir.resolve("events.ndjson")))
        {
            final JsonNode event = MAPPER.readTree(line);
            if (!event.at("/event/dataset").asText().equals("http"))
            {
                continue;
            }
            http++;
            assertTrue(event.path("tags").isEmpty(), line);
            final JsonNode timing = event.at("/httpcap/timing");
            // Captured from each connection's SYN and lossless: all four are known on every event.
            for (final String name : List.of("handshake", "upload", "server", "download"))
            {
                assertTrue(timing.path(name).canConvertToLong() && timing.path(name).asLong() >= 0, name + ": " + line);
            }
            assertEquals(event.at("/event/duration").asLong(),
                timing.path("upload").asLong() + timing.path("server").asLong() + timing.path("download").asLong(),
                "upload + server + download = event.duration: " + line);
            handshakes.add(timing.path("handshake").asLong());
            handshakeByPort.put(event.at("/source/port").asInt(), timing.path("handshake").asLong());
            if (event.at("/url/original").asText().equals("/slow"))
            {
                slow.add(timing.path("server").asLong());
            }
        }
        System.out.println("LiveTimingIT: " + how + "; " + http + " HTTP events; handshakes (ms) " + millis(handshakes) +
            "; /slow server times (ms) " + millis(slow));
        assertEquals(5 + 3 + 5, http, "curl's 5 + 3 requests and the 5 to /slow");
        checkAgainstTshark(dir, handshakeByPort);
        assertEquals(5, slow.size());
        for (final long handshake : handshakes)
        {
            assertTrue(handshake >= DELAY_MS * MS && handshake - DELAY_MS * MS <= LATER_BY_AT_MOST,
                "handshake " + handshake + " ns, set " + DELAY_MS + " ms: " + millis(handshakes));
        }
        for (final long server : slow)
        {
            assertTrue(server >= SLOW_MS * MS && server - SLOW_MS * MS <= LATER_BY_AT_MOST,
                "server time " + server + " ns, set " + SLOW_MS + " ms: " + millis(slow));
        }
    }

    /**
     * Wireshark's initial RTT of each connection in what --write recorded of the same capture (first SYN
     * to the ACK of the SYN-ACK, tcp.analysis.initial_rtt): the same number, to the nanosecond.
     */
    private static void checkAgainstTshark(final Path dir, final Map<Integer, Long> handshakeByPort) throws Exception
    {
        final ItSupport.Result tshark = ItSupport.run("tshark-irtt", List.of("tshark", "-r",
            dir.resolve("capture.pcap").toString(), "-o", "tcp.calculate_timestamps:TRUE", "-Y",
            "tcp.analysis.initial_rtt && tcp.flags.syn == 0 && tcp.dstport == 80", "-T", "fields", "-e", "tcp.srcport",
            "-e", "tcp.analysis.initial_rtt"), null, dir, Duration.ofMinutes(1), Map.of());
        assertEquals(0, tshark.exitCode(), tshark::describe);
        final Map<Integer, Long> irtt = new HashMap<>();
        for (final String line : tshark.stdoutText().lines().toList())
        {
            final String[] f = line.split("\t");
            irtt.putIfAbsent(Integer.parseInt(f[0]), new BigDecimal(f[1]).movePointRight(9).longValueExact());
        }
        assertEquals(irtt, handshakeByPort, "httpcap.timing.handshake per client port against tshark's initial RTT");
    }

    private static List<String> millis(final List<Long> nanos)
    {
        return nanos.stream().map(n -> String.format("%.3f", n / 1e6)).toList();
    }
}
