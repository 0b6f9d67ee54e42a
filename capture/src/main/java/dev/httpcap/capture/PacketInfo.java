package dev.httpcap.capture;

import dev.httpcap.common.TcpSegment;

/**
 * The decoded L2–L4 facts of one frame, filled by {@link PacketDecoder#decode}: where its layers
 * start, and its transport segment ({@link #segment()}: addresses, ports, TCP header, payload
 * length), in the form the flow layer reads. One instance is reused for every frame on a thread:
 * plain mutable fields, no objects per packet.
 */
public final class PacketInfo
{
    public static final int NO_VLAN = TcpSegment.NO_VLAN;

    private TcpSegment segment = new TcpSegment();

    /** IP protocol number of the transport (6 TCP, 17 UDP). */
    public int protocol;
    /** The second 802.1Q/802.1ad tag, or {@link #NO_VLAN}; the outer one is the segment's {@link TcpSegment#vlan}. */
    public int innerVlan;

    /** Offsets from the start of the frame. */
    public int l3Offset;
    public int l4Offset;
    public int payloadOffset;

    /** Linux cooked capture packet type (SLL/SLL2 {@code PACKET_*}), or -1 when the link type has none. */
    public int linuxPacketType;

    /** @return the decoded transport segment of the last frame (its payload view is not set: see {@link #payloadOffset}). */
    public TcpSegment segment()
    {
        return segment;
    }

    /**
     * Hand the decoded segment over whole and take {@code empty} in its place for the next frame: how
     * the capture thread publishes a segment into the packet ring without copying its fields.
     *
     * @return the segment of the last frame decoded.
     */
    public TcpSegment exchangeSegment(final TcpSegment empty)
    {
        final TcpSegment decoded = segment;
        segment = empty;
        return decoded;
    }

    public void reset()
    {
        segment.reset();
        protocol = 0;
        innerVlan = NO_VLAN;
        l3Offset = l4Offset = payloadOffset = 0;
        linuxPacketType = -1;
    }
}
