package dev.httpcap.common;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One decoded TCP segment: the facts of its IP and TCP headers and a view of its payload, the
 * one definition shared by the capture side (which decodes a frame into it), the packet ring
 * (one per slot, handed over whole, not copied field by field) and the flow layer (which tracks
 * and reassembles from it). A mutable holder of primitives, reused: no objects per packet. The
 * payload view is valid only while the segment is being handled.
 * <p>
 * Addresses are 128-bit values in two longs; IPv4 addresses are IPv4-mapped IPv6
 * ({@code ::ffff:a.b.c.d}: {@code hi = 0}, {@code lo = 0x0000_ffff_0000_0000L | ipv4}), so one
 * flow key serves both families; {@link #ipVersion} says how to print them. For a UDP datagram
 * the capture side fills the addresses, ports and lengths only.
 */
public final class TcpSegment
{
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /** {@link #vlan} of a frame without an 802.1Q/802.1ad tag. */
    public static final int NO_VLAN = -1;

    /** Capture time, nanoseconds since the epoch (packet time). */
    public long timestampNanos;
    /** 4 or 6. */
    public int ipVersion;
    public long srcHi;
    public long srcLo;
    public long dstHi;
    public long dstLo;
    public int srcPort;
    public int dstPort;
    /** Outer VLAN id or {@link #NO_VLAN}: the same 4-tuple on two VLANs is two connections. */
    public int vlan = NO_VLAN;
    public int flags;
    /** Unsigned 32-bit sequence and acknowledgement numbers. */
    public long seq;
    public long ack;
    public int window;
    /** Length of the whole frame on the wire, for per-direction byte counts. */
    public int wireLength;
    /** Payload bytes on the wire (from the IP lengths); {@link #payloadLength} may be less after a snaplen cut. */
    public int wirePayloadLength;
    /** Where the captured payload is: {@link #payloadLength} bytes at {@link #payloadOffset}. */
    public DirectBuffer payload;
    public int payloadOffset;
    public int payloadLength;
    /**
     * True when the payload's memory stays readable, unchanged, at the same native address until the
     * flow layer is past it (a mapped capture file, a capture ring block lent until the workers are
     * past it): the reassembler then keeps references to what it delivered and compares later copies
     * of those bytes with them. False when the memory is reused (a ring slot, a pipe's window, a heap array).
     */
    public boolean payloadStaysReadable;

    private final UnsafeBuffer payloadView = new UnsafeBuffer(0, 0);

    public boolean has(final int flag)
    {
        return (flags & flag) != 0;
    }

    /** Point {@link #payload} at {@code length} bytes at native {@code address}, through this segment's own view. */
    public void payloadAt(final long address, final int length)
    {
        payloadView.wrap(address, length);
        payload = payloadView;
        payloadOffset = 0;
        payloadLength = length;
    }

    /** Clear the header facts before a frame is decoded into this segment. */
    public void reset()
    {
        timestampNanos = 0;
        ipVersion = 0;
        srcHi = srcLo = dstHi = dstLo = 0;
        srcPort = dstPort = 0;
        vlan = NO_VLAN;
        flags = 0;
        seq = ack = 0;
        window = 0;
        wireLength = wirePayloadLength = 0;
        payloadOffset = payloadLength = 0;
        payloadStaysReadable = false;
    }
}
