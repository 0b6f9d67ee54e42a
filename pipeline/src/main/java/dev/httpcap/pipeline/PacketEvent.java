package dev.httpcap.pipeline;

import dev.httpcap.common.TcpSegment;

/**
 * One slot of the packet ring: which shard owns the packet and its decoded {@link TcpSegment},
 * handed over whole by the capture thread (it takes the slot's previous segment in exchange, see
 * {@link dev.httpcap.capture.PacketInfo#exchangeSegment}), so neither side copies its fields. The
 * segment's payload view points off-heap: in place in a mapped capture file or a lent capture
 * block (readable until the workers are past it), otherwise in the ring's slot region, where the
 * capture thread copied it (only the payload: the worker needs nothing else).
 * <p>
 * A payload larger than one slot's share of the region occupies several consecutive sequences:
 * the first carries it ({@link #slots} = their number), the others are marked as
 * continuations ({@code slots == 0}) and skipped by every worker.
 */
final class PacketEvent
{
    static final int CONTINUATION = 0;
    /** A control event every worker acts on: the capture has ended. */
    static final int END_OF_CAPTURE = -1;
    /** A control event every worker acts on: packet time is now {@link #tickNanos} (live capture, no traffic). */
    static final int CLOCK_TICK = -2;

    int slots;
    int shard;
    /** The packet (when {@link #slots} is positive); only the thread that holds the slot touches it. */
    TcpSegment segment = new TcpSegment();
    /** Packet time of a {@link #CLOCK_TICK}. */
    long tickNanos;
    /**
     * {@code System.nanoTime()} when the capture thread took the packet (one reading per poll batch)
     * or published the control event: where the capture-to-written latency of the events it causes starts.
     */
    long captureNanos;
}
