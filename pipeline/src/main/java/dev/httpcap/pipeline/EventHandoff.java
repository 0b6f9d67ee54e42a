package dev.httpcap.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import dev.httpcap.common.LazyMemory;
import dev.httpcap.sinks.EventFormat;

/**
 * The bounded hand-off from the workers to the sink thread: Agrona's many-to-one ring buffer of
 * encoded events, off-heap, with the format as message type. Full ring: wait (block policy) or
 * drop and count (drop policy) — the hand-off never grows.
 * <p>
 * Each message is the {@code System.nanoTime()} capture time of what caused the event (8 bytes,
 * {@link #NOT_MEASURED} for a message whose latency is not to be recorded) followed by the encoded
 * event, written straight into the ring: one copy, as before.
 */
final class EventHandoff
{
    /** Bytes before the encoded event in a message: its capture time. */
    static final int HEADER_LENGTH = Long.BYTES;
    /** Capture time of a message the sink thread does not measure (the first of an event's two formats). */
    static final long NOT_MEASURED = Long.MIN_VALUE;
    /** {@link #offer} results: handed over, or the reason it was not (each counted). */
    static final int HANDED_OVER = 0;
    /** The ring was full under the drop policy. */
    static final int FULL = 1;
    /** Larger than {@link #maxEventLength()}: the encoders cut events to fit, so only a bug gets here. */
    static final int TOO_LARGE = 2;
    /** The sink thread has stopped (it died): nothing will take it. */
    static final int SINK_STOPPED = 3;
    /** Report names of the reasons, by result. */
    static final String[] DROP_REASONS = {null, "handoff_full", "too_large", "sink_stopped"};

    private final MemorySegment memory;
    private final ManyToOneRingBuffer ring;
    private final boolean dropWhenFull;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong tooLarge = new AtomicLong();
    private final AtomicLong sinkStopped = new AtomicLong();
    private final AtomicLong stalls = new AtomicLong();
    private final AtomicLong stallNanos = new AtomicLong();
    private volatile boolean consumerGone;
    /** The sink thread's naps, cut short by each event handed over; set before the threads start. */
    private Nap consumerNap;

    /** @return the ring capacity (a power of two, at least {@code ringBytes}) that carries events of {@code maxEventLength} bytes. */
    static int capacityFor(final int ringBytes, final int maxEventLength)
    {
        // Agrona's ring takes messages of up to an eighth of its capacity.
        final long needed = 8L * (HEADER_LENGTH + maxEventLength);
        long capacity = ringBytes;
        while (capacity < needed)
        {
            capacity <<= 1;
        }
        if (capacity > 1 << 30)
        {
            throw new IllegalArgumentException("event hand-off of " + capacity + " bytes: too large");
        }
        return (int)capacity;
    }

    /**
     * @param capacity bytes of the ring; a power of two. Its memory is zeroed, its pages touched only
     *                 as the ring fills, and freed by the garbage collector once this hand-off is
     *                 unreachable (a statistics reader may still hold it after the pipeline ends).
     */
    EventHandoff(final int capacity, final BackPressure backPressure)
    {
        final int bytes = capacity + RingBufferDescriptor.TRAILER_LENGTH;
        this.memory = LazyMemory.allocate(Arena.ofAuto(), bytes);
        this.ring = new ManyToOneRingBuffer(new UnsafeBuffer(memory.address(), bytes));
        this.dropWhenFull = backPressure == BackPressure.DROP;
    }

    /** @return the largest encoded event the hand-off carries. */
    int maxEventLength()
    {
        return ring.maxMsgLength() - HEADER_LENGTH;
    }

    /**
     * Hand one encoded event to the sinks.
     *
     * @param captureNanos when what caused the event was captured, or {@link #NOT_MEASURED}.
     * @return {@link #HANDED_OVER}, or why it was dropped (and counted): {@link #FULL}, {@link #TOO_LARGE},
     * {@link #SINK_STOPPED}.
     */
    int offer(
        final EventFormat format, final long captureNanos, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > ring.maxMsgLength() - HEADER_LENGTH)
        {
            tooLarge.incrementAndGet();
            return TOO_LARGE;
        }
        int index = ring.tryClaim(format.msgTypeId(), HEADER_LENGTH + length);
        if (index < 0)
        {
            // Full: should the sink nap through a missed wake, this ends it.
            wakeConsumer();
            if (dropWhenFull)
            {
                if (consumerGone)
                {
                    sinkStopped.incrementAndGet();
                    return SINK_STOPPED;
                }
                dropped.incrementAndGet();
                return FULL;
            }
            final long start = System.nanoTime();
            while ((index = ring.tryClaim(format.msgTypeId(), HEADER_LENGTH + length)) < 0)
            {
                if (consumerGone)
                {
                    sinkStopped.incrementAndGet();
                    return SINK_STOPPED;
                }
                Thread.onSpinWait();
                Thread.yield();
                wakeConsumer();
            }
            stalls.incrementAndGet();
            stallNanos.addAndGet(System.nanoTime() - start);
        }
        final AtomicBuffer messages = ring.buffer();
        messages.putLong(index, captureNanos);
        messages.putBytes(index + HEADER_LENGTH, buffer, offset, length);
        ring.commit(index);
        wakeConsumer();
        return HANDED_OVER;
    }

    /** The sink thread idles with {@code nap}: each event handed over cuts it short. Before the threads start. */
    void consumerNap(final Nap nap)
    {
        this.consumerNap = nap;
    }

    /** Cut the sink thread's nap short, if it naps. */
    void wakeConsumer()
    {
        if (null != consumerNap)
        {
            consumerNap.wake();
        }
    }

    ManyToOneRingBuffer ring()
    {
        return ring;
    }

    /** @return bytes of encoded events waiting for the sink thread; safe from any thread, at any time. */
    long backlogBytes()
    {
        try
        {
            return ring.size();
        }
        finally
        {
            // The ring's memory lives as long as this object: keep it alive until the read is done.
            Reference.reachabilityFence(this);
        }
    }

    /** The sink thread died: stop waiting for room that will never come. */
    void consumerGone()
    {
        consumerGone = true;
    }

    /** @return messages dropped for any reason (a full ring, too large, no sink thread). */
    long dropped()
    {
        return dropped.get() + tooLarge.get() + sinkStopped.get();
    }

    /** @return times a worker waited for the sink thread to make room (block policy), and how long in all. */
    long stalls()
    {
        return stalls.get();
    }

    long stallNanos()
    {
        return stallNanos.get();
    }
}
