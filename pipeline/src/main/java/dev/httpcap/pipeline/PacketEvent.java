package dev.httpcap.pipeline;

/**
 * One slot of the packet ring. The frame bytes live off-heap in the ring's slot region; the slot
 * carries only primitives: where the frame is, which shard owns it, and the decoded TCP facts so
 * the worker does not decode the headers again.
 * <p>
 * A frame larger than one slot's share of the region occupies several consecutive sequences:
 * the first carries the frame ({@link #slots} = their number), the others are marked as
 * continuations ({@code slots == 0}) and skipped by every worker.
 */
final class PacketEvent
{
    static final int CONTINUATION = 0;
    /** A control event every worker acts on: the capture has ended. */
    static final int END_OF_CAPTURE = -1;
    /** A control event every worker acts on: packet time is now {@link #timestampNanos} (live capture, no traffic). */
    static final int CLOCK_TICK = -2;

    int slots;
    int shard;
    /** Offset of the frame's first byte in the slot region. */
    int regionOffset;
    int frameLength;
    int wireLength;
    long timestampNanos;
    /**
     * {@code System.nanoTime()} when the capture thread took the packet (one reading per poll batch)
     * or published the control event: where the capture-to-written latency of the events it causes starts.
     */
    long captureNanos;

    int ipVersion;
    long srcHi;
    long srcLo;
    long dstHi;
    long dstLo;
    int srcPort;
    int dstPort;
    int vlan;
    int tcpFlags;
    long seq;
    long ack;
    int window;
    /** Offset of the TCP payload from the start of the frame. */
    int payloadOffset;
    int payloadLength;
    int wirePayloadLength;
}
