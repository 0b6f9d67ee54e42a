package dev.httpcap.decoders.tcp;

import org.agrona.DirectBuffer;

/**
 * One TCP segment as the flow layer sees it: the decoded header facts and a view of the payload.
 * A mutable holder reused for every packet on a worker; the payload view is only valid during the
 * call it is passed to.
 */
public final class TcpSegment
{
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;

    public long timestampNanos;
    /** 4 or 6; addresses are 128-bit, IPv4 as IPv4-mapped IPv6. */
    public int ipVersion;
    public long srcHi;
    public long srcLo;
    public long dstHi;
    public long dstLo;
    public int srcPort;
    public int dstPort;
    /** Outer VLAN id or -1: the same 4-tuple on two VLANs is two connections. */
    public int vlan;
    public int flags;
    /** Unsigned 32-bit sequence and acknowledgement numbers. */
    public long seq;
    public long ack;
    public int window;
    /** Length of the whole frame on the wire, for per-direction byte counts. */
    public int wireLength;
    /** Payload bytes on the wire (from the IP lengths); {@link #payloadLength} may be less after a snaplen cut. */
    public int wirePayloadLength;
    public DirectBuffer payload;
    public int payloadOffset;
    public int payloadLength;
    /**
     * True when the payload's memory stays readable, unchanged, at the same native address until the
     * run ends (a mapped capture file): the reassembler then keeps references to what it delivered
     * and compares later copies of those bytes with them. False when the memory is reused (a live
     * ring, a pipe's window, a heap array).
     */
    public boolean payloadStaysReadable;

    public boolean has(final int flag)
    {
        return (flags & flag) != 0;
    }
}
