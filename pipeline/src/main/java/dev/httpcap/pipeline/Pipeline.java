package dev.httpcap.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.UnsafeBuffer;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import com.sun.management.ThreadMXBean;

import dev.httpcap.capture.PacketSource;
import dev.httpcap.common.Frames;
import dev.httpcap.common.LazyMemory;
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
    private static final int SLOTS_MEASURED = 1_025;
    private final PipelineConfig config;
    private final List<EventSink> sinks;

    private volatile boolean stopRequested;
    private volatile List<? extends PacketSource> runningSources;
    private volatile List<RingPublisher> runningPublishers;
    private volatile List<Thread> captureThreads;
    private volatile CaptureLatency runningLatency;
    private volatile List<RingPublisher> lastPublishers = List.of();
    private volatile EventHandoff lastHandoff;
    private volatile GcPauses gcPauses;
    private final java.util.concurrent.atomic.AtomicReference<dev.httpcap.decoders.http.HeaderRules> headerRules =
        new java.util.concurrent.atomic.AtomicReference<>();
    private final CounterRegistry counters = new CounterRegistry();
    private boolean ran;
    private final CaptureLatency latency = new CaptureLatency();

    public Pipeline(final PipelineConfig config, final List<EventSink> sinks)
    {
        final int slotsPerLargestFrame = (Frames.MAX_FRAME_LENGTH + config.slotBytes() - 1) / config.slotBytes();
        if (config.ringSlots() < 2 * slotsPerLargestFrame)
        {
            throw new IllegalArgumentException("ring of " + config.ringSlots() + " slots of " + config.slotBytes() +
                " bytes cannot hold a " + Frames.MAX_FRAME_LENGTH + "-byte frame twice; use more or larger slots");
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
     * Counters of the running pipeline for a periodic statistics line, all lanes added up, read from
     * its {@link #counters() registry} without stopping it (each is a recent value, not a consistent
     * snapshot); null when nothing runs.
     * The latency is of the events written since the previous call: one caller should poll this.
     */
    public LiveStats liveStats()
    {
        final CaptureLatency latency = runningLatency;
        if (runningPublishers == null || latency == null)
        {
            return null;
        }
        final CounterRegistry.Family drops = counters.find("packets_dropped");
        long ringDrops = 0;
        for (final CounterRegistry.Series series : drops.series())
        {
            if ("ring_full".equals(series.labelValues().get(1)))
            {
                ringDrops += series.value();
            }
        }
        return new LiveStats(
            counters.total("packets_read"), counters.total("packets_read_bytes"), ringDrops, counters.total("flows_active"),
            counters.total("events_emitted"), counters.total("events_dropped"), counters.total("sink_backlog_bytes"),
            latency.sinceLastCall());
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
     * A worker's fixed part is made before its first packet (the flow table's arrays, the reassembler's
     * indexes, the encoders), all workers alike: what one takes, measured by making two and dropping them,
     * is what each of a run's workers takes before any connection. (The connections' own state, and pools
     * that grow while a worker warms up, come on top.) For a caller that would rather say it will not fit
     * than let the JVM run out of heap.
     *
     * @return the bytes of heap one worker takes with {@code config} before its first packet, or -1 where
     * the JVM does not say.
     */
    public static long workerHeapBytes(final PipelineConfig config)
    {
        if (allocatedBytes() < 0)
        {
            return -1;
        }
        // The second one made: the first also pays for loading and initialising the classes, once.
        new FlowWorkerHandler(0, config, null, true, false, null, null).release();
        final long before = allocatedBytes();
        final FlowWorkerHandler handler = new FlowWorkerHandler(0, config, null, true, false, null, null);
        final long after = allocatedBytes();
        handler.release();
        return after - before;
    }

    /**
     * @return the bytes of heap one slot of the packet ring takes (its event, the decoded segment in it, the
     * ring's reference), made with the ring, or -1 where the JVM does not say.
     */
    public static long slotHeapBytes()
    {
        if (allocatedBytes() < 0)
        {
            return -1;
        }
        final PacketEvent[] made = new PacketEvent[SLOTS_MEASURED];
        made[0] = new PacketEvent();
        final long before = allocatedBytes();
        for (int i = 1; i < made.length; i++)
        {
            made[i] = new PacketEvent();
        }
        return (allocatedBytes() - before) / (made.length - 1) + Integer.BYTES;
    }

    /** @return the bytes this thread has allocated on the heap so far, or -1 where the JVM does not say. */
    private static long allocatedBytes()
    {
        // The bean looked up once: a look-up allocates, and would be counted between two readings.
        final ThreadMXBean bean = ThreadBean.BEAN;
        return null != bean && bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled() ?
            bean.getCurrentThreadAllocatedBytes() : -1;
    }

    private static final class ThreadBean
    {
        static final ThreadMXBean BEAN =
            ManagementFactory.getThreadMXBean() instanceof final ThreadMXBean bean ? bean : null;
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
        if (ran)
        {
            // Its counters are registered for one run: a second would add to the first's.
            throw new IllegalStateException("a pipeline runs once; make a new one");
        }
        ran = true;
        final long startNanos = System.nanoTime();
        final int lanes = sources.size();
        final int workers = config.workers();
        final int slotBytes = config.slotBytes();

        try (Arena arena = Arena.ofShared(); GcPauses pauses = new GcPauses())
        {
            final EventHandoff handoff = new EventHandoff(
                EventHandoff.capacityFor(config.eventRingBytes(), config.maxEventBytes()), config.eventBackPressure());
            final Nap sinkNap = SinkRunner.idleStrategy(config.eventBackPressure());
            handoff.consumerNap(sinkNap);
            final List<Nap> workerNaps = new ArrayList<>(lanes * workers);
            final boolean json = sinks.stream().anyMatch(s -> s.format() == EventFormat.JSON);
            final boolean text = sinks.stream().anyMatch(s -> s.format() == EventFormat.TEXT);

            final CountDownLatch finished = new CountDownLatch(lanes * workers);
            final AtomicLong workerErrors = new AtomicLong();
            final AtomicReference<Throwable> firstWorkerError = new AtomicReference<>();
            final List<FlowWorkerHandler> handlers = new ArrayList<>(lanes * workers);
            final List<WorkerAgent> workerAgents = new ArrayList<>(lanes * workers);
            final List<RingPublisher> publishers = new ArrayList<>(lanes);
            final AtomicReference<Throwable> workerDeath = new AtomicReference<>();
            for (int lane = 0; lane < lanes; lane++)
            {
                final long regionBytes = (long)config.ringSlots() * slotBytes + Frames.MAX_FRAME_LENGTH;
                if (regionBytes > Integer.MAX_VALUE)
                {
                    // The region is addressed by int offsets (its buffer, the slots' positions).
                    throw new IllegalArgumentException("a packet ring of " + config.ringSlots() + " slots of " + slotBytes +
                        " bytes is over 2 GiB");
                }
                final MemorySegment regionMemory = LazyMemory.allocate(arena, regionBytes);
                final UnsafeBuffer region = new UnsafeBuffer(regionMemory.address(), (int)regionBytes);
                // No worker waits through the ring's wait strategy (each polls it, idling as its agent
                // says: WorkerAgent); this one does nothing when a slot is published.
                final RingBuffer<PacketEvent> ring = RingBuffer.createSingleProducer(
                    PacketEvent::new, config.ringSlots(), new BusySpinWaitStrategy());
                final Nap[] laneNaps = new Nap[workers];
                for (int i = 0; i < workers; i++)
                {
                    laneNaps[i] = WorkerAgent.idleStrategy(config.packetBackPressure());
                    workerNaps.add(laneNaps[i]);
                    final EventTap tap = config.eventTaps() != null ? config.eventTaps().apply(handlers.size()) : null;
                    final FlowWorkerHandler handler = new FlowWorkerHandler(i, config, handoff, json, text, tap, finished);
                    handler.headerRules(headerRules);
                    final String name = lanes == 1 ? "httpcap-worker-" + i : "httpcap-worker-" + lane + "-" + i;
                    final EventPoller<PacketEvent> poller = ring.newPoller();
                    final WorkerAgent agent = new WorkerAgent(name, poller, handler, workerErrors, firstWorkerError,
                        dead -> workerDied(dead, ring, handler, workerDeath));
                    handlers.add(handler);
                    workerAgents.add(agent);
                    ring.addGatingSequences(poller.getSequence());
                }
                // After the workers' sequences gate the ring: a lending source waits for the slowest of them.
                final RingPublisher publisher = new RingPublisher(ring, region, slotBytes, workers, config.packetBackPressure(),
                    config.filter(), sources.get(lane));
                publisher.workerNaps(laneNaps);
                publishers.add(publisher);
            }

            PipelineCounters.register(counters, sources, publishers, handlers, workers, handoff, sinks, workerErrors::get);
            pauses.register(counters);
            gcPauses = pauses;
            lastPublishers = List.copyOf(publishers);
            lastHandoff = handoff;
            final SinkRunner sinkRunner = new SinkRunner(handoff, sinks, latency);
            final Thread sinkThread = PipelineAgent.start(sinkRunner, sinkNap, config.sinkThreadFactory());

            final List<Thread> workerThreads = new ArrayList<>(lanes * workers);
            for (int i = 0; i < workerAgents.size(); i++)
            {
                workerThreads.add(PipelineAgent.start(workerAgents.get(i), workerNaps.get(i), config.workerThreadFactory()));
            }

            runningSources = List.copyOf(sources);
            runningLatency = latency;
            runningPublishers = List.copyOf(publishers);
            final List<CaptureAgent> captureAgents = new ArrayList<>(lanes);
            final List<Thread> captures = new ArrayList<>(lanes);
            for (int lane = 0; lane < lanes; lane++)
            {
                final CaptureAgent agent = new CaptureAgent(lanes == 1 ? "httpcap-capture" : "httpcap-capture-" + lane,
                    sources.get(lane), publishers.get(lane), config.clockTickNanos(), () -> stopRequested);
                captureAgents.add(agent);
                captures.add(PipelineAgent.start(agent, CaptureAgent.idleStrategy(), config.captureThreadFactory()));
            }
            captureThreads = List.copyOf(captures);
            if (stopRequested)
            {
                requestStop();
            }
            for (final Thread capture : captures)
            {
                capture.join();
            }
            captureThreads = null;

            // Each worker ends once it has handled the end of capture (or died, and is counted as finished).
            finished.await();
            for (final Thread thread : workerThreads)
            {
                thread.join();
            }
            sinkRunner.producersDone();
            handoff.wakeConsumer();
            sinkThread.join();
            runningPublishers = null;
            runningLatency = null;
            runningSources = null;

            Throwable failure = null;
            for (final CaptureAgent agent : captureAgents)
            {
                failure = failure != null ? failure : agent.failure();
            }
            failure = failure != null ? failure : workerDeath.get() != null ? workerDeath.get() : sinkRunner.failure();
            return PipelineReport.of(
                System.nanoTime() - startNanos, counters, publishers, sinks, latency.total(), firstWorkerError.get(), failure);
        }
    }

    /**
     * A worker ended with an error outside its per-packet handling (an error inside it, or one thrown
     * by the thread factory's own code): its packets can no longer be decoded. Reading stops and the
     * run ends with the failure, instead of the capture thread waiting forever for room the dead
     * worker will never make: its sequence no longer holds the ring back, and its end of capture is
     * counted as done. Runs on the dying thread.
     */
    private void workerDied(
        final WorkerAgent agent, final RingBuffer<PacketEvent> ring, final FlowWorkerHandler handler,
        final AtomicReference<Throwable> workerDeath)
    {
        workerDeath.compareAndSet(null, new IllegalStateException(
            "worker thread " + agent.roleName() + " died, so reading stopped: " + agent.failure(), agent.failure()));
        // Stop first: once the dead sequence no longer holds the ring back, the capture thread would
        // otherwise race on through the input while this thread is descheduled.
        requestStop();
        ring.removeGatingSequence(agent.sequence());
        handler.abandon();
    }
}
