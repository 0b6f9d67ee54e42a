package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The zero-copy live path, frame for frame (scripts/live-replay-check.sh): a recording of nginx
 * under wrk (short connections) is sent into a veth by scripts/lib/replay_frames.py while
 * {@code bin/httpcap live} (AF_PACKET, the workers reading payloads in place in the kernel ring's
 * blocks) captures the other end; its events are held against {@code bin/httpcap read} of exactly
 * the frames sent. Well within capacity they are the same events. With a sink that stalls for a
 * while and a small kernel ring, the blocks are held until the pipeline moves again, the kernel
 * drops what it has no block for and counts it, and not one event of what was captured is corrupt.
 * <p>
 * That a block goes back only once every worker has passed it is proven by the pipeline's
 * {@code LentFramesTest}, whose source scribbles over every block given back: here, at a paced
 * rate, the kernel would rarely reuse a block given back too early before the workers had read it.
 */
class LiveReplayIT
{
    private static final int FRAMES = 16_000;
    private static final Pattern READ = Pattern.compile("(?m)^packets: (\\d+) read, (\\d+) decoded, (\\d+) dropped");
    private static final Pattern KERNEL = Pattern.compile(
        "(?m)^kernel: (\\d+) packets captured, (\\d+) dropped \\(ring full\\); blocks lent to the workers: at most (\\d+) of (\\d+)");
    private static final Pattern SENT = Pattern.compile("(?m)^replay_frames: sent (\\d+) frames");
    private static final Pattern EVENTS = Pattern.compile("(?m)^events: (\\d+) written, (\\d+) dropped");
    private static final Pattern STATS = Pattern.compile("(?m)^stats: ([\\d,]+) packets/s, .*kernel drops (\\d+), ring drops (\\d+),");
    private static final List<String> BODY = List.of("--body-bytes", "2048");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static Path frames;

    /** Records nginx under wrk on loopback and keeps {@link #FRAMES} frames of its "Connection: close" half. */
    @BeforeAll
    static void record(@TempDir final Path dir) throws Exception
    {
        ItSupport.requireTools("nginx", "wrk", "tcpdump", "curl", "ip", "python3");
        ItSupport.requireRoot();
        final Path recording = dir.resolve("nginx-wrk.pcap");
        final ItSupport.Result record = ItSupport.run("record", List.of(
            ItSupport.repoRoot().resolve("scripts/record-nginx-wrk.sh").toString(), recording.toString(), "2", "8"),
            null, dir, Duration.ofMinutes(2), Map.of());
        assertEquals(0, record.exitCode(), record::describe);
        frames = dir.resolve("frames.pcap");
        final long total = copyFrames(recording, null, 0, Long.MAX_VALUE);
        assertTrue(total > 2L * FRAMES, "a recording of " + total + " frames");
        // The last frames are wrk's second run, one request per connection: a lost frame costs its own
        // connection's record, never a neighbour's pairing.
        copyFrames(recording, frames, total - FRAMES - 2_000, FRAMES);
        Files.delete(recording);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldFindLiveExactlyTheEventsReadFromTheFramesSent(@TempDir final Path dir) throws Exception
    {
        final String report = replay(dir, List.of(), BODY);
        final long sent = group(SENT, report, 1);
        assertEquals(FRAMES, sent, report);
        final Matcher kernel = matcher(KERNEL, report);
        assertEquals(sent, Long.parseLong(kernel.group(1)), "the kernel saw every frame sent");
        assertEquals(0, Long.parseLong(kernel.group(2)), "kernel drops");
        assertTrue(Long.parseLong(kernel.group(3)) >= 1, "the workers read payloads in lent blocks:\n" + report);
        assertEquals(sent, group(READ, report, 1), "every frame read");
        assertEquals(0, group(READ, report, 3), "nothing dropped after reading (no ring_full)");
        assertEquals(0, group(EVENTS, report, 2), "no event dropped");

        final List<String> live = withoutCaptureTimes(Files.readAllLines(dir.resolve("events.ndjson")));
        final List<String> read = readSent(dir);
        assertTrue(read.size() > 500, read.size() + " events");
        assertEquals(read, live);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldHoldBlocksWhileTheSinkStallsThenGiveThemBackAndCountWhatTheKernelDropped(@TempDir final Path dir)
        throws Exception
    {
        // A 1 MiB kernel ring of 8 blocks, a 256-slot packet ring and a 64 KiB hand-off: a sink that
        // stalls for 1.5 s fills them all within a few hundred milliseconds of a 3 s replay.
        final List<String> options = new ArrayList<>(BODY);
        // The hand-off is at least eight of the largest events: a small one needs a small --max-event-kb too.
        options.addAll(List.of("--buffer-mb", "1", "--block-kb", "128", "--ring-slots", "256", "--event-buffer-kb", "64",
            "--max-event-kb", "8"));
        final String report = replay(dir, List.of("--slow-sink", "1.5"), options);
        final long sent = group(SENT, report, 1);
        final Matcher kernel = matcher(KERNEL, report);
        final long kernelDrops = Long.parseLong(kernel.group(2));
        assertEquals(sent, Long.parseLong(kernel.group(1)), "the kernel saw every frame sent");
        assertTrue(kernelDrops > 0, "the kernel ring overflowed while the sink stalled:\n" + report);
        assertEquals(8, Long.parseLong(kernel.group(4)));
        assertTrue(Long.parseLong(kernel.group(3)) >= 2, "blocks were held while the pipeline was full:\n" + report);
        assertEquals(sent, group(READ, report, 1) + kernelDrops, "every frame sent was read or counted as a kernel drop");
        assertEquals(0, group(READ, report, 3), "no drop at the packet ring: the capture thread waited instead");
        assertEquals(0, group(EVENTS, report, 2), "no event dropped at the hand-off");

        // The periodic line reported the kernel's drops, and frames kept coming through the 8 blocks
        // after the last of them: the held blocks went back to the kernel.
        boolean dropsReported = false;
        boolean capturedAfter = false;
        final Matcher stats = STATS.matcher(report);
        while (stats.find())
        {
            assertEquals("0", stats.group(3), "ring drops");
            if (Long.parseLong(stats.group(2)) == kernelDrops)
            {
                capturedAfter |= dropsReported && Long.parseLong(stats.group(1).replace(",", "")) > 0;
                dropsReported = true;
            }
        }
        assertTrue(dropsReported && capturedAfter, "kernel drops on the stats line, then capture again:\n" + report);

        // Whatever was captured is decoded as from the file: every event the loss did not touch (no tag but
        // body_truncated, which --body-bytes gives both) is one of the events read from the frames sent.
        // (The handshake aside: a lost SYN-ACK or ACK takes it away without touching any stream byte.)
        final Map<String, Integer> read = counts(readSent(dir).stream().map(LiveReplayIT::withoutHandshake).toList());
        int clean = 0;
        for (final String line : Files.readAllLines(dir.resolve("events.ndjson")))
        {
            final JsonNode event = MAPPER.readTree(line);
            boolean touched = false;
            for (final JsonNode tag : event.path("tags"))
            {
                touched |= !tag.asText().equals("body_truncated");
            }
            if (touched)
            {
                continue;
            }
            final String normal = withoutHandshake(withoutCaptureTimes(List.of(line)).get(0));
            final Integer left = read.get(normal);
            assertTrue(left != null && left > 0, "an event not read from the frames sent:\n" + line);
            read.put(normal, left - 1);
            clean++;
        }
        assertTrue(clean > 300, clean + " events untouched by the loss");
    }

    /**
     * A kernel ring too small for the packet ring: said at start-up, and the packet ring lowered to
     * what the kernel ring holds; with --no-zero-copy no block is lent, so nothing to say.
     */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void shouldSayAtStartUpAndLowerThePacketRingWhenTheKernelRingHoldsLess(@TempDir final Path dir) throws Exception
    {
        ItSupport.requireTools("unshare", "ip");
        ItSupport.requireRoot();
        final String live = "ip link set lo up; exec " + ItSupport.repoRoot().resolve("bin/httpcap") +
            " live -i lo --buffer-mb 1 --block-kb 128 --duration 0.3 --stats-interval 0 --sink file:" + dir.resolve("e.ndjson");
        // A network namespace of its own: loopback there carries nothing but what we send.
        final ItSupport.Result lent = ItSupport.run("small-ring", List.of("unshare", "--net", "sh", "-c", live),
            null, dir, Duration.ofSeconds(50), Map.of("HTTPCAP_NO_BUILD", "1"));
        assertEquals(0, lent.exitCode(), lent::describe);
        assertTrue(lent.stderrText().contains("httpcap: a full packet ring of 16384 slots could need more blocks than the " +
            "8 x 128 KiB kernel ring has (all but one hold 6363 of the smallest frames); --ring-slots lowered to 4096"),
            lent::describe);
        assertTrue(lent.stderrText().contains("blocks lent to the workers: at most 0 of 8"), lent::describe);

        final ItSupport.Result copied = ItSupport.run("small-ring-copy",
            List.of("unshare", "--net", "sh", "-c", live + " --no-zero-copy"), null, dir, Duration.ofSeconds(50),
            Map.of("HTTPCAP_NO_BUILD", "1"));
        assertEquals(0, copied.exitCode(), copied::describe);
        assertTrue(!copied.stderrText().contains("lowered"), copied::describe);
    }

    /** Run the script; @return its output: the replay's count, httpcap's exit status and report. */
    private static String replay(final Path dir, final List<String> scriptOptions, final List<String> httpcapOptions)
        throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(
            ItSupport.repoRoot().resolve("scripts/live-replay-check.sh").toString(), dir.toString(), frames.toString()));
        command.addAll(scriptOptions);
        command.add("--");
        command.addAll(httpcapOptions);
        final Map<String, String> env = new HashMap<>(Map.of("HTTPCAP_NO_BUILD", "1"));
        final String prefix = System.getenv("HTTPCAP_NETNS_PREFIX");
        if (prefix != null)
        {
            env.put("HTTPCAP_NETNS_PREFIX", prefix);
        }
        final ItSupport.Result run = ItSupport.run("live-replay", command, null, dir, Duration.ofMinutes(2), env);
        assertEquals(0, run.exitCode(), run::describe);
        System.out.println("LiveReplayIT " + dir.getFileName() + ":\n" +
            run.stdoutText().lines().filter(l -> !l.startsWith("stats:")).reduce("", (a, b) -> a + b + "\n"));
        return run.stdoutText();
    }

    /** @return the events of {@code bin/httpcap read} of the frames the replay sent, normalised and sorted. */
    private static List<String> readSent(final Path dir) throws Exception
    {
        final Path out = dir.resolve("read.ndjson");
        final List<String> args = new ArrayList<>(List.of("read", dir.resolve("sent.pcap").toString(), "--sink", "file:" + out));
        args.addAll(BODY);
        final ItSupport.Result read = ItSupport.httpcap("read", args, null, dir, Duration.ofMinutes(1));
        assertEquals(0, read.exitCode(), read::describe);
        return withoutCaptureTimes(Files.readAllLines(out));
    }

    /** Live, frames carry the time they were sent again; read, the time recorded: all else must agree. */
    private static List<String> withoutCaptureTimes(final List<String> lines) throws Exception
    {
        final List<String> out = ItSupport.withoutCaptureTimes(lines);
        out.sort(null);
        return out;
    }

    /** An event as {@link #withoutCaptureTimes} gives it, without {@code httpcap.timing.handshake}. */
    private static String withoutHandshake(final String event)
    {
        return event.replace("\"handshake\":true,", "").replace("\"handshake\":true", "");
    }

    private static Map<String, Integer> counts(final List<String> lines)
    {
        final Map<String, Integer> counts = new HashMap<>();
        for (final String line : lines)
        {
            counts.merge(line, 1, Integer::sum);
        }
        return counts;
    }

    private static Matcher matcher(final Pattern pattern, final String text)
    {
        final Matcher m = pattern.matcher(text);
        assertTrue(m.find(), pattern + " in:\n" + text);
        return m;
    }

    private static long group(final Pattern pattern, final String text, final int group)
    {
        return Long.parseLong(matcher(pattern, text).group(group));
    }

    /**
     * Copy {@code count} records of a classic little-endian pcap from record {@code first} on into
     * {@code to} (nothing written when null). @return the records in the file.
     */
    private static long copyFrames(final Path from, final Path to, final long first, final long count) throws IOException
    {
        try (InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(from), 1 << 20);
            DataInputStream in = new DataInputStream(raw);
            OutputStream file = to == null ? OutputStream.nullOutputStream() :
                new java.io.BufferedOutputStream(Files.newOutputStream(to), 1 << 20);
            DataOutputStream out = new DataOutputStream(file))
        {
            final byte[] header = new byte[24];
            in.readFully(header);
            assertEquals(0xd4, header[0] & 0xFF, "a little-endian classic pcap (tcpdump -w on this machine)");
            out.write(header);
            final byte[] recordHeader = new byte[16];
            long index = 0;
            while (in.read(recordHeader, 0, 1) == 1)
            {
                in.readFully(recordHeader, 1, 15);
                final int captured = (recordHeader[8] & 0xFF) | (recordHeader[9] & 0xFF) << 8 |
                    (recordHeader[10] & 0xFF) << 16 | (recordHeader[11] & 0xFF) << 24;
                if (to != null && index >= first && index < first + count)
                {
                    out.write(recordHeader);
                    final byte[] data = in.readNBytes(captured);
                    out.write(data);
                }
                else
                {
                    in.skipNBytes(captured);
                }
                index++;
            }
            return index;
        }
    }
}
