import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * What a flight recording of `httpcap live` says about allocation on the pipeline's threads after a
 * given moment (the end of the warm-up), for perf/live-alloc-jfr.sh:
 *
 *   java perf/JfrAllocations.java RECORDING.jfr FROM_EPOCH_MS [TO_EPOCH_MS]
 *
 * Prints, per thread of httpcap's (httpcap-capture*, httpcap-worker*, httpcap-sink), the bytes it
 * allocated between the first and the last jdk.ThreadAllocationStatistics reading inside the window
 * (the JVM's exact per-thread counter), and every jdk.ObjectAllocationSample inside the window from
 * those threads, grouped by class and top frames; the same samples before the window (warm-up) as a
 * count. (To see every allocation rather than samples, record with -XX:-UseTLAB and
 * jdk.ObjectAllocationOutsideTLAB#enabled=true: those events are counted the same way.) Exit status 0 always: the numbers are the result.
 */
public final class JfrAllocations
{
    public static void main(final String[] args) throws Exception
    {
        final Path file = Path.of(args[0]);
        final Instant from = Instant.ofEpochMilli(Long.parseLong(args[1]));
        final Instant to = args.length > 2 ? Instant.ofEpochMilli(Long.parseLong(args[2])) : Instant.MAX;
        final Map<String, long[]> allocated = new TreeMap<>(); // thread -> first, last reading in the window, first and last time
        final Map<String, Instant[]> readAt = new HashMap<>();
        final Map<String, Long> samples = new TreeMap<>();
        final Map<String, Long> sampleWeights = new HashMap<>();
        final Map<String, Long> warmSamples = new TreeMap<>();
        long gcPauses = 0;
        long gcPauseNanos = 0;
        long gcMaxNanos = 0;
        try (RecordingFile recording = new RecordingFile(file))
        {
            while (recording.hasMoreEvents())
            {
                final RecordedEvent event = recording.readEvent();
                final String type = event.getEventType().getName();
                final Instant at = event.getStartTime();
                if (type.equals("jdk.ThreadAllocationStatistics"))
                {
                    final String thread = event.getThread("thread") == null ? null : event.getThread("thread").getJavaName();
                    if (!ours(thread) || at.isBefore(from) || at.isAfter(to))
                    {
                        continue;
                    }
                    final long bytes = event.getLong("allocated");
                    final long[] range = allocated.computeIfAbsent(thread, t -> new long[] {bytes, bytes});
                    final Instant[] times = readAt.computeIfAbsent(thread, t -> new Instant[] {at, at});
                    if (at.isBefore(times[0]))
                    {
                        times[0] = at;
                        range[0] = bytes;
                    }
                    if (at.isAfter(times[1]))
                    {
                        times[1] = at;
                        range[1] = bytes;
                    }
                }
                else if (type.equals("jdk.ObjectAllocationSample") || type.equals("jdk.ObjectAllocationOutsideTLAB"))
                {
                    final String thread = event.getThread("eventThread") == null ? null : event.getThread("eventThread").getJavaName();
                    if (!ours(thread))
                    {
                        continue;
                    }
                    final StringBuilder key = new StringBuilder(thread).append(": ").append(event.getClass("objectClass").getName());
                    if (event.getStackTrace() != null)
                    {
                        final List<RecordedFrame> frames = event.getStackTrace().getFrames();
                        for (int i = 0; i < Math.min(5, frames.size()); i++)
                        {
                            final RecordedFrame f = frames.get(i);
                            key.append("\n      at ").append(f.getMethod().getType().getName()).append('.')
                                .append(f.getMethod().getName()).append(':').append(f.getLineNumber());
                        }
                    }
                    if (at.isBefore(from))
                    {
                        warmSamples.merge(thread.replaceAll("-\\d+(-\\d+)?$", ""), 1L, Long::sum);
                    }
                    else if (!at.isAfter(to))
                    {
                        samples.merge(key.toString(), 1L, Long::sum);
                        sampleWeights.merge(key.toString(),
                            event.hasField("weight") ? event.getLong("weight") : event.getLong("allocationSize"), Long::sum);
                    }
                }
                else if (type.equals("jdk.GarbageCollection") && !at.isBefore(from) && !at.isAfter(to))
                {
                    gcPauses++;
                    final long pause = event.getDuration("sumOfPauses").toNanos();
                    gcPauseNanos += pause;
                    gcMaxNanos = Math.max(gcMaxNanos, event.getDuration("longestPause").toNanos());
                }
            }
        }
        System.out.println("window: " + from + " .. " + (to == Instant.MAX ? "end of recording" : to.toString()));
        System.out.println("bytes allocated in the window (jdk.ThreadAllocationStatistics, first to last reading):");
        for (final Map.Entry<String, long[]> e : allocated.entrySet())
        {
            final Instant[] times = readAt.get(e.getKey());
            System.out.printf("  %-22s %,14d B over %.1f s%n", e.getKey(), e.getValue()[1] - e.getValue()[0],
                (times[1].toEpochMilli() - times[0].toEpochMilli()) / 1000.0);
        }
        System.out.println("jdk.ObjectAllocationSample from httpcap's threads during the warm-up: " + warmSamples);
        System.out.println("jdk.ObjectAllocationSample from httpcap's threads in the window: " +
            samples.values().stream().mapToLong(Long::longValue).sum());
        final List<Map.Entry<String, Long>> sorted = new ArrayList<>(samples.entrySet());
        sorted.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        for (final Map.Entry<String, Long> e : sorted)
        {
            System.out.printf("  %d sample(s), weight %,d B: %s%n", e.getValue(), sampleWeights.get(e.getKey()), e.getKey());
        }
        System.out.printf("garbage collections in the window: %d, pauses %.1f ms in all, longest %.1f ms%n",
            gcPauses, gcPauseNanos / 1e6, gcMaxNanos / 1e6);
    }

    private static boolean ours(final String thread)
    {
        return thread != null && (thread.startsWith("httpcap-capture") || thread.startsWith("httpcap-worker") ||
            thread.equals("httpcap-sink"));
    }
}
