package dev.httpcap.pipeline;

import java.io.ByteArrayInputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingStream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.httpcap.capture.CaptureFileCounters;
import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.ConsumerProgress;
import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.FileSink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot path allocates nothing once warm (ARCHITECTURE invariant 1), checked on the whole
 * pipeline as live capture runs it: frames lent in place from native memory (as a TPACKET_V3 block
 * is), clock ticks, the block policy, a file sink, and HTTP connections coming and going. After a
 * warm-up, a JFR recording must show no allocation sample from the capture or worker threads, and
 * the JVM's per-thread allocation counters must stay under a byte per 10 packets.
 */
class SteadyStateAllocationTest
{
    private static final int CONNECTIONS = 300;
    private static final int WARM_LOOPS = 300;
    private static final int MEASURED_LOOPS = 300;

    @TempDir
    Path dir;

    @Test
    void shouldAllocateNothingOnTheCaptureAndWorkerThreadsOnceWarm() throws Exception
    {
        final PipelineTest.Capture capture = PipelineTest.httpConnections(CONNECTIONS);
        final List<Thread> hot = new CopyOnWriteArrayList<>();
        final List<Thread> sinkThreads = new CopyOnWriteArrayList<>();
        final PipelineConfig config = new PipelineConfig().workers(2).clockTickNanos(TimeUnit.MILLISECONDS.toNanos(100))
            .captureThreadFactory(recording(hot)).workerThreadFactory(recording(hot)).sinkThreadFactory(recording(sinkThreads));

        final Map<String, Integer> samples = new ConcurrentHashMap<>();
        final Map<String, Integer> sampledThreads = new ConcurrentHashMap<>();
        final Map<String, Integer> deoptimizations = new ConcurrentHashMap<>();
        final AtomicReference<Instant> from = new AtomicReference<>(Instant.MAX);
        final AtomicReference<Instant> to = new AtomicReference<>(Instant.MAX);
        final AtomicReference<Instant> lastFlush = new AtomicReference<>(Instant.MIN);
        final EventSink sink = new FileSink(dir.resolve("events.ndjson"), EventFormat.JSON, 0, 1);
        try (RecordingStream recording = new RecordingStream();
             LoopingSource source = new LoopingSource(capture.out.toByteArray()))
        {
            recording.enable("jdk.ObjectAllocationSample").with("throttle", "10000/s").withStackTrace();
            recording.onEvent("jdk.ObjectAllocationSample", event -> sample(event, from.get(), to.get(), samples, sampledThreads));
            // A compiled frame that is deoptimized has the objects escape analysis had removed
            // allocated for the interpreter (rematerialized), at the trap's line: seen twice, one
            // String each in 1.4 M packets, at lines that allocate nothing.
            recording.enable("jdk.Deoptimization").withStackTrace();
            recording.onEvent("jdk.Deoptimization", event -> deoptimization(event, from.get(), to.get(), deoptimizations));
            recording.onFlush(() -> lastFlush.set(Instant.now()));
            recording.startAsync();

            final Pipeline pipeline = new Pipeline(config, List.of(sink));
            final AtomicReference<PipelineReport> report = new AtomicReference<>();
            final AtomicReference<Throwable> failed = new AtomicReference<>();
            final Thread runner = Thread.ofPlatform().start(() ->
            {
                try
                {
                    report.set(pipeline.run(source));
                }
                catch (final Throwable ex)
                {
                    failed.set(ex);
                }
            });

            source.awaitLoop(WARM_LOOPS);
            final long[] before = allocated(hot);
            final long sinkBefore = allocated(sinkThreads)[0];
            final long packetsBefore = pipeline.packetsReadSoFar();
            from.set(Instant.now());
            source.awaitLoop(WARM_LOOPS + MEASURED_LOOPS);
            final long[] after = allocated(hot);
            final long sinkAfter = allocated(sinkThreads)[0];
            final long packets = pipeline.packetsReadSoFar() - packetsBefore;
            to.set(Instant.now());
            source.stop();
            runner.join();
            sink.close();
            // Samples arrive with the stream's flushes, about once a second.
            final Instant end = to.get().plusMillis(1500);
            final long flushDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (lastFlush.get().isBefore(end))
            {
                // Without the flush after the window, its samples could be missing and the test pass unseen.
                assertTrue(System.nanoTime() < flushDeadline, "the recording stream stopped flushing before the window's samples arrived");
                Thread.sleep(50);
            }

            assertNull(failed.get());
            assertNull(report.get().failure());
            assertEquals(0, report.get().eventsDropped());
            assertEquals(source.loops() * CONNECTIONS, report.get().eventsEmitted(), "one event per connection, every loop");
            long hotBytes = 0;
            final StringBuilder perThread = new StringBuilder();
            for (int i = 0; i < hot.size(); i++)
            {
                hotBytes += after[i] - before[i];
                perThread.append(hot.get(i).getName()).append(' ').append(after[i] - before[i]).append(" B; ");
            }
            final String measured = packets + " packets, " + perThread + "sink thread " + (sinkAfter - sinkBefore) + " B";
            System.out.println("steady state: " + measured + "; JFR allocation samples on the hot threads: " + samples);
            assertTrue(packets > (long)MEASURED_LOOPS / 2 * capture.packets, measured);
            // None, or the few a deoptimization of that thread in the window rematerialized: an
            // allocation per packet or event would give thousands of samples (and fail the bound below).
            final int sampleCount = samples.values().stream().mapToInt(Integer::intValue).sum();
            final boolean deoptimized = sampledThreads.keySet().stream().allMatch(t -> deoptimizations.keySet().stream()
                .anyMatch(d -> d.startsWith(t + " ")));
            System.out.println("steady state: deoptimizations of the hot threads in the window: " + deoptimizations);
            assertTrue(sampleCount == 0 || (sampleCount <= 3 && deoptimized), "allocation samples from the capture and " +
                "worker threads once warm (thread, allocated class and top frames: count): " + new TreeMap<>(samples) +
                "; deoptimizations of those threads in the window: " + new TreeMap<>(deoptimizations) + "; " + measured);
            // The per-thread counters include allocations too few to be sampled (seen: up to 8.7 KB once, a pool
            // growing); a packet costs no bytes: one 24-byte object a packet would be 240 times this bound.
            assertTrue(hotBytes < packets / 10, "capture and worker threads allocated " + hotBytes + " bytes; " + measured);
        }
        finally
        {
            sink.close();
        }
    }

    private static void deoptimization(
        final RecordedEvent event, final Instant from, final Instant to, final Map<String, Integer> deoptimizations)
    {
        if (event.getStartTime().isBefore(from) || event.getStartTime().isAfter(to) || event.getThread("eventThread") == null)
        {
            return;
        }
        final String thread = event.getThread("eventThread").getJavaName();
        if (thread != null && (thread.startsWith("httpcap-capture") || thread.startsWith("httpcap-worker")))
        {
            final String method = event.getValue("method") instanceof jdk.jfr.consumer.RecordedMethod m ?
                m.getType().getName().replaceAll(".*\\.", "") + "." + m.getName() : "?";
            deoptimizations.merge(thread + " " + method + ":" + event.getValue("lineNumber") + " " +
                event.getValue("reason") + "/" + event.getValue("action"), 1, Integer::sum);
        }
    }

    private static void sample(
        final RecordedEvent event, final Instant from, final Instant to, final Map<String, Integer> samples,
        final Map<String, Integer> sampledThreads)
    {
        if (event.getStartTime().isBefore(from) || event.getStartTime().isAfter(to) || event.getThread("eventThread") == null)
        {
            return;
        }
        final String thread = event.getThread("eventThread").getJavaName();
        if (thread == null || !(thread.startsWith("httpcap-capture") || thread.startsWith("httpcap-worker")))
        {
            return;
        }
        final List<RecordedFrame> top = event.getStackTrace() == null ? List.of() : event.getStackTrace().getFrames();
        if (!top.isEmpty() && top.getFirst().getMethod().getType().getName().endsWith("$LoopingSource"))
        {
            return; // this test's stand-in for the kernel, not the pipeline (seen: one 72-byte String in 1.4 M packets)
        }
        final StringBuilder key = new StringBuilder(thread.replaceAll("-\\d+$", "")).append(' ')
            .append(event.getClass("objectClass").getName());
        if (event.getStackTrace() != null)
        {
            final List<RecordedFrame> frames = event.getStackTrace().getFrames();
            for (int i = 0; i < Math.min(6, frames.size()); i++)
            {
                key.append(" < ").append(frames.get(i).getMethod().getType().getName().replaceAll(".*\\.", ""))
                    .append('.').append(frames.get(i).getMethod().getName()).append(':').append(frames.get(i).getLineNumber());
            }
        }
        samples.merge(key.toString(), 1, Integer::sum);
        sampledThreads.merge(thread, 1, Integer::sum);
    }

    private static ThreadFactory recording(final List<Thread> threads)
    {
        return task ->
        {
            final Thread thread = new Thread(task);
            threads.add(thread);
            return thread;
        };
    }

    /** @return bytes each thread has allocated so far. */
    private static long[] allocated(final List<Thread> threads)
    {
        final com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long[] bytes = new long[Math.max(1, threads.size())];
        for (int i = 0; i < threads.size(); i++)
        {
            bytes[i] = bean.getThreadAllocatedBytes(threads.get(i).threadId());
        }
        return bytes;
    }

    /**
     * A capture's frames, held in native memory and lent in place as an AF_PACKET ring's are, over
     * and over: every loop later in time by the capture's span and a millisecond, so that every loop's
     * connections are new ones, until {@link #stop()}.
     */
    private static final class LoopingSource implements PacketSource
    {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment memory;
        private final int[] offsets;
        private final int[] lengths;
        private final long[] timestamps;
        private final int linkType;
        private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        private final CaptureFileCounters counters = new CaptureFileCounters();
        private final long span;
        private int next;
        private volatile long loops;
        private volatile boolean stopping;
        private volatile boolean stopped;

        LoopingSource(final byte[] pcap) throws Exception
        {
            final List<byte[]> frames = new ArrayList<>();
            final List<Long> times = new ArrayList<>();
            final int[] link = new int[1];
            try (PacketSource file = CaptureFiles.open(new ByteArrayInputStream(pcap), "pipe"))
            {
                while (!file.isDone())
                {
                    file.poll((frame, offset, capturedLength, wireLength, timestampNanos, linkType, interfaceId) ->
                    {
                        final byte[] copy = new byte[capturedLength];
                        frame.getBytes(offset, copy);
                        frames.add(copy);
                        times.add(timestampNanos);
                        link[0] = linkType;
                    }, 256);
                }
            }
            linkType = link[0];
            offsets = new int[frames.size()];
            lengths = new int[frames.size()];
            timestamps = new long[frames.size()];
            int total = 0;
            for (final byte[] frame : frames)
            {
                total += frame.length;
            }
            memory = arena.allocate(total, 64);
            int at = 0;
            for (int i = 0; i < frames.size(); i++)
            {
                offsets[i] = at;
                lengths[i] = frames.get(i).length;
                // From now on, as a live capture's are: the clock ticks carry the wall clock.
                timestamps[i] = times.get(i) - times.get(0) + System.currentTimeMillis() * 1_000_000L;
                MemorySegment.copy(MemorySegment.ofArray(frames.get(i)), 0, memory, at, lengths[i]);
                at += lengths[i];
            }
            span = timestamps[timestamps.length - 1] - timestamps[0] + TimeUnit.MILLISECONDS.toNanos(1);
        }

        @Override
        public boolean holdFrames(final ConsumerProgress progress)
        {
            // The frames never change: lent for ever, as a ring block is until given back.
            return true;
        }

        @Override
        public int poll(final PacketHandler handler, final int limit)
        {
            int read = 0;
            while (read < limit && !stopped)
            {
                view.wrap(memory.address() + offsets[next], lengths[next]);
                handler.onPacket(view, 0, lengths[next], lengths[next], timestamps[next] + loops * span, linkType, 0);
                read++;
                if (++next == offsets.length)
                {
                    next = 0;
                    loops++;
                    stopped = stopping;
                }
            }
            return read;
        }

        void awaitLoop(final long loop) throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (loops < loop)
            {
                if (System.nanoTime() > deadline)
                {
                    throw new AssertionError("loop " + loop + " not reached in 120 s: " + loops);
                }
                Thread.sleep(1);
            }
        }

        /** Ends the capture at the end of the loop under way. */
        void stop()
        {
            stopping = true;
        }

        long loops()
        {
            return loops;
        }

        @Override
        public boolean isDone()
        {
            return stopped;
        }

        @Override
        public long bytesConsumed()
        {
            return 0;
        }

        @Override
        public long totalBytes()
        {
            return -1;
        }

        @Override
        public CaptureFileCounters fileCounters()
        {
            return counters;
        }

        @Override
        public void close()
        {
            arena.close();
        }
    }
}
