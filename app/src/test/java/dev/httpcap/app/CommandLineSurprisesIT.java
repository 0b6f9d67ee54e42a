package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Issue 18, point 4, end to end through bin/httpcap: exit codes, messages and files a new user met. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CommandLineSurprisesIT
{
    private static final Path DEMO = ItSupport.repoRoot().resolve("samples/demo.pcap");

    @TempDir
    Path dir;

    private static List<String> stderrLines(final ItSupport.Result run)
    {
        return run.stderrText().lines().filter(line -> !line.isBlank()).toList();
    }

    @Test
    void shouldExitOneWithoutCreatingDirectoriesWhenAFileSinkCannotBeOpened() throws Exception
    {
        final Path missing = dir.resolve("no/such/dir");
        final ItSupport.Result run = ItSupport.httpcap("sink", List.of("read", DEMO.toString(), "--sink",
            "file:" + missing.resolve("events.ndjson")), null, dir, Duration.ofMinutes(1));
        assertEquals(1, run.exitCode(), run::describe);
        assertEquals(List.of("httpcap: cannot open sink 'file:" + missing.resolve("events.ndjson") + "': " + missing +
            ": no such directory (httpcap does not create directories)"), stderrLines(run));
        assertFalse(Files.exists(dir.resolve("no")), "no directory was made");

        // A malformed spec is still a usage error.
        final ItSupport.Result bad = ItSupport.httpcap("badsink", List.of("read", DEMO.toString(), "--sink", "file:x?keep=lots"),
            null, dir, Duration.ofMinutes(1));
        assertEquals(2, bad.exitCode(), bad::describe);
    }

    /**
     * More workers than the heap holds tables for: a usage error that says how much they need and what
     * to do, not the JVM's "Terminating due to java.lang.OutOfMemoryError" (exit 3) it was; with the heap
     * it asks for, the same run works; and it comes before any output is opened.
     */
    @Test
    void shouldSayHowMuchHeapTheWorkersNeedWhenTheyDoNotFit() throws Exception
    {
        final List<String> command = List.of(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "read", DEMO.toString(),
            "--workers", "256", "--sink", "stdout:json");
        final String heapLine = "httpcap: about \\d+ MiB of heap for the flow tables of 256 workers \\([\\d.]+ MiB each, at " +
            "--max-flows 100000\\) is more than half of the \\d+ MiB this JVM may use: fewer --workers \\(more than one per " +
            "CPU does not help\\), a smaller --max-flows, or a larger heap \\(HTTPCAP_JAVA_OPTS=-Xmx\\.\\.\\.\\)";
        // The launcher's own heap (an HTTPCAP_JAVA_OPTS of the caller's would change it).
        final ItSupport.Result run = ItSupport.run("workers256", command, null, dir, Duration.ofMinutes(1),
            Map.of("HTTPCAP_NO_BUILD", "1", "HTTPCAP_JAVA_OPTS", ""));
        assertEquals(2, run.exitCode(), run::describe);
        final List<String> lines = stderrLines(run);
        assertEquals(1, lines.size(), run::describe);
        assertTrue(lines.get(0).matches(heapLine), run::describe);
        assertEquals("", run.stdoutText(), "nothing read");

        final ItSupport.Result larger = ItSupport.run("workers256-2g", command, null, dir, Duration.ofMinutes(1),
            Map.of("HTTPCAP_NO_BUILD", "1", "HTTPCAP_JAVA_OPTS", "-Xmx2g"));
        assertEquals(0, larger.exitCode(), larger::describe);
        assertEquals(5, larger.stdoutText().lines().count(), larger::describe);

        // With a capture to write: refused before it is opened, so an existing file is untouched.
        final Path existing = dir.resolve("existing.pcap");
        Files.copy(DEMO, existing);
        final List<String> write = new ArrayList<>(command);
        write.addAll(List.of("--write", existing.toString()));
        final ItSupport.Result refused = ItSupport.run("workers256-write", write, null, dir, Duration.ofMinutes(1),
            Map.of("HTTPCAP_NO_BUILD", "1", "HTTPCAP_JAVA_OPTS", ""));
        assertEquals(2, refused.exitCode(), refused::describe);
        assertTrue(stderrLines(refused).get(0).matches(heapLine), refused::describe);
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(DEMO), Files.readAllBytes(existing)), "untouched");
    }

    /**
     * What one worker or the packet ring would take beyond the heap, or a ring past what it can address: a
     * usage error naming the option, where a flow table of 16 Mi connections was the JVM's OutOfMemoryError
     * (exit 3) and a ring of 2 GiB or more a failure once the report was out (exit 1).
     */
    @Test
    void shouldSayWhatATableOrARingTooLargeNeeds() throws Exception
    {
        final Map<List<String>, String> cases = Map.of(
            List.of("--max-flows", "16777216"), "httpcap: about \\d+ MiB of heap for one worker's flow table \\(at --max-flows " +
                "16777216\\) is more than half of the \\d+ MiB this JVM may use: a smaller --max-flows, or a larger heap " +
                "\\(HTTPCAP_JAVA_OPTS=-Xmx\\.\\.\\.\\)",
            List.of("--ring-slots", "2097152", "--slot-bytes", "128"), "httpcap: about \\d+ MiB of heap for one worker's flow " +
                "table \\(at --max-flows 100000\\) and the packet ring \\(\\d+ MiB for --ring-slots 2097152\\) is more than half " +
                "of the \\d+ MiB this JVM may use: fewer --ring-slots, or a larger heap \\(HTTPCAP_JAVA_OPTS=-Xmx\\.\\.\\.\\)",
            List.of("--ring-slots", "65536", "--slot-bytes", "32768"), "httpcap: --ring-slots 65536 x --slot-bytes 32768 is 2048 " +
                "MiB of packet ring, 2 GiB at most: fewer --ring-slots or a smaller --slot-bytes");
        int n = 0;
        for (final Map.Entry<List<String>, String> c : cases.entrySet())
        {
            final List<String> command = new ArrayList<>(List.of(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "read",
                "-", "--sink", "stdout:json"));
            command.addAll(c.getKey());
            // From standard input: the frames are copied into the ring, as they were when a 2 GiB ring failed.
            final ItSupport.Result run = ItSupport.run("too-large-" + n++, command, DEMO, dir, Duration.ofMinutes(1),
                Map.of("HTTPCAP_NO_BUILD", "1", "HTTPCAP_JAVA_OPTS", ""));
            assertEquals(2, run.exitCode(), run::describe);
            assertEquals(1, stderrLines(run).size(), run::describe);
            assertTrue(stderrLines(run).get(0).matches(c.getValue()), run::describe);
            assertEquals("", run.stdoutText(), run::describe);
        }
    }

    /**
     * Out of heap while running (past the start-up check: the connections' own state): exit status 3 with the
     * JVM's message on standard error, nothing on standard output. 20,000 connections left open mid-request
     * hold more than a 24 MB heap has (5,000 fit).
     */
    @Test
    void shouldSayOnStandardErrorWhenTheHeapRunsOut() throws Exception
    {
        final TestPcap open = new TestPcap();
        for (int i = 0; i < 20_000; i++)
        {
            open.openConnection(80, "GET /" + i + " HTTP/1.1\r\nHost: a\r\nUser-Agent: " + "u".repeat(200) + "\r\n");
        }
        final Path capture = dir.resolve("open.pcap");
        open.write(capture);
        final ItSupport.Result run = ItSupport.run("oom", List.of(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "read",
            capture.toString(), "--sink", "stdout:json"), null, dir, Duration.ofMinutes(1),
            Map.of("HTTPCAP_NO_BUILD", "1", "HTTPCAP_JAVA_OPTS", "-Xmx24m"));
        assertEquals(3, run.exitCode(), run::describe);
        assertEquals("", run.stdoutText(), run::describe);
        assertTrue(stderrLines(run).contains("Terminating due to java.lang.OutOfMemoryError: Java heap space"), run::describe);
    }

    @Test
    void shouldRunWithAHeapSmallerThanTheLaunchersInitialSize() throws Exception
    {
        final List<String> command = List.of(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "read", DEMO.toString(),
            "--sink", "stdout:json");
        // Below the launcher's -Xms128m, and an initial size above its -Xmx512m.
        for (final String heap : List.of("-Xmx100m", "-Xms1g"))
        {
            final ItSupport.Result run = ItSupport.run("heap" + heap, command, null, dir, Duration.ofMinutes(1),
                Map.of("HTTPCAP_NO_BUILD", "1", "HTTPCAP_JAVA_OPTS", heap));
            assertEquals(0, run.exitCode(), run::describe);
            assertEquals(5, run.stdoutText().lines().count(), run::describe);
        }
    }

    /** --write or a file sink naming the capture being read: a usage error, the capture untouched (it was truncated under the reader). */
    @Test
    void shouldRefuseToWriteOverTheCaptureBeingRead() throws Exception
    {
        final Path capture = dir.resolve("capture.pcap");
        Files.copy(DEMO, capture);
        final byte[] before = Files.readAllBytes(capture);
        final ItSupport.Result write = ItSupport.httpcap("write-over", List.of("read", capture.toString(), "-w", capture.toString()),
            null, dir, Duration.ofMinutes(1));
        assertEquals(2, write.exitCode(), write::describe);
        assertEquals(List.of("httpcap: --write: '" + capture + "' is the capture being read"), stderrLines(write));
        final ItSupport.Result sink = ItSupport.httpcap("sink-over", List.of("read", capture.toString(), "--sink",
            "file:" + dir.resolve(".").resolve("capture.pcap") + "?format=text"), null, dir, Duration.ofMinutes(1));
        assertEquals(2, sink.exitCode(), sink::describe);
        assertEquals(List.of("httpcap: --sink: 'file:" + dir.resolve(".").resolve("capture.pcap") + "?format=text' is the " +
            "capture being read"), stderrLines(sink));
        // Standard input redirected from the capture is the capture too.
        final ItSupport.Result stdin = ItSupport.httpcap("stdin-over", List.of("read", "-", "-w", capture.toString()),
            capture, dir, Duration.ofMinutes(1));
        assertEquals(2, stdin.exitCode(), stdin::describe);
        assertEquals(List.of("httpcap: --write: '" + capture + "' is the capture being read"), stderrLines(stdin));
        // follow's and stats' outputs would replace it.
        final ItSupport.Result follow = ItSupport.httpcap("follow-over", List.of("follow", capture.toString(), "--stream", "0",
            "-o", capture.toString()), null, dir, Duration.ofMinutes(1));
        assertEquals(2, follow.exitCode(), follow::describe);
        assertEquals(List.of("httpcap: --output: '" + capture + "' is the capture being read"), stderrLines(follow));
        final ItSupport.Result stats = ItSupport.httpcap("stats-over", List.of("stats", capture.toString(),
            "-o", capture.toString()), null, dir, Duration.ofMinutes(1));
        assertEquals(2, stats.exitCode(), stats::describe);
        assertEquals(List.of("httpcap: --output: '" + capture + "' is the capture being read"), stderrLines(stats));
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(capture)), "the capture is untouched");
    }

    @Test
    void shouldWriteTheFilteredFramesOfACaptureAsTcpdumpDoes() throws Exception
    {
        ItSupport.requireTools("tcpdump");
        final String filter = "tcp port 59022 or tcp port 59030";
        final Path copy = dir.resolve("copy.pcap");
        final ItSupport.Result run = ItSupport.httpcap("write", List.of("read", DEMO.toString(), "--filter", filter, "--write",
            copy.toString(), "--sink", "stdout:json"), null, dir, Duration.ofMinutes(1));
        assertEquals(0, run.exitCode(), run::describe);

        final Path reference = dir.resolve("reference.pcap");
        final ItSupport.Result tcpdump = ItSupport.run("tcpdump", List.of("tcpdump", "-r", DEMO.toString(), "-w",
            reference.toString(), filter), null, dir, Duration.ofMinutes(1), Map.of());
        assertEquals(0, tcpdump.exitCode(), tcpdump::describe);
        final List<String> ours = frames(copy);
        assertEquals(frames(reference), ours, "the same frames, times and lengths as tcpdump -r -w with the filter");
        assertEquals(20, ours.size());
        assertTrue(run.stderrText().contains("write: 20 packets to " + copy), run::describe);

        // Read back, the copy gives the filtered run's events.
        final ItSupport.Result again = ItSupport.httpcap("again", List.of("read", copy.toString(), "--sink", "stdout:json"),
            null, dir, Duration.ofMinutes(1));
        assertEquals(run.stdoutText(), again.stdoutText(), "events hold packet times only: the same bytes");
        assertEquals(2, again.stdoutText().lines().count());
    }

    /** Every frame as tcpdump prints it (microsecond time, addresses, flags, length). */
    private List<String> frames(final Path pcap) throws Exception
    {
        final ItSupport.Result run = ItSupport.run("frames-" + pcap.getFileName(), List.of("tcpdump", "-nn", "-tt", "-r",
            pcap.toString()), null, dir, Duration.ofMinutes(1), Map.of());
        assertEquals(0, run.exitCode(), run::describe);
        return new ArrayList<>(run.stdoutText().lines().toList());
    }

    @Test
    void shouldSayWhyWhenTheUnprivilegedUserCannotWriteTheRecording() throws Exception
    {
        ItSupport.requireRoot();
        final Path evil = Path.of("/etc/httpcap-it-" + ProcessHandle.current().pid() + ".pcap");
        final ItSupport.Result run = ItSupport.httpcap("evil", List.of("live", "-i", "lo", "--user", "nobody", "--write",
            evil.toString(), "--duration", "1", "--stats-interval", "0"), null, dir, Duration.ofMinutes(1));
        assertEquals(1, run.exitCode(), run::describe);
        assertTrue(stderrLines(run).contains("httpcap: --write: cannot write '" + evil + "': permission denied (as user nobody)"),
            run::describe);
        assertFalse(Files.exists(evil));

        // read --write as well: the path is opened before the first frame, and the reason given.
        final ItSupport.Result read = ItSupport.httpcap("read-evil", List.of("read", DEMO.toString(), "--write",
            dir.resolve("none/x.pcap").toString()), null, dir, Duration.ofMinutes(1));
        assertEquals(1, read.exitCode(), read::describe);
        assertEquals(List.of("httpcap: --write: cannot write '" + dir.resolve("none/x.pcap") + "': no such file or directory"),
            stderrLines(read));
    }
}
