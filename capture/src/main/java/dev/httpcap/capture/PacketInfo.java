package dev.httpcap.capture;

/**
 * The decoded L2–L4 facts of one frame, filled by {@link PacketDecoder#decode}. One instance is
 * reused for every frame on a thread: plain mutable fields, no objects per packet.
 * <p>
 * Addresses are held as 128-bit values in two longs; IPv4 addresses are IPv4-mapped IPv6
 * ({@code ::ffff:a.b.c.d}: {@code hi = 0}, {@code lo = 0x0000_ffff_0000_0000L | ipv4}), so one
 * flow key serves both families. {@link #ipVersion} says how to print them.
 */
public final class PacketInfo
{
    public static final int NO_VLAN = -1;
    public static final int NO_WINDOW_SCALE = -1;

    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_RST = 0x04;
    public static final int TCP_PSH = 0x08;
    public static final int TCP_ACK = 0x10;
    public static final int TCP_URG = 0x20;
    public static final int TCP_ECE = 0x40;
    public static final int TCP_CWR = 0x80;

    /** 4 or 6. */
    public int ipVersion;
    public long srcHi;
    public long srcLo;
    public long dstHi;
    public long dstLo;
    /** IP protocol number of the transport (6 TCP, 17 UDP). */
    public int protocol;
    public int srcPort;
    public int dstPort;

    /** 802.1Q/802.1ad tags, outermost first, or {@link #NO_VLAN}. */
    public int outerVlan;
    public int innerVlan;

    /** Offsets from the start of the frame. */
    public int l3Offset;
    public int l4Offset;
    public int payloadOffset;
    /** Transport payload bytes present in the captured frame. */
    public int payloadLength;
    /** Transport payload bytes on the wire according to the IP length fields (≥ payloadLength after a snaplen cut). */
    public int wirePayloadLength;

    /** TCP only. Sequence and acknowledgement numbers are unsigned 32-bit values held in longs. */
    public int tcpFlags;
    public long seq;
    public long ack;
    public int window;
    /** MSS option value, or 0 when absent. */
    public int mss;
    /** Window-scale option shift, or {@link #NO_WINDOW_SCALE}. */
    public int windowScale;
    public boolean sackPermitted;
    public boolean hasTimestamps;
    public long tsVal;
    public long tsEcr;

    /** Linux cooked capture packet type (SLL/SLL2 {@code PACKET_*}), or -1 when the link type has none. */
    public int linuxPacketType;

    public void reset()
    {
        ipVersion = 0;
        srcHi = srcLo = dstHi = dstLo = 0;
        protocol = 0;
        srcPort = dstPort = 0;
        outerVlan = innerVlan = NO_VLAN;
        l3Offset = l4Offset = payloadOffset = 0;
        payloadLength = wirePayloadLength = 0;
        tcpFlags = 0;
        seq = ack = 0;
        window = 0;
        mss = 0;
        windowScale = NO_WINDOW_SCALE;
        sackPermitted = false;
        hasTimestamps = false;
        tsVal = tsEcr = 0;
        linuxPacketType = -1;
    }
}
