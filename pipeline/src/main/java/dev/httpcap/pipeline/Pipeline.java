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
import dev.httpcap.decoders.tcp.LazyMemory;
import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.EventSink;

/**
 * One capture pipeline: a capture thread reading a {@link PacketSource} into a Disruptor ring of
 * pre-allocated slots, N worker threads each owning the connections that hash to it, and a sink
 * thread writing the encoded events. {@link #run} drives it from the first packet to the final
 * report: when the source ends (or {@link #requestStop()} is called) the ring is drained, every
 * open connection is closed as "end of capture", and every sink is flushed.
 * <p>
 * {@link #run(List)} runs several such <em>lanes</em> side by side, one per source (AF_PACKET
 * fanout: the kernel splits an interface by flow hash over K sockets): each lane has its own
 * capture thread, ring and N workers, and nothing is shared between lanes except the hand-off to
 * the one sink thread, which many producers may write. The report adds the lanes up.
 */
public final class Pipeline
{
    private static final int POLL_LIMIT = 256;

    private final PipelineConfig config;
    private final List<EventSink> sinks;
    /**
     * A worker with nothing to do spins, yields, then sleeps this long between looks at the ring.
     * The Disruptor's default of 100 ns becomes the kernel's timer slack (~50 us): ~20,000 wake-ups
     * a second per idle worker on a quiet link. 200 us is far below what the ring holds at any
     * rate the capture thread reaches (16,384 slots), and below the sink's own batching.
     */
    private static final int WAIT_RETRIES = 200;
    private static final long WAIT_SLEEP_NANOS = 200_000;

    private volatile boolean stopRequested;
    private volatile List<? extends PacketSource> runningSources;
    private volatile List<RingPublisher> runningPublishers;
    private volatile List<Thread> captureThreads;
    private volatile List<FlowWorkerHandler> runningWorkers;
    private volatile EventHandoff runningHandoff;
    private volatile CaptureLatency runningLatency;
    private volatile List<RingPublisher> lastPublishers = List.of();
    private volatile EventHandoff lastHandoff;
    private volatile GcPauses gcPauses;
    private final java.util.concurrent.atomic.AtomicReference<dev.httpcap.decoders.http.HeaderRules> headerRules =
        new java.util.concurrent.atomic.AtomicReference<>();
    private final CounterRegistry counters = new CounterRegistry();
    private final CaptureLatency latency = new CaptureLatency();

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

    /**
     * Change the header fields kept and the values redacted, on every worker, while the pipeline
     * runs (SIGHUP): each worker takes the new rules between two batches of packets, on its own
     * thread, so the hot path reads one reference per batch and allocates nothing. Any thread;
     * before {@link #run} it sets the rules the run starts with.
     */
    public void reload(final dev.httpcap.decoders.http.HeaderRules rules)
    {
        headerRules.set(rules);
    }

    /**
     * @return the registry of this pipeline's counters: its parts' are registered when {@link #run}
     * starts, and a caller may add its own (a live source's kernel counters) at any time. Read from
     * any thread, during the run and after it.
     */
    public CounterRegistry counters()
    {
        return counters;
    }

    /**
     * The capture-to-written latency of every event written so far, as histogram buckets: fills
     * {@code counts[i]} with the events at most {@code upperBoundsNanos[i]}, and the element after
     * the last bound with all of them. Any thread.
     *
     * @return the sum of their latencies in nanoseconds (within the histogram's 3 significant digits).
     */
    public double latencyHistogram(final long[] upperBoundsNanos, final long[] counts)
    {
        return latency.cumulative(upperBoundsNanos, counts);
    }

    /** Ask a running pipeline to stop reading; it still drains, closes flows and flushes. Safe from any thread. */
    public void requestStop()
    {
        stopRequested = true;
        final List<Thread> captures = captureThreads;
        if (captures != null)
        {
            for (final Thread capture : captures)
            {
                // Wakes a capture blocked on a pipe; the loop then sees the request and ends the capture.
                capture.interrupt();
            }
        }
    }

    /** @return whether {@link #run} is reading (its threads started, its sources not yet at their end). */
    public boolean isRunning()
    {
        return runningPublishers != null && captureThreads != null;
    }

    /** @return packets read so far by the running pipeline, all lanes (for progress displays), or 0. */
    public long packetsReadSoFar()
    {
        final List<RingPublisher> publishers = runningPublishers;
        long packets = 0;
        if (publishers != null)
        {
            for (final RingPublisher publisher : publishers)
            {
                packets += publisher.packetsReadRelaxed();
            }
        }
        return packets;
    }

    /** @return the sinks, for their own counts ({@link EventSink#progress()}). */
    public List<EventSink> sinks()
    {
        return sinks;
    }

    /**
     * Counters of the running pipeline for a periodic statistics line, all lanes added up, read
     * without stopping it (each is a recent value, not a consistent snapshot); null when nothing runs.
     * The latency is of the events written since the previous call: one caller should poll this.
     */
    public LiveStats liveStats()
    {
        final List<RingPublisher> publishers = runningPublishers;
        final List<FlowWorkerHandler> workers = runningWorkers;
        final EventHandoff handoff = runningHandoff;
        final CaptureLatency latency = runningLatency;
        if (publishers == null || workers == null || handoff == null || latency == null)
        {
            return null;
        }
        long packets = 0;
        long wireBytes = 0;
        long ringDrops = 0;
        for (final RingPublisher publisher : publishers)
        {
            packets += publisher.packetsReadRelaxed();
            wireBytes += publisher.wireBytesReadRelaxed();
            ringDrops += publisher.ringFullRelaxed();
        }
        long flows = 0;
        long events = 0;
        for (final FlowWorkerHandler worker : workers)
        {
            flows += worker.activeFlowsRelaxed();
            events += worker.eventsRelaxed();
        }
        return new LiveStats(
            packets, wireBytes, ringDrops, flows, events, handoff.dropped(), handoff.backlogBytes(), latency.sinceLastCall());
    }

    /**
     * @param packets          frames read so far.
     * @param wireBytes        their length on the wire.
     * @param ringDrops        frames dropped because the workers were behind (drop policy).
     * @param activeFlows      connections currently held by the workers.
     * @param events           events produced so far.
     * @param eventDrops       events the sink hand-off could not take.
     * @param sinkBacklogBytes encoded events waiting for the sink thread.
     * @param latency          capture-to-written latency of the events written since the previous call.
     */
    public record LiveStats(
        long packets, long wireBytes, long ringDrops, long activeFlows, long events, long eventDrops, long sinkBacklogBytes,
        Latency latency)
    {
    }

    /**
     * What held the pipeline up, of the current run or the last one: the JVM's stop-the-world
     * collections, the capture thread's waits for room in its ring, the workers' waits for room in
     * the hand-off to the sinks. Recent values; any thread.
     */
    public Stalls stalls()
    {
        final GcPauses pauses = gcPauses;
        final EventHandoff handoff = lastHandoff;
        long captureStalls = 0;
        long captureNanos = 0;
        for (final RingPublisher publisher : lastPublishers)
        {
            captureStalls += publisher.stalls();
            captureNanos += publisher.stallNanos();
        }
        return new Stalls(pauses == null ? 0 : pauses.pauses(), pauses == null ? 0 : pauses.pauseMillis(),
            pauses == null ? 0 : pauses.maxPauseMillis(), captureStalls, captureNanos,
            handoff == null ? 0 : handoff.stalls(), handoff == null ? 0 : handoff.stallNanos());
    }

    /**
     * @param gcPauses          stop-the-world garbage collections.
     * @param gcPauseMillis     their total duration.
     * @param gcMaxPauseMillis  the longest.
     * @param captureStalls     times a capture thread waited for its workers (block policy; the kernel ring buffered).
     * @param captureStallNanos how long in all.
     * @param handoffStalls     times a worker waited for the sink thread (block policy).
     * @param handoffStallNanos how long in all.
     */
    public record Stalls(
        long gcPauses, long gcPauseMillis, long gcMaxPauseMillis, long captureStalls, long captureStallNanos,
        long handoffStalls, long handoffStallNanos)
    {
        /** @return {@code "gc pauses 3 (12 ms, longest 6 ms), capture waits 120 (34.1 ms), sink waits 0 (0.0 ms)"}. */
        public String describe()
        {
            return "gc pauses " + gcPauses + " (" + gcPauseMillis + " ms, longest " + gcMaxPauseMillis + " ms), capture waits " +
                captureStalls + " (" + millis(captureStallNanos) + " ms), sink waits " + handoffStalls + " (" +
                millis(handoffStallNanos) + " ms)";
        }

        private static String millis(final long nanos)
        {
            return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
        }
    }

    /** @return input bytes consumed so far by the running pipeline's sources, or 0. */
    public long bytesReadSoFar()
    {
        final List<? extends PacketSource> sources = runningSources;
        long bytes = 0;
        if (sources != null)
        {
            for (final PacketSource source : sources)
            {
                bytes += source.bytesConsumed();
            }
        }
        return bytes;
    }

    /**
     * Read {@code source} to its end (or until stopped) through the whole pipeline.
     *
     * @return the counts of everything that happened; {@link PipelineReport#failure()} says if a thread failed.
     */
    public PipelineReport run(final PacketSource source) throws InterruptedException
    {
        return run(List.of(source));
    }

    /**
     * Read every source to its end (or until stopped), each through its own lane: its own capture
     * thread, ring and {@link PipelineConfig#workers()} workers; the lanes share the sinks. The
     * sources must split the traffic by connection (as AF_PACKET fanout in hash mode does), since a
     * connection seen by two lanes would be tracked twice.
     *
     * @return the counts of everything that happened, all lanes added up.
     */
    public PipelineReport run(final List<? extends PacketSource> sources) throws InterruptedException
    {
        if (sources.isEmpty())
        {
            throw new IllegalArgumentException("no packet source");
        }
        final long startNanos = System.nanoTime();
        final int lanes = sources.size();
        final int workers = config.workers();
        final int slotBytes = config.slotBytes();

        try (Arena arena = Arena.ofShared(); GcPauses pauses = new GcPauses())
        {
            final EventHandoff handoff = new EventHandoff(
                EventHandoff.capacityFor(config.eventRingBytes(), config.maxEventBytes()), config.eventBackPressure());
            final boolean json = sinks.stream().anyMatch(s -> s.format() == EventFormat.JSON);
            final boolean text = sinks.stream().anyMatch(s -> s.format() == EventFormat.TEXT);

            final CountDownLatch finished = new CountDownLatch(lanes * workers);
            final AtomicLong workerErrors = new AtomicLong();
            final AtomicReference<Throwable> firstWorkerError = new AtomicReference<>();
            final List<FlowWorkerHandler> handlers = new ArrayList<>(lanes * workers);
            final List<BatchEventProcessor<PacketEvent>> processors = new ArrayList<>(lanes * workers);
            final List<RingPublisher> publishers = new ArrayList<>(lanes);
            final List<RingBuffer<PacketEvent>> rings = new ArrayList<>(lanes);
            final AtomicReference<Throwable> workerDeath = new AtomicReference<>();
            for (int lane = 0; lane < lanes; lane++)
            {
                final long regionBytes = (long)config.ringSlots() * slotBytes + PipelineConfig.MAX_FRAME_LENGTH;
                final MemorySegment regionMemory = LazyMemory.allocate(arena, regionBytes);
                final UnsafeBuffer region = new UnsafeBuffer(regionMemory.address(), (int)regionBytes);
                final RingBuffer<PacketEvent> ring = RingBuffer.createSingleProducer(
                    PacketEvent::new, config.ringSlots(), new SleepingWaitStrategy(WAIT_RETRIES, WAIT_SLEEP_NANOS));
                rings.add(ring);
                final SequenceBarrier barrier = ring.newBarrier();
                for (int i = 0; i < workers; i++)
                {
                    final FlowWorkerHandler handler = new FlowWorkerHandler(i, config, handoff, json, text, finished);
                    handler.headerRules(headerRules);
                    final BatchEventProcessor<PacketEvent> processor =
                        new BatchEventProcessorBuilder().build(ring, barrier, handler);
                    processor.setExceptionHandler(new WorkerExceptionHandler(workerErrors, firstWorkerError, handler));
                    handlers.add(handler);
                    processors.add(processor);
                    ring.addGatingSequences(processor.getSequence());
                }
                // After the workers' sequences gate the ring: a lending source waits for the slowest of them.
                publishers.add(new RingPublisher(ring, region, slotBytes, workers, config.packetBackPressure(),
                    config.filter(), sources.get(lane)));
            }

            PipelineCounters.register(counters, publishers, handlers, workers, handoff, sinks);
            pauses.register(counters);
            gcPauses = pauses;
            lastPublishers = List.copyOf(publishers);
            lastHandoff = handoff;
            final SinkRunner sinkRunner = new SinkRunner(handoff, sinks, latency);
            final Thread sinkThread = config.sinkThreadFactory().newThread(sinkRunner);
            sinkThread.setName("httpcap-sink");
            sinkThread.start();

            final List<Thread> workerThreads = new ArrayList<>(lanes * workers);
            for (int i = 0; i < processors.size(); i++)
            {
                final BatchEventProcessor<PacketEvent> processor = processors.get(i);
                final RingBuffer<PacketEvent> ring = rings.get(i / workers);
                final FlowWorkerHandler handler = handlers.get(i);
                final Thread thread = config.workerThreadFactory().newThread(processor);
                thread.setName(lanes == 1 ? "httpcap-worker-" + i : "httpcap-worker-" + i / workers + "-" + i % workers);
                thread.setUncaughtExceptionHandler(
                    (dead, ex) -> workerDied(dead, ex, ring, processor, handler, workerDeath));
                workerThreads.add(thread);
                thread.start();
            }

            final AtomicReference<Throwable> captureFailure = new AtomicReference<>();
            runningSources = List.copyOf(sources);
            runningWorkers = List.copyOf(handlers);
            runningHandoff = handoff;
            runningLatency = latency;
            runningPublishers = List.copyOf(publishers);
            final List<Thread> captures = new ArrayList<>(lanes);
            for (int lane = 0; lane < lanes; lane++)
            {
                final PacketSource source = sources.get(lane);
                final RingPublisher publisher = publishers.get(lane);
                final Thread capture = config.captureThreadFactory().newThread(
                    () -> capture(source, publisher, captureFailure));
                capture.setName(lanes == 1 ? "httpcap-capture" : "httpcap-capture-" + lane);
                captures.add(capture);
            }
            captureThreads = List.copyOf(captures);
            for (final Thread capture : captures)
            {
                capture.start();
            }
            if (stopRequested)
            {
                requestStop();
            }
            for (final Thread capture : captures)
            {
                capture.join();
            }
            captureThreads = null;

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
            runningPublishers = null;
            runningWorkers = null;
            runningHandoff = null;
            runningLatency = null;
            runningSources = null;

            final Throwable failure = captureFailure.get() != null ? captureFailure.get() :
                workerDeath.get() != null ? workerDeath.get() : sinkRunner.failure();
            return PipelineReport.of(
                System.nanoTime() - startNanos, sources, publishers, handlers, handoff, sinks, latency.total(),
                workerErrors.get(), firstWorkerError.get(), failure);
        }
    }

    /**
     * A worker thread ended with an exception the Disruptor did not catch (an error inside its
     * exception handling, or one thrown by the thread factory's own code): its packets can no
     * longer be decoded. Reading stops and the run ends with the failure, instead of the capture
     * thread waiting forever for room the dead worker will never make: its sequence no longer
     * holds the ring back, and its end of capture is counted as done. Runs on the dying thread.
     */
    private void workerDied(
        final Thread dead, final Throwable ex, final RingBuffer<PacketEvent> ring,
        final BatchEventProcessor<PacketEvent> processor, final FlowWorkerHandler handler,
        final AtomicReference<Throwable> workerDeath)
    {
        workerDeath.compareAndSet(null, new IllegalStateException(
            "worker thread " + dead.getName() + " died, so reading stopped: " + ex, ex));
        // Stop first: once the dead sequence no longer holds the ring back, the capture thread would
        // otherwise race on through the input while this thread is descheduled.
        requestStop();
        ring.removeGatingSequence(processor.getSequence());
        handler.abandon();
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
                publisher.startBatch();
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
            failure.compareAndSet(null, ex);
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
        private final FlowWorkerHandler worker;

        WorkerExceptionHandler(final AtomicLong errors, final AtomicReference<Throwable> first, final FlowWorkerHandler worker)
        {
            this.errors = errors;
            this.first = first;
            this.worker = worker;
        }

        @Override
        public void handleEventException(final Throwable ex, final long sequence, final PacketEvent event)
        {
            errors.incrementAndGet();
            first.compareAndSet(null, ex);
            if (event.slots == PacketEvent.END_OF_CAPTURE)
            {
                worker.abandon();
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
