package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Captures that are not what they should be: cut by a snap length ({@code editcap -s}), damaged
 * after a sound header, cut short, or a pipe claiming a 256 MB record. What could be read is
 * decoded and reported; a damaged file then fails the run with one line saying where, as tcpdump
 * does; nothing is buffered for a record that cannot be one.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DamagedCapturesIT
{
    private static final Path SAMPLE = ItSupport.repoRoot().resolve("samples/demo.pcap");
    private static final int SAMPLE_EVENTS = 5;

    @Test
    void snapLengthCutCaptureIsExplainedAndItsEventsTagged(@TempDir final Path dir) throws IOException, InterruptedException
    {
        ItSupport.requireTools("editcap", "tshark");
        final Path cut = dir.resolve("cut-120.pcap");
        final ItSupport.Result editcap = ItSupport.run("editcap",
            List.of("editcap", "-s", "120", SAMPLE.toString(), cut.toString()), null, dir, Duration.ofMinutes(1), Map.of());
        assertEquals(0, editcap.exitCode(), editcap::describe);
        final ItSupport.Result tshark = ItSupport.run("tshark",
            List.of("tshark", "-r", cut.toString(), "-Y", "frame.cap_len < frame.len", "-T", "fields", "-e", "frame.number"),
            null, dir, Duration.ofMinutes(1), Map.of());
        assertEquals(0, tshark.exitCode(), tshark::describe);
        final long cutFrames = tshark.stdoutText().lines().filter(l -> !l.isBlank()).count();
        assertTrue(cutFrames > 0, "editcap -s 120 should cut some of the sample's frames");

        final ItSupport.Result run = ItSupport.httpcap("httpcap", List.of("read", cut.toString(), "--sink", "stdout:json"),
            null, dir, Duration.ofMinutes(2));
        assertEquals(0, run.exitCode(), run::describe);
        final List<String> events = httpEvents(run);
        assertEquals(SAMPLE_EVENTS, events.size(), run::describe);
        for (final String event : events)
        {
            assertTrue(event.contains("\"tags\":[\"gap\",\"snaplen\"]"), event);
        }
        final List<String> snaplenLines = run.stderrText().lines().filter(l -> l.startsWith("snaplen: ")).toList();
        assertEquals(List.of("snaplen: " + cutFrames + " of 46 packets cut at 120 bytes by the capture's snap length; " +
            "the bytes they lost are gaps, their events tagged snaplen"), snaplenLines, run::describe);
    }

    @Test
    void garbageAfterTheRecordsIsReadUpToItThenFailsTheRun(@TempDir final Path dir) throws IOException, InterruptedException
    {
        final byte[] sample = Files.readAllBytes(SAMPLE);
        final byte[] damaged = Arrays.copyOf(sample, sample.length + 64);
        Arrays.fill(damaged, sample.length, damaged.length, (byte)0xFF);
        final Path file = Files.write(dir.resolve("trailing-garbage.pcap"), damaged);

        final ItSupport.Result run = read(dir, file);
        assertEquals(1, run.exitCode(), run::describe);
        assertEquals(SAMPLE_EVENTS, httpEvents(run).size(), run::describe);
        assertTrue(run.stderrText().contains("packets: 46 read, 46 decoded, 0 dropped"), run::describe);
        assertEquals("httpcap: '" + file + "' is damaged at byte " + sample.length + ": a record claims 4294967295 " +
            "captured bytes, more than the 262144 a frame may have; reading stopped there", lastLine(run), run::describe);
    }

    @Test
    void aSoundHeaderWithOnlyGarbageAfterItFailsTheRunAfterTheReport(@TempDir final Path dir)
        throws IOException, InterruptedException
    {
        final byte[] garbage = new byte[4096];
        new Random(13).nextBytes(garbage);
        System.arraycopy(Files.readAllBytes(SAMPLE), 0, garbage, 0, 24);
        final Path file = Files.write(dir.resolve("header-then-garbage.pcap"), garbage);

        final ItSupport.Result run = read(dir, file);
        assertEquals(1, run.exitCode(), run::describe);
        assertTrue(run.stderrText().contains("events: 0 written, 0 dropped"), run::describe);
        assertTrue(lastLine(run).startsWith("httpcap: '" + file + "' is damaged at byte 24: a record claims "), run::describe);
    }

    @Test
    void aFileCutShortFailsTheRunAfterTheReport(@TempDir final Path dir) throws IOException, InterruptedException
    {
        final byte[] sample = Files.readAllBytes(SAMPLE);
        final Path file = Files.write(dir.resolve("cut-short.pcap"), Arrays.copyOf(sample, sample.length - 10));

        final ItSupport.Result run = read(dir, file);
        assertEquals(1, run.exitCode(), run::describe);
        assertTrue(run.stderrText().contains("packets: 45 read"), run::describe);
        assertTrue(lastLine(run).matches("httpcap: '" + java.util.regex.Pattern.quote(file.toString()) +
            "' is cut short: it ends \\d+ bytes into the record at byte \\d+ \\(truncated dump file\\)"), run::describe);
    }

    /**
     * A pipe whose first record claims 256 MB (followed by that many bytes): the claim is damage, seen
     * in the record's header, so nothing of it is buffered. It took the resident set to 848 MB.
     */
    @Test
    void aHugeBogusRecordOnStandardInputIsNotBuffered(@TempDir final Path dir) throws IOException, InterruptedException
    {
        final int claimed = 256 * 1024 * 1024;
        final Path file = dir.resolve("huge-record.pcap");
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw"))
        {
            out.write(Files.readAllBytes(SAMPLE), 0, 24);
            out.write(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(0).putInt(claimed)
                .putInt(claimed).array());
            out.setLength(24 + 16 + (long)claimed); // sparse: the 256 MB of zeros take no disk
        }
        final List<String> command = new ArrayList<>();
        final boolean timed = Files.isExecutable(Path.of("/usr/bin/time"));
        if (timed)
        {
            command.addAll(List.of("/usr/bin/time", "-f", "maxrss_kb=%M"));
        }
        command.addAll(List.of(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "read", "-", "--sink", "stdout:json"));
        final ItSupport.Result run = ItSupport.run("httpcap", command, file, dir, Duration.ofMinutes(2),
            Map.of("HTTPCAP_NO_BUILD", "1"));

        assertEquals(1, run.exitCode(), run::describe);
        assertTrue(run.stderrText().contains("httpcap: standard input is damaged at byte 24: a record claims " + claimed +
            " captured bytes, more than the 262144 a frame may have; reading stopped there"), run::describe);
        if (timed)
        {
            final long rssKb = run.stderrText().lines().filter(l -> l.startsWith("maxrss_kb="))
                .mapToLong(l -> Long.parseLong(l.substring("maxrss_kb=".length()))).findFirst().orElseThrow();
            System.out.println("[DamagedCapturesIT] 256 MB bogus record on stdin: peak RSS " + rssKb / 1024 + " MB");
            assertTrue(rssKb < 200 * 1024, () -> "peak RSS " + rssKb / 1024 + " MB\n" + run.describe());
        }
    }

    private static ItSupport.Result read(final Path dir, final Path file) throws IOException, InterruptedException
    {
        return ItSupport.httpcap("httpcap", List.of("read", file.toString(), "--sink", "stdout:json"), null, dir,
            Duration.ofMinutes(2));
    }

    private static List<String> httpEvents(final ItSupport.Result run) throws IOException
    {
        return run.stdoutText().lines().filter(l -> l.contains("\"dataset\":\"http\"")).toList();
    }

    private static String lastLine(final ItSupport.Result run) throws IOException
    {
        final List<String> lines = run.stderrText().lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.getLast();
    }
}
