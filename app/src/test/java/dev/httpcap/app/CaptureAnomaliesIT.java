package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
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
 * Captures that are not what they should be: a retransmission carrying other bytes than the first
 * copy, cut by a snap length ({@code editcap -s}), damaged after a sound header, cut short, or a
 * pipe claiming a 256 MB record. What could be read is decoded and reported, and what is odd is
 * counted and tagged; a damaged file then fails the run with one line saying where, as tcpdump
 * does; nothing is buffered for a record that cannot be one.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CaptureAnomaliesIT
{
    private static final Path SAMPLE = ItSupport.repoRoot().resolve("samples/demo.pcap");
    private static final int SAMPLE_EVENTS = 5;

    /** The request is sent again with another target: the first copy is decoded, the conflict counted and tagged. */
    @Test
    void aRetransmissionWithOtherBytesIsCountedAndTagged(@TempDir final Path dir) throws IOException, InterruptedException
    {
        final int client = 0x0A000001;
        final int server = 0x0A000002;
        final byte[] request = "GET /first HTTP/1.1\r\nHost: example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        final byte[] again = "GET /other HTTP/1.1\r\nHost: example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        final byte[] response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
        final ByteArrayOutputStream pcap = new ByteArrayOutputStream();
        pcap.writeBytes(ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(0xA1B2C3D4).putShort((short)2)
            .putShort((short)4).putInt(0).putInt(0).putInt(262144).putInt(1).array());
        final long clientData = 1001 + request.length;
        final long serverData = 5001 + response.length;
        record(pcap, 1, frame(client, server, 40000, 80, 0x02, 1000, 0, new byte[0]));
        record(pcap, 2, frame(server, client, 80, 40000, 0x12, 5000, 1001, new byte[0]));
        record(pcap, 3, frame(client, server, 40000, 80, 0x10, 1001, 5001, new byte[0]));
        record(pcap, 4, frame(client, server, 40000, 80, 0x18, 1001, 5001, request));
        record(pcap, 5, frame(client, server, 40000, 80, 0x18, 1001, 5001, again));
        record(pcap, 6, frame(server, client, 80, 40000, 0x18, 5001, clientData, response));
        record(pcap, 7, frame(client, server, 40000, 80, 0x11, clientData, serverData, new byte[0]));
        record(pcap, 8, frame(server, client, 80, 40000, 0x11, serverData, clientData + 1, new byte[0]));
        record(pcap, 9, frame(client, server, 40000, 80, 0x10, clientData + 1, serverData + 1, new byte[0]));
        final Path file = Files.write(dir.resolve("conflict.pcap"), pcap.toByteArray());

        final ItSupport.Result run = ItSupport.httpcap("httpcap",
            List.of("read", file.toString(), "--flows", "--sink", "stdout:json"), null, dir, Duration.ofMinutes(2));
        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(run.stderrText().contains(" retransmitted=1 overlap_conflicts=1 "), run::describe);
        final List<String> events = httpEvents(run);
        assertEquals(1, events.size(), run::describe);
        assertTrue(events.get(0).contains("\"original\":\"/first\""), events.get(0));
        assertTrue(events.get(0).contains("\"tags\":[\"overlap_conflict\"]"), events.get(0));
        final List<String> flows = run.stdoutText().lines().filter(l -> l.contains("\"dataset\":\"flow\"")).toList();
        assertEquals(1, flows.size(), run::describe);
        assertTrue(flows.get(0).contains("\"tags\":[\"overlap_conflict\"]"), flows.get(0));
    }

    private static void record(final ByteArrayOutputStream pcap, final int second, final byte[] frame)
    {
        pcap.writeBytes(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(1_700_000_000 + second).putInt(0)
            .putInt(frame.length).putInt(frame.length).array());
        pcap.writeBytes(frame);
    }

    /** Ethernet, IPv4, TCP (no options); checksums left zero, as offloading leaves them in captures. */
    private static byte[] frame(
        final int src, final int dst, final int sport, final int dport, final int flags, final long seq, final long ack,
        final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20 + payload.length);
        b.put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).putShort((short)0x0800);
        b.put((byte)0x45).put((byte)0).putShort((short)(40 + payload.length)).putShort((short)0).putShort((short)0x4000)
            .put((byte)64).put((byte)6).putShort((short)0).putInt(src).putInt(dst);
        b.putShort((short)sport).putShort((short)dport).putInt((int)seq).putInt((int)ack)
            .put((byte)0x50).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
        b.put(payload);
        return b.array();
    }

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
            System.out.println("[CaptureAnomaliesIT] 256 MB bogus record on stdin: peak RSS " + rssKb / 1024 + " MB");
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
