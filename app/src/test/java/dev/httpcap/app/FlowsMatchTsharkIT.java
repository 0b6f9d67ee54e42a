package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.httpcap.app.schema.EventSchemaCheck;

/**
 * End to end: record a fresh, large HTTP capture on loopback (scripts/record-nginx-wrk.sh: nginx,
 * wrk keep-alive and Connection: close, curl), decode it with {@code bin/httpcap read FILE --sink
 * file:OUT.ndjson --workers 2}, and check against tshark that
 * <ol>
 * <li>httpcap exits 0;</li>
 * <li>its final report accounts for every packet: "packets: N read" with N the frames in the
 * file, and decoded + dropped = N;</li>
 * <li>its flow events are tshark's TCP conversations: same count, and per connection (client
 * ip:port to server ip:port, in start order when the 4-tuple is reused) the same packets and
 * bytes (frame lengths) in each direction.</li>
 * </ol>
 * Needs root, tcpdump, tshark, nginx, wrk and curl: skipped without them, failed when CI is set.
 *
 * <p>System properties: {@code httpcap.it.seconds} and {@code httpcap.it.connections} are passed
 * to the recorder (its defaults otherwise); {@code httpcap.it.workdir=DIR} keeps the capture,
 * events and logs in DIR instead of a temp dir that is deleted.
 */
class FlowsMatchTsharkIT
{
    private static final Pattern CAPTURED = Pattern.compile("(?m)^(\\d+) packets captured");

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void flowEventsMatchTsharkConversations(@TempDir final Path tempDir) throws IOException, InterruptedException
    {
        ItSupport.requireTools("tcpdump", "tshark", "nginx", "wrk", "curl");
        ItSupport.requireRoot();
        final Path dir = workDir(tempDir);
        final Path root = ItSupport.repoRoot();

        // 1. A fresh capture.
        final Path pcap = dir.resolve("nginx-wrk.pcap");
        final List<String> record = new ArrayList<>(List.of(root.resolve("scripts/record-nginx-wrk.sh").toString(),
            pcap.toString()));
        final String seconds = System.getProperty("httpcap.it.seconds");
        final String connections = System.getProperty("httpcap.it.connections");
        if (seconds != null || connections != null)
        {
            record.add(seconds != null ? seconds : "6");
            if (connections != null)
            {
                record.add(connections);
            }
        }
        final ItSupport.Result recording = ItSupport.run("record", record, null, dir, Duration.ofMinutes(3), Map.of());
        assertEquals(0, recording.exitCode(), () -> "recording failed\n" + recording.describe());
        log("recorded " + pcap + " (" + Files.size(pcap) + " bytes) in " + recording.elapsed().toMillis() + " ms: "
            + recording.stdoutText().strip().replace('\n', ';'));

        // 2. The reference: tshark.
        final long t0 = System.nanoTime();
        final TsharkConnections.Capture capture = TsharkConnections.read(pcap, dir);
        log("tshark: " + capture.frames() + " frames, " + capture.connections().size() + " TCP connections in "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        final Matcher captured = CAPTURED.matcher(recording.stdoutText());
        assertTrue(captured.find(), () -> "the recorder did not print tcpdump's 'packets captured' line\n" + recording.describe());
        assertEquals(Long.parseLong(captured.group(1)), capture.frames(),
            "tcpdump's 'packets captured' and the frames tshark reads from the file");
        assertTrue(capture.connections().size() > 100,
            () -> "the recording is too small to be meaningful: " + capture.connections().size() + " connections");

        // 3. httpcap.
        final Path events = dir.resolve("events.ndjson");
        final ItSupport.Result run = ItSupport.httpcap("httpcap",
            List.of("read", pcap.toString(), "--flows", "--sink", "file:" + events, "--workers", "2"), null, dir, Duration.ofMinutes(10));
        log("httpcap read took " + run.elapsed().toMillis() + " ms; report:\n" + ItSupport.tail(run.stderrText().strip(), 12));
        assertEquals(0, run.exitCode(), () -> "httpcap read failed\n" + run.describe());
        assertTrue(Files.isRegularFile(events), () -> "httpcap wrote no " + events + "\n" + run.describe());

        log("schema: every event valid, per dataset " + EventSchemaCheck.assertValid(Files.readAllLines(events)));
        // 4. Compare.
        final FlowEvents.Events read = FlowEvents.read(events);
        final FinalReport report = FinalReport.parse(run.stderrText());
        final List<String> problems = new ArrayList<>(report.check(capture.frames(), read));
        read.problems().stream().limit(10).forEach(problems::add);
        if (read.problems().size() > 10)
        {
            problems.add("... and " + (read.problems().size() - 10) + " more event problems");
        }
        final FlowComparison.Result comparison = FlowComparison.compare(capture.connections(), read.flows());
        log(comparison.summary() + "\nevents by dataset: " + read.datasets() + ", flow reasons: " + read.flowReasons());
        problems.addAll(checkReassembly(events, pcap, dir, recording.stdoutText()));
        if (!problems.isEmpty() || !comparison.ok())
        {
            fail("httpcap disagrees with tshark on " + pcap + " (keep it with -Dhttpcap.it.workdir=DIR)\n"
                + (problems.isEmpty() ? "" : "report/event problems:\n  " + String.join("\n  ", problems) + "\n")
                + comparison.report() + "\n--- httpcap stderr (tail) ---\n" + ItSupport.tail(run.stderrText(), 20));
        }
    }

    private static final Pattern KERNEL_DROPS = Pattern.compile("(?m)^(\\d+) packets dropped by kernel");

    /**
     * The reassembled streams: each flow's stream bytes are its payload bytes less retransmitted
     * bytes, so over the capture payload - stream lies between 0 and what tshark flags as
     * retransmission (a partial retransmission counts whole in tshark, only its old part in ours);
     * and when the kernel dropped nothing, nothing is reported lost.
     */
    static List<String> checkReassembly(final Path events, final Path pcap, final Path dir, final String recorderOutput)
        throws IOException, InterruptedException
    {
        final List<String> problems = new ArrayList<>();
        final com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        long payload = 0;
        long stream = 0;
        long gaps = 0;
        for (final String line : Files.readAllLines(events))
        {
            final com.fasterxml.jackson.databind.JsonNode flow = mapper.readTree(line).path("httpcap").path("flow");
            payload += flow.path("client_payload_bytes").asLong() + flow.path("server_payload_bytes").asLong();
            stream += flow.path("client_stream_bytes").asLong() + flow.path("server_stream_bytes").asLong();
            gaps += flow.path("client_gap_bytes").asLong() + flow.path("server_gap_bytes").asLong();
        }
        final ItSupport.Result retransmissions = ItSupport.run("tshark-retransmissions", List.of("tshark", "-r",
            pcap.toString(), "-n", "-Y", "tcp.analysis.retransmission", "-T", "fields", "-e", "tcp.len"),
            null, dir, Duration.ofMinutes(5), Map.of());
        long retransmitted = 0;
        for (final String length : retransmissions.stdoutText().split("\\s+"))
        {
            if (!length.isBlank())
            {
                retransmitted += Long.parseLong(length.strip());
            }
        }
        log("reassembly: payload " + payload + " B, stream " + stream + " B, gaps " + gaps + " B; tshark retransmitted "
            + retransmitted + " B");
        if (stream > payload || payload - stream > retransmitted)
        {
            problems.add("stream bytes " + stream + " do not equal payload bytes " + payload
                + " less at most tshark's retransmitted bytes " + retransmitted);
        }
        final Matcher drops = KERNEL_DROPS.matcher(recorderOutput);
        if (drops.find() && Long.parseLong(drops.group(1)) == 0 && gaps != 0)
        {
            problems.add(gaps + " gap bytes reported although tcpdump lost no packet");
        }
        return problems;
    }

    static Path workDir(final Path tempDir) throws IOException
    {
        final String keep = System.getProperty("httpcap.it.workdir");
        if (keep == null || keep.isBlank())
        {
            return tempDir;
        }
        final Path dir = Path.of(keep).toAbsolutePath();
        Files.createDirectories(dir);
        return dir;
    }

    static void log(final String message)
    {
        System.out.println("[FlowsMatchTsharkIT] " + message);
    }
}
