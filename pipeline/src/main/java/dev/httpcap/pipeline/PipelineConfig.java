package dev.httpcap.pipeline;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import dev.httpcap.decoders.event.HttpEventEncoder;
import dev.httpcap.decoders.event.Observer;
import dev.httpcap.decoders.http.HttpConfig;
import dev.httpcap.decoders.tcp.TcpFlowTracker;

/** Sizes and policies of a {@link Pipeline}, fixed at start-up. Fluent setters; defaults suit reading files. */
public final class PipelineConfig
{
    /** Bounds of {@link #maxEventBytes(int)}: room for an event's fixed part (under 1 KiB); a hand-off of at most 256 MiB. */
    public static final int MIN_MAX_EVENT_BYTES = 4 * 1024;
    public static final int MAX_MAX_EVENT_BYTES = 16 * 1024 * 1024;

    private int workers = 1;
    private int ringSlots = 16_384;
    private int slotBytes = 2_048;
    private BackPressure packetBackPressure = BackPressure.BLOCK;
    private BackPressure eventBackPressure = BackPressure.BLOCK;
    private int maxFlowsPerWorker = 100_000;
    private long flowIdleTimeoutNanos = TimeUnit.SECONDS.toNanos(300);
    private long flowCloseLingerNanos = TimeUnit.SECONDS.toNanos(5);
    private int eventRingBytes = 8 * 1024 * 1024;
    private int maxEventBytes = HttpEventEncoder.DEFAULT_MAX_EVENT_BYTES;
    private int reassemblyWindowBytes = 128 * 1024;
    private int reassemblyWindows = 256;
    private String filter;
    private long clockTickNanos;
    private ThreadFactory captureThreadFactory = Thread::new;
    private ThreadFactory workerThreadFactory = Thread::new;
    private ThreadFactory sinkThreadFactory = Thread::new;
    private HttpConfig http = new HttpConfig();
    private boolean flowEvents;
    private Observer observer = Observer.NONE;
    private java.util.function.IntFunction<EventTap> eventTaps;

    public int workers()
    {
        return workers;
    }

    public PipelineConfig workers(final int workers)
    {
        if (workers < 1 || workers > 256)
        {
            throw new IllegalArgumentException("workers must be between 1 and 256: " + workers);
        }
        this.workers = workers;
        return this;
    }

    public int ringSlots()
    {
        return ringSlots;
    }

    /** Number of slots in the packet ring; a power of two. */
    public PipelineConfig ringSlots(final int ringSlots)
    {
        if (ringSlots < 64 || Integer.bitCount(ringSlots) != 1)
        {
            throw new IllegalArgumentException("ring slots must be a power of two >= 64: " + ringSlots);
        }
        this.ringSlots = ringSlots;
        return this;
    }

    public int slotBytes()
    {
        return slotBytes;
    }

    /** Bytes of frame storage per slot; larger frames span several slots. A multiple of 64. */
    public PipelineConfig slotBytes(final int slotBytes)
    {
        if (slotBytes < 128 || slotBytes % 64 != 0)
        {
            throw new IllegalArgumentException("slot bytes must be a multiple of 64, at least 128: " + slotBytes);
        }
        this.slotBytes = slotBytes;
        return this;
    }

    public BackPressure packetBackPressure()
    {
        return packetBackPressure;
    }

    /** Policy when the workers fall behind capture. */
    public PipelineConfig packetBackPressure(final BackPressure policy)
    {
        this.packetBackPressure = policy;
        return this;
    }

    public BackPressure eventBackPressure()
    {
        return eventBackPressure;
    }

    /** Policy when the sinks fall behind the workers. */
    public PipelineConfig eventBackPressure(final BackPressure policy)
    {
        this.eventBackPressure = policy;
        return this;
    }

    public int maxFlowsPerWorker()
    {
        return maxFlowsPerWorker;
    }

    public PipelineConfig maxFlowsPerWorker(final int maxFlowsPerWorker)
    {
        if (maxFlowsPerWorker < 1 || maxFlowsPerWorker > TcpFlowTracker.MAX_FLOWS)
        {
            throw new IllegalArgumentException(
                "max flows per worker must be 1 to " + TcpFlowTracker.MAX_FLOWS + ": " + maxFlowsPerWorker);
        }
        this.maxFlowsPerWorker = maxFlowsPerWorker;
        return this;
    }

    public long flowIdleTimeoutNanos()
    {
        return flowIdleTimeoutNanos;
    }

    public PipelineConfig flowIdleTimeoutNanos(final long nanos)
    {
        if (nanos <= 0)
        {
            throw new IllegalArgumentException("flow idle timeout must be positive");
        }
        this.flowIdleTimeoutNanos = nanos;
        return this;
    }

    public long flowCloseLingerNanos()
    {
        return flowCloseLingerNanos;
    }

    public PipelineConfig flowCloseLingerNanos(final long nanos)
    {
        this.flowCloseLingerNanos = nanos;
        return this;
    }

    public int eventRingBytes()
    {
        return eventRingBytes;
    }

    /** Capacity of the worker-to-sink hand-off; a power of two. */
    public PipelineConfig eventRingBytes(final int bytes)
    {
        if (bytes < 64 * 1024 || Integer.bitCount(bytes) != 1)
        {
            throw new IllegalArgumentException("event ring bytes must be a power of two >= 65536: " + bytes);
        }
        this.eventRingBytes = bytes;
        return this;
    }

    /** @return the most bytes one encoded event (a JSON document or a readable line) may take. */
    public int maxEventBytes()
    {
        return maxEventBytes;
    }

    /**
     * The most bytes one encoded event may take: a larger one is cut to fit (tagged
     * {@code event_truncated}), never dropped. The hand-off ring grows to at least eight times this
     * (Agrona's many-to-one ring takes messages of up to an eighth of its capacity).
     */
    public PipelineConfig maxEventBytes(final int bytes)
    {
        if (bytes < MIN_MAX_EVENT_BYTES || bytes > MAX_MAX_EVENT_BYTES)
        {
            throw new IllegalArgumentException("max event bytes must be between " + MIN_MAX_EVENT_BYTES + " and " +
                MAX_MAX_EVENT_BYTES + ": " + bytes);
        }
        this.maxEventBytes = bytes;
        return this;
    }

    public int reassemblyWindowBytes()
    {
        return reassemblyWindowBytes;
    }

    /** Bytes one direction of one connection may hold out of order (the per-flow cap); a power of two. */
    public PipelineConfig reassemblyWindowBytes(final int bytes)
    {
        if (bytes < 1024 || Integer.bitCount(bytes) != 1)
        {
            throw new IllegalArgumentException("reassembly window must be a power of two of at least 1024 bytes: " + bytes);
        }
        this.reassemblyWindowBytes = bytes;
        return this;
    }

    public int reassemblyWindows()
    {
        return reassemblyWindows;
    }

    /** Reassembly windows per worker: the per-worker cap on out-of-order bytes is windows × window bytes. */
    public PipelineConfig reassemblyWindows(final int windows)
    {
        if (windows < 1 || (long)windows * reassemblyWindowBytes > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("reassembly windows must be positive and total under 2 GiB per worker: " + windows);
        }
        this.reassemblyWindows = windows;
        return this;
    }

    public String filter()
    {
        return filter;
    }

    /** A tcpdump-style capture filter applied to every frame, or null. */
    public PipelineConfig filter(final String filter)
    {
        this.filter = filter == null || filter.isBlank() ? null : filter;
        return this;
    }

    public long clockTickNanos()
    {
        return clockTickNanos;
    }

    /**
     * Live capture only: every this long, tell the workers the current time, so idle
     * connections time out even on a worker whose shard is quiet. 0 (the default, and the only
     * right value for files) keeps time purely packet time.
     */
    public PipelineConfig clockTickNanos(final long nanos)
    {
        if (nanos < 0)
        {
            throw new IllegalArgumentException("clock tick must not be negative");
        }
        this.clockTickNanos = nanos;
        return this;
    }

    /** Where the capture, worker and sink threads come from (pinning enters here): one factory for all three. */
    public PipelineConfig threadFactory(final ThreadFactory threadFactory)
    {
        this.captureThreadFactory = threadFactory;
        this.workerThreadFactory = threadFactory;
        this.sinkThreadFactory = threadFactory;
        return this;
    }

    public ThreadFactory captureThreadFactory()
    {
        return captureThreadFactory;
    }

    /** Where capture threads (one per source) come from; they are named before they start. */
    public PipelineConfig captureThreadFactory(final ThreadFactory threadFactory)
    {
        this.captureThreadFactory = threadFactory;
        return this;
    }

    public ThreadFactory workerThreadFactory()
    {
        return workerThreadFactory;
    }

    /** Where worker threads (workers per source) come from, in lane then shard order. */
    public PipelineConfig workerThreadFactory(final ThreadFactory threadFactory)
    {
        this.workerThreadFactory = threadFactory;
        return this;
    }

    public ThreadFactory sinkThreadFactory()
    {
        return sinkThreadFactory;
    }

    /** Where the sink thread comes from. */
    public PipelineConfig sinkThreadFactory(final ThreadFactory threadFactory)
    {
        this.sinkThreadFactory = threadFactory;
        return this;
    }

    /** @return the HTTP decoder's limits and options, or null when HTTP is not decoded. */
    public HttpConfig http()
    {
        return http;
    }

    /** @return where the traffic is observed: a live capture's host and interface, or {@link Observer#NONE}. */
    public Observer observer()
    {
        return observer;
    }

    /** Events carry {@code observer}, {@code host} and {@code network.direction} from this (live captures). */
    public PipelineConfig observer(final Observer observer)
    {
        this.observer = observer;
        return this;
    }

    /** Decode HTTP with these options (null: do not decode HTTP; only connection records, if enabled). */
    public PipelineConfig http(final HttpConfig http)
    {
        this.http = http;
        return this;
    }

    public boolean flowEvents()
    {
        return flowEvents;
    }

    /** Also write one record per TCP connection ({@code event.dataset: "flow"}). Off by default. */
    public PipelineConfig flowEvents(final boolean flowEvents)
    {
        this.flowEvents = flowEvents;
        return this;
    }

    public java.util.function.IntFunction<EventTap> eventTaps()
    {
        return eventTaps;
    }

    /**
     * Give each worker an {@link EventTap}, made by {@code taps} from the worker's number (0 to lanes x
     * workers - 1) before the threads start, that sees the worker's events decoded (null: none).
     */
    public PipelineConfig eventTaps(final java.util.function.IntFunction<EventTap> taps)
    {
        this.eventTaps = taps;
        return this;
    }
}
