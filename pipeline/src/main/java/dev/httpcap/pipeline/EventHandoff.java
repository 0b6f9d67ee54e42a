package dev.httpcap.pipeline;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import dev.httpcap.sinks.EventFormat;

/**
 * The bounded hand-off from the workers to the sink thread: Agrona's many-to-one ring buffer of
 * encoded events, off-heap, with the format as message type. Full ring: wait (block policy) or
 * drop and count (drop policy) — the hand-off never grows.
 */
final class EventHandoff
{
    private final ManyToOneRingBuffer ring;
    private final boolean dropWhenFull;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong tooLarge = new AtomicLong();
    private volatile boolean consumerGone;

    EventHandoff(final int capacity, final BackPressure backPressure)
    {
        this.ring = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH)));
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
