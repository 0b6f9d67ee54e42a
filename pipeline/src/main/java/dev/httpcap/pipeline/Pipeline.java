package dev.httpcap.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.SleepingWaitStrategy;

import dev.httpcap.capture.PacketSource;
import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.EventSink;

/**
 * One capture pipeline: a capture thread reading a {@link PacketSource} into a Disruptor ring of
 * pre-allocated slots, N worker threads each owning the connections that hash to it, and a sink
 * thread writing the encoded events. {@link #run} drives it from the first packet to the final
 * report: when the source ends (or {@link #requestStop()} is called) the ring is drained, every
 * open connection is closed as "end of capture", and every sink is flushed.
 */
public final class Pipeline
{
    private static final int POLL_LIMIT = 256;

    private final PipelineConfig config;
    private final List<EventSink> sinks;
    private volatile boolean stopRequested;
    private volatile PacketSource runningSource;
    private volatile RingPublisher runningPublisher;
    private volatile Thread captureThread;
    private volatile List<FlowWorkerHandler> runningWorkers;
    private volatile EventHandoff runningHandoff;

    public Pipeline(final PipelineConfig config, final List<EventSink> sinks)
    {
        final int slotsPerLargestFrame = (PipelineConfig.MAX_FRAME_LENGTH + config.slotBytes() - 1) / config.slotBytes();
        if (config.ringSlots() < 2 * slotsPerLargestFrame)
        {
            throw new IllegalArgumentException("ring of " + config.ringSlots() + " slots of " + config.slotBytes() +
                " bytes cannot hold a " + PipelineConfig.MAX_FRAME_LENGTH + "-byte frame twice; use more or larger slots");
        }
        this.config = config;
        this.sinks = List.copyOf(sinks);
    }

    /** Ask a running pipeline to stop reading; it still drains, closes flows and flushes. Safe from any thread. */
    public void requestStop()
    {
        stopRequested = true;
        final Thread capture = captureThread;
        if (capture != null)
        {
            // Wakes a capture blocked on a pipe; the loop then sees the request and ends the capture.
            capture.interrupt();
        }
    }

    /** @return packets read so far by the running pipeline (for progress displays), or 0. */
    public long packetsReadSoFar()
    {
        final RingPublisher publisher = runningPublisher;
        return publisher == null ? 0 : publisher.packetsReadRelaxed();
    }

    /**
     * Counters of the running pipeline for a periodic statistics line, read without stopping it
     * (each is a recent value, not a consistent snapshot); null when nothing runs.
     */
    public LiveStats liveStats()
    {
        final RingPublisher publisher = runningPublisher;
        final List<FlowWorkerHandler> workers = runningWorkers;
        final EventHandoff handoff = runningHandoff;
        if (publisher == null || workers == null || handoff == null)
        {
            return null;
        }
        long flows = 0;
        long events = 0;
        for (final FlowWorkerHandler worker : workers)
        {
            flows += worker.activeFlowsRelaxed();
            events += worker.eventsRelaxed();
        }
        return new LiveStats(publisher.packetsReadRelaxed(), publisher.wireBytesReadRelaxed(), publisher.ringFullRelaxed(),
            flows, events, handoff.dropped(), handoff.ring().size());
    }

    /**
     * @param packets          frames read so far.
     * @param wireBytes        their length on the wire.
     * @param ringDrops        frames dropped because the workers were behind (drop policy).
     * @param activeFlows      connections currently held by the workers.
     * @param events           events produced so far.
     * @param eventDrops       events the sink hand-off could not take.
     * @param sinkBacklogBytes encoded events waiting for the sink thread.
     */
    public record LiveStats(
        long packets, long wireBytes, long ringDrops, long activeFlows, long events, long eventDrops, long sinkBacklogBytes)
    {
    }

    /** @return input bytes consumed so far by the running pipeline's source, or 0. */
    public long bytesReadSoFar()
    {
        final PacketSource source = runningSource;
        return source == null ? 0 : source.bytesConsumed();
    }

    /**
     * Read {@code source} to its end (or until stopped) through the whole pipeline.
     *
     * @return the counts of everything that happened; {@link PipelineReport#failure()} says if a thread failed.
     */
    public PipelineReport run(final PacketSource source) throws InterruptedException
    {
        final long startNanos = System.nanoTime();
        final int workers = config.workers();
        final int slotBytes = config.slotBytes();

        try (Arena arena = Arena.ofShared())
        {
            final long regionBytes = (long)config.ringSlots() * slotBytes + PipelineConfig.MAX_FRAME_LENGTH;
            final MemorySegment regionMemory = arena.allocate(regionBytes, 64);
            final UnsafeBuffer region = new UnsafeBuffer(regionMemory.address(), (int)regionBytes);

            final RingBuffer<PacketEvent> ring = RingBuffer.createSingleProducer(
                PacketEvent::new, config.ringSlots(), new SleepingWaitStrategy());
            final EventHandoff handoff = new EventHandoff(config.eventRingBytes(), config.eventBackPressure());
            final boolean json = sinks.stream().anyMatch(s -> s.format() == EventFormat.JSON);
            final boolean text = sinks.stream().anyMatch(s -> s.format() == EventFormat.TEXT);

            final CountDownLatch finished = new CountDownLatch(workers);
            final AtomicLong workerErrors = new AtomicLong();
            final AtomicReference<Throwable> firstWorkerError = new AtomicReference<>();
            final SequenceBarrier barrier = ring.newBarrier();
            final List<FlowWorkerHandler> handlers = new ArrayList<>(workers);
            final List<BatchEventProcessor<PacketEvent>> processors = new ArrayList<>(workers);
            for (int i = 0; i < workers; i++)
            {
                final FlowWorkerHandler handler = new FlowWorkerHandler(i, region, config, handoff, json, text, finished);
                final BatchEventProcessor<PacketEvent> processor =
                    new BatchEventProcessorBuilder().build(ring, barrier, handler);
                processor.setExceptionHandler(new WorkerExceptionHandler(workerErrors, firstWorkerError, finished));
                handlers.add(handler);
                processors.add(processor);
                ring.addGatingSequences(processor.getSequence());
            }

            final SinkRunner sinkRunner = new SinkRunner(handoff, sinks);
            final Thread sinkThread = config.threadFactory().newThread(sinkRunner);
            sinkThread.setName("httpcap-sink");
            sinkThread.start();

            final List<Thread> workerThreads = new ArrayList<>(workers);
            for (int i = 0; i < workers; i++)
            {
                final Thread thread = config.threadFactory().newThread(processors.get(i));
                thread.setName("httpcap-worker-" + i);
                workerThreads.add(thread);
                thread.start();
            }

            final RingPublisher publisher = new RingPublisher(
                ring, region, slotBytes, workers, config.packetBackPressure(), config.filter());
            final AtomicReference<Throwable> captureFailure = new AtomicReference<>();
            runningSource = source;
            runningWorkers = List.copyOf(handlers);
            runningHandoff = handoff;
            runningPublisher = publisher;
            final Thread capture = config.threadFactory().newThread(() -> capture(source, publisher, captureFailure));
            capture.setName("httpcap-capture");
            captureThread = capture;
            capture.start();
            if (stopRequested)
            {
                capture.interrupt();
            }
            capture.join();
            captureThread = null;

            finished.await();
            for (final BatchEventProcessor<PacketEvent> processor : processors)
            {
                processor.halt();
            }
            for (final Thread thread : workerThreads)
            {
                thread.join();
            }
            sinkRunner.producersDone();
            sinkThread.join();
            runningPublisher = null;
            runningWorkers = null;
            runningHandoff = null;
            runningSource = null;

            final Throwable failure = captureFailure.get() != null ? captureFailure.get() : sinkRunner.failure();
            return PipelineReport.of(
                System.nanoTime() - startNanos, source, publisher, handlers, handoff, sinks, workerErrors.get(),
                firstWorkerError.get(), failure);
        }
    }

    private void capture(final PacketSource source, final RingPublisher publisher, final AtomicReference<Throwable> failure)
    {
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 1_000_000);
        final long tick = config.clockTickNanos();
        long lastTick = System.nanoTime();
        try
        {
            while (!stopRequested && !source.isDone())
            {
                final int read = source.poll(publisher, POLL_LIMIT);
                publisher.publishProgress();
                if (tick > 0)
                {
                    final long now = System.nanoTime();
                    if (now - lastTick >= tick)
                    {
                        // Live capture: packet time is wall-clock time, and a worker whose shard is
                        // quiet must still see it pass to time out its idle connections.
                        publisher.publishClockTick(System.currentTimeMillis() * 1_000_000L);
                        lastTick = now;
                    }
                }
                idle.idle(read);
            }
        }
        catch (final Throwable ex)
        {
            failure.set(ex);
        }
        finally
        {
            // A stop request may have interrupted us; the interrupt has done its job, and the
            // end-of-capture publication below must not be disturbed by it.
            Thread.interrupted();
            publisher.publishProgress();
            publisher.publishEndOfCapture();
        }
    }

    /**
     * A bug in a worker must cost one packet, not the process: count it, keep the first, go on.
     * The end-of-capture event still releases the pipeline if it is the one that failed.
     */
    private static final class WorkerExceptionHandler implements ExceptionHandler<PacketEvent>
    {
        private final AtomicLong errors;
        private final AtomicReference<Throwable> first;
        private final CountDownLatch finished;

        WorkerExceptionHandler(final AtomicLong errors, final AtomicReference<Throwable> first, final CountDownLatch finished)
        {
            this.errors = errors;
            this.first = first;
            this.finished = finished;
        }

        @Override
        public void handleEventException(final Throwable ex, final long sequence, final PacketEvent event)
        {
            errors.incrementAndGet();
            first.compareAndSet(null, ex);
            if (event.slots == PacketEvent.END_OF_CAPTURE)
            {
                finished.countDown();
            }
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            first.compareAndSet(null, ex);
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            first.compareAndSet(null, ex);
        }
    }
}
