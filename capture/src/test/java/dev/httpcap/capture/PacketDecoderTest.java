package dev.httpcap.capture;

import java.util.Arrays;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketDecoderTest
{
    private final PacketDecoder decoder = new PacketDecoder();
    private final PacketInfo info = new PacketInfo();

    private DecodeStatus decode(final byte[] frame, final int linkType)
    {
        // Decode from a non-zero offset to prove offsets are relative to the frame.
        final byte[] padded = new byte[frame.length + 7];
        System.arraycopy(frame, 0, padded, 7, frame.length);
        return decoder.decode(new UnsafeBuffer(padded), 7, frame.length, linkType, info);
    }

    @ParameterizedTest
    @ValueSource(ints = {LinkTypes.ETHERNET, LinkTypes.LINUX_SLL, LinkTypes.LINUX_SLL2, LinkTypes.NULL, LinkTypes.LOOP,
        LinkTypes.RAW, LinkTypes.RAW_BSD_12, LinkTypes.RAW_BSD_14, LinkTypes.IPV4})
    void shouldDecodeTcpOverIpv4OnEveryLinkType(final int linkType)
    {
        final byte[] frame = FrameBuilder.tcp().linkType(linkType).ports(40000, 8080).seq(0xFFFF_FFF0L, 7)
            .flags(0x18).payload("GET / HTTP/1.1\r\n").build();
        assertEquals(DecodeStatus.TCP, decode(frame, linkType));
        assertEquals(4, info.segment().ipVersion);
        assertEquals(0x0000_FFFF_0A00_0001L, info.segment().srcLo);
        assertEquals(0x0000_FFFF_0A00_0002L, info.segment().dstLo);
        assertEquals(40000, info.segment().srcPort);
        assertEquals(8080, info.segment().dstPort);
        assertEquals(0xFFFF_FFF0L, info.segment().seq);
        assertEquals(7, info.segment().ack);
        assertEquals(0x18, info.segment().flags);
        assertEquals(16, info.segment().payloadLength);
        assertEquals(16, info.segment().wirePayloadLength);
        assertEquals(frame.length - 16, info.payloadOffset);
    }

    @ParameterizedTest
    @ValueSource(ints = {LinkTypes.ETHERNET, LinkTypes.LINUX_SLL, LinkTypes.LINUX_SLL2, LinkTypes.NULL, LinkTypes.LOOP,
        LinkTypes.RAW, LinkTypes.IPV6})
    void shouldDecodeTcpOverIpv6OnEveryLinkType(final int linkType)
    {
        final byte[] frame = FrameBuilder.tcp().linkType(linkType).ipv6().payload("x").build();
        assertEquals(DecodeStatus.TCP, decode(frame, linkType));
        assertEquals(6, info.segment().ipVersion);
        assertEquals(0x2001_0000_0000_0000L, info.segment().srcHi);
        assertEquals(1, info.segment().srcLo);
        assertEquals(2, info.segment().dstLo);
        assertEquals(1, info.segment().payloadLength);
    }

    @Test
    void shouldRecordOuterAndInnerVlanOfQinQ()
    {
        assertEquals(DecodeStatus.TCP, decode(FrameBuilder.tcp().vlans(100, 200).build(), LinkTypes.ETHERNET));
        assertEquals(100, info.segment().vlan);
        assertEquals(200, info.innerVlan);
        assertEquals(DecodeStatus.TCP, decode(FrameBuilder.tcp().vlans(42).build(), LinkTypes.ETHERNET));
        assertEquals(42, info.segment().vlan);
        assertEquals(PacketInfo.NO_VLAN, info.innerVlan);
    }

    @Test
    void shouldWalkIpv6ExtensionHeaders()
    {
        final byte[] frame = FrameBuilder.tcp().ipv6().ipv6Extensions(0, 43, 60).payload("abc").build();
        assertEquals(DecodeStatus.TCP, decode(frame, LinkTypes.ETHERNET));
        assertEquals(3, info.segment().payloadLength);
        assertEquals(14 + 40 + 24, info.l4Offset);
    }

    @Test
    void shouldDecodeAtomicIpv6FragmentButCountRealFragments()
    {
        assertEquals(DecodeStatus.TCP, decode(FrameBuilder.tcp().ipv6().ipv6Extensions(44).build(), LinkTypes.ETHERNET));
        assertEquals(DecodeStatus.IP_FRAGMENT,
            decode(FrameBuilder.tcp().ipv6().ipv6Extensions(44).fragment().build(), LinkTypes.ETHERNET));
        assertEquals(DecodeStatus.IP_FRAGMENT, decode(FrameBuilder.tcp().fragment().build(), LinkTypes.ETHERNET));
    }

    @Test
    void shouldSkipIpv4OptionsAndTcpOptions()
    {
        final byte[] frame = FrameBuilder.tcp().ipv4Options(2).flags(0x02)
            .tcpOptions(2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6)
            .build();
        assertEquals(DecodeStatus.TCP, decode(frame, LinkTypes.ETHERNET));
        assertEquals(14 + 28, info.l4Offset);
        // The options are not read (nothing downstream uses them), only stepped over.
        assertEquals(14 + 28 + 20 + 20, info.payloadOffset);
        assertEquals(0x02, info.segment().flags);
        assertEquals(0, info.segment().payloadLength);
    }

    @Test
    void shouldIgnoreEthernetPaddingAfterTheIpPacket()
    {
        final byte[] frame = Arrays.copyOf(FrameBuilder.tcp().flags(0x10).build(), 60);
        assertEquals(DecodeStatus.TCP, decode(frame, LinkTypes.ETHERNET));
        assertEquals(0, info.segment().payloadLength);
        assertEquals(0, info.segment().wirePayloadLength);
    }

    @Test
    void shouldKeepWireLengthWhenSnaplenCutThePayload()
    {
        final byte[] frame = FrameBuilder.tcp().payload(new byte[1000]).build();
        assertEquals(DecodeStatus.TCP, decode(Arrays.copyOf(frame, 100), LinkTypes.ETHERNET));
        assertEquals(100 - 54, info.segment().payloadLength);
        assertEquals(1000, info.segment().wirePayloadLength);
    }

    @Test
    void shouldNameEveryNonTcpOutcome()
    {
        final byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertEquals(DecodeStatus.NON_IP, decode(arp, LinkTypes.ETHERNET));
        assertEquals(DecodeStatus.UDP, decode(FrameBuilder.tcp().udp().ports(5353, 53).payload("q").build(), LinkTypes.ETHERNET));
        assertEquals(53, info.segment().dstPort);
        assertEquals(DecodeStatus.OTHER_IP_PROTOCOL, decode(FrameBuilder.tcp().protocol(1).payload("ping").build(), LinkTypes.ETHERNET));
        assertEquals(DecodeStatus.UNSUPPORTED_LINK_TYPE, decode(FrameBuilder.tcp().build(), 147));
        assertEquals(DecodeStatus.TRUNCATED_LINK_HEADER, decode(new byte[10], LinkTypes.ETHERNET));
        final byte[] tcp = FrameBuilder.tcp().build();
        assertEquals(DecodeStatus.TRUNCATED_IPV4, decode(Arrays.copyOf(tcp, 14 + 10), LinkTypes.ETHERNET));
        assertEquals(DecodeStatus.TRUNCATED_TCP, decode(Arrays.copyOf(tcp, 14 + 20 + 10), LinkTypes.ETHERNET));
        final byte[] badIhl = tcp.clone();
        badIhl[14] = 0x43;
        assertEquals(DecodeStatus.BAD_IPV4_HEADER, decode(badIhl, LinkTypes.ETHERNET));
        final byte[] badOffset = tcp.clone();
        badOffset[14 + 20 + 12] = 0x30;
        assertEquals(DecodeStatus.BAD_TCP_HEADER, decode(badOffset, LinkTypes.ETHERNET));
        final byte[] v6 = FrameBuilder.tcp().ipv6().ipv6Extensions(0).build();
        assertEquals(DecodeStatus.BAD_IPV6_EXTENSION, decode(Arrays.copyOf(v6, 14 + 40 + 4), LinkTypes.ETHERNET));
        assertEquals(DecodeStatus.TRUNCATED_IPV6, decode(Arrays.copyOf(v6, 14 + 30), LinkTypes.ETHERNET));
        final byte[] udp = FrameBuilder.tcp().udp().build();
        assertEquals(DecodeStatus.TRUNCATED_UDP, decode(Arrays.copyOf(udp, 14 + 20 + 4), LinkTypes.ETHERNET));
    }

    @Test
    void shouldNeverThrowOnAnyPrefixOrCorruptionOfValidFrames()
    {
        final byte[][] frames = {
            FrameBuilder.tcp().vlans(1, 2).ipv4Options(3).tcpOptions(2, 4, 1, 1).payload("abc").build(),
            FrameBuilder.tcp().ipv6().ipv6Extensions(0, 43, 44, 60).payload("abc").build(),
            FrameBuilder.tcp().udp().payload("abc").build(),
        };
        final int[] linkTypes = {LinkTypes.ETHERNET, LinkTypes.LINUX_SLL, LinkTypes.LINUX_SLL2, LinkTypes.NULL,
            LinkTypes.RAW, LinkTypes.IPV4, LinkTypes.IPV6};
        final Random random = new Random(1);
        for (final byte[] frame : frames)
        {
            for (final int linkType : linkTypes)
            {
                for (int length = 0; length <= frame.length; length++)
                {
                    assertNotNull(decode(Arrays.copyOf(frame, length), linkType));
                }
                for (int i = 0; i < 2_000; i++)
                {
                    final byte[] corrupt = frame.clone();
                    for (int flips = 0; flips < 4; flips++)
                    {
                        corrupt[random.nextInt(corrupt.length)] = (byte)random.nextInt(256);
                    }
                    assertNotNull(decode(Arrays.copyOf(corrupt, random.nextInt(corrupt.length + 1)), linkType));
                }
            }
        }
    }

    @Test
    void shouldHashBothDirectionsOfAConnectionAlike()
    {
        decode(FrameBuilder.tcp().ports(40000, 80).build(), LinkTypes.ETHERNET);
        final long forward = SymmetricFlowHash.hash(info);
        decode(FrameBuilder.tcp().addresses(new byte[] {10, 0, 0, 2}, new byte[] {10, 0, 0, 1}).ports(80, 40000).build(),
            LinkTypes.ETHERNET);
        assertEquals(forward, SymmetricFlowHash.hash(info));
        decode(FrameBuilder.tcp().ports(40001, 80).build(), LinkTypes.ETHERNET);
        assertTrue(forward != SymmetricFlowHash.hash(info));
    }
}
