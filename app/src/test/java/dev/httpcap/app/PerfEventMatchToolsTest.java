package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two programs perf/live-capture-rates.sh holds a live step's events against a read of the
 * packets sent with: perf/PcapLoop.java (exactly the frames tcpreplay --loop=0 sent) and
 * perf/LiveEventMatch.java (events one for one, without what legitimately differs live).
 */
class PerfEventMatchToolsTest
{
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    /**
     * Seven frames of a three-frame file: the file from the top again after its end, time moving
     * forward from loop to loop, and a frame longer than the file's snapshot length cut to it, as
     * libpcap cuts it for tcpreplay.
     */
    @Test
    void shouldWriteTheFirstFramesOfTheFileLoopedCutToItsSnapshotLength(@TempDir final Path dir) throws Exception
    {
        final byte[][] frames = {frame(60, 1), frame(150, 2), frame(60, 3)};
        final long[] micros = {1_000_000, 1_500_000, 2_000_000};
        final ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(0xa1b2c3d4).putShort((short)2)
            .putShort((short)4).putInt(0).putInt(0).putInt(100).putInt(1).array());
        for (int i = 0; i < frames.length; i++)
        {
            file.write(record(micros[i], frames[i].length, frames[i].length));
            file.write(frames[i]);
        }
        final Path in = dir.resolve("in.pcap");
        Files.write(in, file.toByteArray());

        final ItSupport.Result run = ItSupport.run("pcap-loop",
            List.of(JAVA, ItSupport.repoRoot().resolve("perf/PcapLoop.java").toString(), in.toString(), "7"),
            null, dir, Duration.ofMinutes(1), Map.of());
        assertEquals(0, run.exitCode(), run::describe);
        final ByteBuffer out = ByteBuffer.wrap(Files.readAllBytes(run.stdout())).order(ByteOrder.LITTLE_ENDIAN);
        assertArrayEquals(Arrays.copyOf(file.toByteArray(), 24), Arrays.copyOf(out.array(), 24), "the file's header");
        out.position(24);
        long previous = -1;
        final long[] times = new long[7];
        for (int i = 0; i < 7; i++)
        {
            final byte[] sent = frames[i % 3];
            final long time = (out.getInt() & 0xFFFFFFFFL) * 1_000_000 + out.getInt();
            final int caplen = out.getInt();
            final int length = out.getInt();
            assertTrue(time > previous, "frame " + i + ": time moves forward");
            previous = time;
            times[i] = time;
            assertEquals(sent.length, length, "frame " + i + ": its length on the wire");
            assertEquals(Math.min(sent.length, 100), caplen, "frame " + i + ": cut to the snapshot length");
            final byte[] data = new byte[caplen];
            out.get(data);
            assertArrayEquals(Arrays.copyOf(sent, caplen), data, "frame " + i);
        }
        assertEquals(0, out.remaining(), "exactly seven frames");
        // Each loop moved by the file's span (1 s) + 1 ms: loop 2 starts 1 ms after loop 1's last frame.
        assertArrayEquals(new long[] {1_000_000, 1_500_000, 2_000_000, 2_001_000, 2_501_000, 3_001_000, 3_002_000}, times);
    }

    /** Live and read events equal but for capture times, ids, observer and timing values: no difference. */
    @Test
    void shouldMatchEventsThatDifferOnlyInWhatLiveCaptureLegitimatelyChanges(@TempDir final Path dir) throws Exception
    {
        final Path read1 = dir.resolve("read1.ndjson");
        final Path read2 = dir.resolve("read2.ndjson");
        Files.write(read1, List.of(read("10.0.0.1", 1, "[]"), read("10.0.0.1", 2, "[]"), read("10.0.0.1", 2, "[]")));
        Files.write(read2, List.of(read("10.0.1.1", 1, "[]")));
        final Path live = dir.resolve("live.ndjson");
        Files.write(live, List.of(live("10.0.1.1", 1, "[]"), live("10.0.0.1", 2, "[]"), live("10.0.0.1", 1, "[]"),
            live("10.0.0.1", 2, "[]")));
        assertEquals(List.of("match s1 read 3 live 3 missing 0 extra 0 duplicates 0",
            "match s2 read 1 live 1 missing 0 extra 0 duplicates 0"), match(dir, live, read1, read2));
    }

    /**
     * An event changed by a loss (a tag), one lost, one written twice and one of addresses no step
     * sent: each counted, for the step whose addresses it has.
     */
    @Test
    void shouldCountMissingExtraAndDuplicateEventsPerStep(@TempDir final Path dir) throws Exception
    {
        final Path read1 = dir.resolve("read1.ndjson");
        final Path read2 = dir.resolve("read2.ndjson");
        Files.write(read1, List.of(read("10.0.0.1", 1, "[]"), read("10.0.0.1", 2, "[]"), read("10.0.0.1", 3, "[]")));
        Files.write(read2, List.of(read("10.0.1.1", 1, "[]"), read("10.0.1.1", 2, "[]")));
        final Path live = dir.resolve("live.ndjson");
        Files.write(live, List.of(live("10.0.0.1", 1, "[]"), live("10.0.0.1", 2, "[\"gap\"]"), live("10.0.0.1", 3, "[]"),
            live("10.0.1.1", 1, "[]"), live("10.0.1.1", 1, "[]"), live("10.9.9.9", 1, "[]")));
        assertEquals(List.of("match s1 read 3 live 3 missing 1 extra 1 duplicates 0",
            "match s2 read 2 live 2 missing 1 extra 1 duplicates 1",
            "match - read 0 live 1 missing 0 extra 1 duplicates 0"), match(dir, live, read1, read2));
        assertTrue(Files.readString(dir.resolve("diff/s1.extra")).contains("\"tags\":[\"gap\"]"));
        assertTrue(Files.readString(dir.resolve("diff/s1.missing")).contains("\"trans_depth\":2"));
        assertTrue(Files.readString(dir.resolve("diff/s2.missing")).contains("\"trans_depth\":2"));
    }

    private static List<String> match(final Path dir, final Path live, final Path read1, final Path read2) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(JAVA,
            ItSupport.repoRoot().resolve("perf/LiveEventMatch.java").toString(), "--samples", dir.resolve("diff").toString(),
            live.toString(), "s1=" + read1, "s2=" + read2));
        final ItSupport.Result run = ItSupport.run("match", command, null, dir, Duration.ofMinutes(1), Map.of());
        assertEquals(0, run.exitCode(), run::describe);
        return run.stdoutText().lines().toList();
    }

    /** An event as `bin/httpcap read` writes it. */
    private static String read(final String client, final int depth, final String tags)
    {
        return "{\"@timestamp\":\"2026-11-25T06:59:50.066206000Z\",\"ecs\":{\"version\":\"9.4.0\"},\"event\":{\"kind\":\"event\"," +
            "\"category\":[\"network\",\"web\"],\"dataset\":\"http\",\"id\":\"Df8yGv5FyogP7ynBF-OfsY\"," +
            "\"start\":\"2026-11-25T06:59:50.066206000Z\",\"end\":\"2026-11-25T06:59:50.066759000Z\",\"duration\":553000," +
            "\"outcome\":\"success\"},\"source\":{\"ip\":\"" + client + "\",\"port\":59008,\"bytes\":85}," +
            "\"destination\":{\"ip\":\"10.255.0.1\",\"port\":80,\"bytes\":1264},\"network\":{\"transport\":\"tcp\"," +
            "\"community_id\":\"1:Nu3J6egA0A+K3l63+kmYZ60eOMY=\",\"bytes\":1349},\"url\":{\"original\":\"/1k.txt\"}," +
            "\"http\":{\"request\":{\"method\":\"GET\",\"headers\":{\"host\":\"a.test\"}},\"response\":{\"status_code\":200}}," +
            "\"tags\":" + tags + ",\"httpcap\":{\"trans_depth\":" + depth +
            ",\"timing\":{\"handshake\":27000,\"server\":449000,\"download\":104000}}}";
    }

    /** The same event as live capture writes it: other times and id, where it was captured, other timings. */
    private static String live(final String client, final int depth, final String tags)
    {
        return read(client, depth, tags)
            .replace("2026-11-25T06:59:50.066206000Z", "2026-12-06T16:00:00.000001000Z")
            .replace("2026-11-25T06:59:50.066759000Z", "2026-12-06T16:00:00.000101000Z")
            .replace("Df8yGv5FyogP7ynBF-OfsY", "zzzzGv5FyogP7ynBF-Ofzz")
            .replace("\"duration\":553000", "\"duration\":100000")
            .replace("\"handshake\":27000,\"server\":449000,\"download\":104000", "\"handshake\":3000,\"server\":7,\"download\":9")
            .replace("\"bytes\":1349}", "\"bytes\":1349,\"direction\":\"unknown\"}")
            .replace("\"tags\":", "\"observer\":{\"hostname\":\"h\",\"ingress\":{\"interface\":{\"name\":\"veth0\"}}," +
                "\"product\":\"httpcap\"},\"host\":{\"name\":\"h\"},\"tags\":");
    }

    private static byte[] frame(final int length, final int fill)
    {
        final byte[] frame = new byte[length];
        for (int i = 0; i < length; i++)
        {
            frame[i] = (byte)(fill * 31 + i);
        }
        return frame;
    }

    private static byte[] record(final long micros, final int caplen, final int length)
    {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt((int)(micros / 1_000_000))
            .putInt((int)(micros % 1_000_000)).putInt(caplen).putInt(length).array();
    }
}
