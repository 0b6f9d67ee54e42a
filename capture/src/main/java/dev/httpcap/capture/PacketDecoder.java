package dev.httpcap.capture;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

import dev.httpcap.common.TcpSegment;

/**
 * Stateless L2–L4 decoding of one frame into a reused {@link PacketInfo} and its {@link TcpSegment}: link layer (Ethernet
 * with VLAN tags, Linux cooked v1/v2, BSD loopback, raw IP), IPv4 or IPv6 with extension
 * headers, then TCP or UDP. Never throws and never allocates: every frame ends in a
 * {@link DecodeStatus}, a decoded transport or a named reason.
 */
public final class PacketDecoder
{
    private static final int ETHERNET_HEADER_LENGTH = 14;
    private static final int ETHERTYPE_OFFSET = 12;
    private static final int VLAN_TAG_LENGTH = 4;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_QINQ = 0x88A8;
    private static final int ETHERTYPE_QINQ_OLD = 0x9100;
    private static final int MAX_VLAN_TAGS = 8;

    private static final int SLL_HEADER_LENGTH = 16;
    private static final int SLL_PACKET_TYPE_OFFSET = 0;
    private static final int SLL_PROTOCOL_OFFSET = 14;
    private static final int SLL2_HEADER_LENGTH = 20;
    private static final int SLL2_PROTOCOL_OFFSET = 0;
    private static final int SLL2_PACKET_TYPE_OFFSET = 10;

    private static final int NULL_HEADER_LENGTH = 4;
    private static final int AF_INET = 2;

    private static final int PROTOCOL_TCP = 6;
    private static final int PROTOCOL_UDP = 17;
    private static final int IPV6_HOP_BY_HOP = 0;
    private static final int IPV6_ROUTING = 43;
    private static final int IPV6_FRAGMENT = 44;
    private static final int IPV6_AH = 51;
    private static final int IPV6_DESTINATION_OPTIONS = 60;
    private static final int IPV6_MOBILITY = 135;
    private static final int IPV6_MAX_EXTENSION_HEADERS = 16;
    private static final int UDP_HEADER_LENGTH = 8;
    private static final long IPV4_MAPPED_PREFIX = 0x0000_FFFF_0000_0000L;

    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();

    /**
     * Decode the frame of {@code capturedLength} bytes at {@code offset}; offsets written to
     * {@code out} are relative to {@code offset}.
     */
    public DecodeStatus decode(
        final DirectBuffer frame, final int offset, final int capturedLength, final int linkType, final PacketInfo out)
    {
        out.reset();
        final int end = offset + capturedLength;
        switch (linkType)
        {
            case LinkTypes.ETHERNET:
                return ethernet(frame, offset, end, out);
            case LinkTypes.LINUX_SLL:
                if (capturedLength < SLL_HEADER_LENGTH)
                {
                    return DecodeStatus.TRUNCATED_LINK_HEADER;
                }
                out.linuxPacketType = frame.getShort(offset + SLL_PACKET_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                return etherType(frame, offset, offset + SLL_HEADER_LENGTH, end,
                    frame.getShort(offset + SLL_PROTOCOL_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF, out);
            case LinkTypes.LINUX_SLL2:
                if (capturedLength < SLL2_HEADER_LENGTH)
                {
                    return DecodeStatus.TRUNCATED_LINK_HEADER;
                }
                out.linuxPacketType = frame.getByte(offset + SLL2_PACKET_TYPE_OFFSET) & 0xFF;
                return etherType(frame, offset, offset + SLL2_HEADER_LENGTH, end,
                    frame.getShort(offset + SLL2_PROTOCOL_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF, out);
            case LinkTypes.NULL:
            case LinkTypes.LOOP:
                return loopback(frame, offset, end, out);
            case LinkTypes.RAW:
            case LinkTypes.RAW_BSD_12:
            case LinkTypes.RAW_BSD_14:
                return rawIp(frame, offset, offset, end, out);
            case LinkTypes.IPV4:
                return ipv4(frame, offset, offset, end, out);
            case LinkTypes.IPV6:
                return ipv6(frame, offset, offset, end, out);
            default:
                return DecodeStatus.UNSUPPORTED_LINK_TYPE;
        }
    }

    private DecodeStatus ethernet(final DirectBuffer frame, final int start, final int end, final PacketInfo out)
    {
        if (end - start < ETHERNET_HEADER_LENGTH)
        {
            return DecodeStatus.TRUNCATED_LINK_HEADER;
        }
        int typeOffset = start + ETHERTYPE_OFFSET;
        int etherType = frame.getShort(typeOffset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        int tags = 0;
        while (etherType == ETHERTYPE_VLAN || etherType == ETHERTYPE_QINQ || etherType == ETHERTYPE_QINQ_OLD)
        {
            if (typeOffset + 2 + VLAN_TAG_LENGTH > end || tags == MAX_VLAN_TAGS)
            {
                return DecodeStatus.TRUNCATED_LINK_HEADER;
            }
            final int vlanId = frame.getShort(typeOffset + 2, ByteOrder.BIG_ENDIAN) & 0x0FFF;
            if (tags == 0)
            {
                out.segment().vlan = vlanId;
            }
            else if (tags == 1)
            {
                out.innerVlan = vlanId;
            }
            tags++;
            typeOffset += VLAN_TAG_LENGTH;
            etherType = frame.getShort(typeOffset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        return etherType(frame, start, typeOffset + 2, end, etherType, out);
    }

    private DecodeStatus etherType(
        final DirectBuffer frame, final int start, final int l3, final int end, final int etherType, final PacketInfo out)
    {
        return switch (etherType)
        {
            case ETHERTYPE_IPV4 -> ipv4(frame, start, l3, end, out);
            case ETHERTYPE_IPV6 -> ipv6(frame, start, l3, end, out);
            default -> DecodeStatus.NON_IP;
        };
    }

    private DecodeStatus loopback(final DirectBuffer frame, final int start, final int end, final PacketInfo out)
    {
        if (end - start < NULL_HEADER_LENGTH)
        {
            return DecodeStatus.TRUNCATED_LINK_HEADER;
        }
        // The family is in the capturing host's byte order (NULL) or network order (LOOP): accept either.
        final int family = frame.getInt(start, ByteOrder.BIG_ENDIAN);
        final int swapped = Integer.reverseBytes(family);
        final int af = (family & 0xFFFF_0000) == 0 ? family : swapped;
        if (af == AF_INET)
        {
            return ipv4(frame, start, start + NULL_HEADER_LENGTH, end, out);
        }
        if (af == 10 || af == 24 || af == 28 || af == 30)
        {
            return ipv6(frame, start, start + NULL_HEADER_LENGTH, end, out);
        }
        return DecodeStatus.NON_IP;
    }

    private DecodeStatus rawIp(final DirectBuffer frame, final int start, final int l3, final int end, final PacketInfo out)
    {
        if (end - l3 < 1)
        {
            return DecodeStatus.TRUNCATED_LINK_HEADER;
        }
        final int version = (frame.getByte(l3) & 0xF0) >>> 4;
        return version == 4 ? ipv4(frame, start, l3, end, out) :
            version == 6 ? ipv6(frame, start, l3, end, out) : DecodeStatus.NON_IP;
    }

    private DecodeStatus ipv4(final DirectBuffer frame, final int start, final int l3, final int end, final PacketInfo out)
    {
        if (end - l3 < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return DecodeStatus.TRUNCATED_IPV4;
        }
        final Ipv4Flyweight ip = ipv4.wrap(frame, l3);
        final int headerLength = ip.headerLength();
        if (ip.version() != 4 || headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return DecodeStatus.BAD_IPV4_HEADER;
        }
        int totalLength = ip.totalLength();
        if (totalLength == 0)
        {
            // TCP segmentation offload: the kernel hands the capture a frame before it fills the length in.
            totalLength = end - l3;
        }
        if (totalLength < headerLength)
        {
            return DecodeStatus.BAD_IPV4_HEADER;
        }
        if (end - l3 < headerLength)
        {
            return DecodeStatus.TRUNCATED_IPV4;
        }
        final TcpSegment segment = out.segment();
        segment.ipVersion = 4;
        segment.srcHi = 0;
        segment.srcLo = IPV4_MAPPED_PREFIX | (ip.source() & 0xFFFF_FFFFL);
        segment.dstHi = 0;
        segment.dstLo = IPV4_MAPPED_PREFIX | (ip.destination() & 0xFFFF_FFFFL);
        out.l3Offset = l3 - start;
        out.protocol = ip.protocol();
        if (ip.isFragment())
        {
            return DecodeStatus.IP_FRAGMENT;
        }
        // Ethernet pads short frames: the IP length, not the frame, says where the packet ends.
        final int l4 = l3 + headerLength;
        final int capturedEnd = Math.min(end, l3 + totalLength);
        return transport(frame, start, l4, capturedEnd, l3 + totalLength - l4, ip.protocol(), out);
    }

    private DecodeStatus ipv6(final DirectBuffer frame, final int start, final int l3, final int end, final PacketInfo out)
    {
        if (end - l3 < Ipv6Flyweight.HEADER_LENGTH)
        {
            return DecodeStatus.TRUNCATED_IPV6;
        }
        final Ipv6Flyweight ip = ipv6.wrap(frame, l3);
        if (ip.version() != 6)
        {
            return DecodeStatus.TRUNCATED_IPV6;
        }
        final TcpSegment segment = out.segment();
        segment.ipVersion = 6;
        segment.srcHi = ip.sourceHi();
        segment.srcLo = ip.sourceLo();
        segment.dstHi = ip.destinationHi();
        segment.dstLo = ip.destinationLo();
        out.l3Offset = l3 - start;

        int payloadLength = ip.payloadLength();
        if (payloadLength == 0)
        {
            // A jumbogram or an offloaded frame: trust the capture.
            payloadLength = end - l3 - Ipv6Flyweight.HEADER_LENGTH;
        }
        final int packetEnd = l3 + Ipv6Flyweight.HEADER_LENGTH + payloadLength;
        final int capturedEnd = Math.min(end, packetEnd);
        int next = ip.nextHeader();
        int header = l3 + Ipv6Flyweight.HEADER_LENGTH;
        for (int i = 0; i < IPV6_MAX_EXTENSION_HEADERS; i++)
        {
            switch (next)
            {
                case IPV6_HOP_BY_HOP, IPV6_ROUTING, IPV6_DESTINATION_OPTIONS, IPV6_MOBILITY, IPV6_AH ->
                {
                    if (header + 2 > capturedEnd)
                    {
                        return DecodeStatus.BAD_IPV6_EXTENSION;
                    }
                    final int lengthUnits = frame.getByte(header + 1) & 0xFF;
                    final int length = next == IPV6_AH ? (lengthUnits + 2) * 4 : (lengthUnits + 1) * 8;
                    if (header + length > capturedEnd)
                    {
                        return DecodeStatus.BAD_IPV6_EXTENSION;
                    }
                    next = frame.getByte(header) & 0xFF;
                    header += length;
                }
                case IPV6_FRAGMENT ->
                {
                    if (header + 8 > capturedEnd)
                    {
                        return DecodeStatus.BAD_IPV6_EXTENSION;
                    }
                    final int offsetAndFlags = frame.getShort(header + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                    next = frame.getByte(header) & 0xFF;
                    header += 8;
                    if (offsetAndFlags != 0 && (offsetAndFlags & 0xFFF9) != 0)
                    {
                        out.protocol = next;
                        return DecodeStatus.IP_FRAGMENT;
                    }
                }
                default ->
                {
                    out.protocol = next;
                    return transport(frame, start, header, capturedEnd, packetEnd - header, next, out);
                }
            }
        }
        return DecodeStatus.BAD_IPV6_EXTENSION;
    }

    private DecodeStatus transport(
        final DirectBuffer frame, final int start, final int l4, final int capturedEnd, final int wireLength,
        final int protocol, final PacketInfo out)
    {
        out.l4Offset = l4 - start;
        out.protocol = protocol;
        if (protocol == PROTOCOL_TCP)
        {
            if (capturedEnd - l4 < TcpFlyweight.MIN_HEADER_LENGTH)
            {
                return DecodeStatus.TRUNCATED_TCP;
            }
            final TcpFlyweight segment = tcp.wrap(frame, l4);
            final int headerLength = segment.headerLength();
            if (headerLength < TcpFlyweight.MIN_HEADER_LENGTH || headerLength > wireLength)
            {
                return DecodeStatus.BAD_TCP_HEADER;
            }
            if (capturedEnd - l4 < headerLength)
            {
                return DecodeStatus.TRUNCATED_TCP;
            }
            final TcpSegment decoded = out.segment();
            decoded.srcPort = segment.sourcePort();
            decoded.dstPort = segment.destinationPort();
            decoded.seq = segment.sequence();
            decoded.ack = segment.acknowledgement();
            decoded.flags = segment.flags();
            decoded.window = segment.window();
            out.payloadOffset = l4 + headerLength - start;
            decoded.payloadLength = capturedEnd - l4 - headerLength;
            decoded.wirePayloadLength = wireLength - headerLength;
            return DecodeStatus.TCP;
        }
        if (protocol == PROTOCOL_UDP)
        {
            if (capturedEnd - l4 < UDP_HEADER_LENGTH)
            {
                return DecodeStatus.TRUNCATED_UDP;
            }
            final int udpLength = frame.getShort(l4 + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (udpLength < UDP_HEADER_LENGTH && udpLength != 0)
            {
                return DecodeStatus.BAD_UDP_HEADER;
            }
            final TcpSegment datagram = out.segment();
            datagram.srcPort = frame.getShort(l4, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            datagram.dstPort = frame.getShort(l4 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            out.payloadOffset = l4 + UDP_HEADER_LENGTH - start;
            datagram.payloadLength = capturedEnd - l4 - UDP_HEADER_LENGTH;
            datagram.wirePayloadLength = wireLength - UDP_HEADER_LENGTH;
            return DecodeStatus.UDP;
        }
        return DecodeStatus.OTHER_IP_PROTOCOL;
    }
}
