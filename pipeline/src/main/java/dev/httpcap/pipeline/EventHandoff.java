package dev.httpcap.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import dev.httpcap.decoders.tcp.LazyMemory;
import dev.httpcap.sinks.EventFormat;

/**
 * The bounded hand-off from the workers to the sink thread: Agrona's many-to-one ring buffer of
 * encoded events, off-heap, with the format as message type. Full ring: wait (block policy) or
 * drop and count (drop policy) — the hand-off never grows.
 */
final class EventHandoff
{
    private final MemorySegment memory;
    private final ManyToOneRingBuffer ring;
    private final boolean dropWhenFull;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong tooLarge = new AtomicLong();
    private volatile boolean consumerGone;

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

    /**
     * Hand one encoded event to the sinks.
     *
     * @return true when it was handed over; false when it was dropped (and counted).
     */
    boolean offer(final EventFormat format, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > ring.maxMsgLength())
        {
            tooLarge.incrementAndGet();
            return false;
        }
        while (!ring.write(format.msgTypeId(), buffer, offset, length))
        {
            if (dropWhenFull || consumerGone)
            {
                dropped.incrementAndGet();
                return false;
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        return true;
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

    long dropped()
    {
        return dropped.get();
    }

    long tooLarge()
    {
        return tooLarge.get();
    }
}
