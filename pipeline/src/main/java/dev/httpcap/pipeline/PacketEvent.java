package dev.httpcap.pipeline;

/**
 * One slot of the packet ring. It carries only primitives: where the packet's TCP payload is,
 * which shard owns it, and the decoded TCP facts, so the worker does not decode the headers
 * again. The payload is read off-heap where {@link #payloadAddress} says: in place in a mapped
 * capture file (whose frames stay readable until the run ends), otherwise in the ring's slot
 * region, where the capture thread copied it (only the payload: the worker needs nothing else).
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
    /** A control event every worker acts on: packet time is now {@link #timestampNanos} (live capture, no traffic). */
    static final int CLOCK_TICK = -2;

    int slots;
    int shard;
    /** Native address of the TCP payload's first byte: in the mapped file, or in the slot region. */
    long payloadAddress;
    /** True when {@link #payloadAddress} is in the mapped file (readable until the run ends), not in the reused slot region. */
    boolean payloadInPlace;
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
    /** Captured bytes of the TCP payload at {@link #payloadAddress}. */
    int payloadLength;
    int wirePayloadLength;
}
