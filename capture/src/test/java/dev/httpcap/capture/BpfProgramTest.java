package dev.httpcap.capture;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpfProgramTest
{
    private static boolean matches(final String filter, final int linkType, final byte[] frame)
    {
        final BpfProgram program = BpfCompiler.compile(filter, linkType, 262144);
        return program.matches(new UnsafeBuffer(frame), 0, frame.length, frame.length);
    }

    @Test
    void shouldMatchLikeTcpdumpOnEthernet()
    {
        final byte[] http = FrameBuilder.tcp().ports(40000, 80).payload("GET /").build();
        final byte[] other = FrameBuilder.tcp().ports(40000, 443).build();
        final byte[] udp = FrameBuilder.tcp().udp().ports(5353, 80).build();
        assertTrue(matches("tcp port 80", LinkTypes.ETHERNET, http));
        assertFalse(matches("tcp port 80", LinkTypes.ETHERNET, other));
        assertFalse(matches("tcp port 80", LinkTypes.ETHERNET, udp));
        assertTrue(matches("host 10.0.0.1 and dst port 80", LinkTypes.ETHERNET, http));
        assertFalse(matches("host 10.9.9.9", LinkTypes.ETHERNET, http));
        assertTrue(matches("tcp[tcpflags] & tcp-push != 0", LinkTypes.ETHERNET, http));
        assertTrue(matches("greater 59", LinkTypes.ETHERNET, http));
        assertFalse(matches("greater 60", LinkTypes.ETHERNET, http));
        assertFalse(matches("less 20", LinkTypes.ETHERNET, http));
    }

    @Test
    void shouldMatchVlanIpv6AndOtherLinkTypes()
    {
        assertTrue(matches("vlan 42 and tcp port 80", LinkTypes.ETHERNET, FrameBuilder.tcp().vlans(42).build()));
        assertFalse(matches("vlan 43 and tcp", LinkTypes.ETHERNET, FrameBuilder.tcp().vlans(42).build()));
        assertTrue(matches("ip6 and tcp dst port 80", LinkTypes.ETHERNET, FrameBuilder.tcp().ipv6().build()));
        assertFalse(matches("ip6", LinkTypes.ETHERNET, FrameBuilder.tcp().build()));
        assertTrue(matches("tcp port 80", LinkTypes.LINUX_SLL, FrameBuilder.tcp().linkType(LinkTypes.LINUX_SLL).build()));
        assertTrue(matches("tcp port 80", LinkTypes.LINUX_SLL2, FrameBuilder.tcp().linkType(LinkTypes.LINUX_SLL2).build()));
        assertTrue(matches("tcp port 80", LinkTypes.RAW, FrameBuilder.tcp().linkType(LinkTypes.RAW).build()));
        assertTrue(matches("tcp port 80", LinkTypes.NULL, FrameBuilder.tcp().linkType(LinkTypes.NULL).build()));
    }

    @Test
    void shouldRejectWhenALoadRunsPastTheCapturedBytes()
    {
        final byte[] frame = FrameBuilder.tcp().build();
        final BpfProgram program = BpfCompiler.compile("tcp port 80", LinkTypes.ETHERNET, 262144);
        assertFalse(program.matches(new UnsafeBuffer(frame), 0, 30, frame.length));
    }

    @Test
    void shouldExplainASyntaxError()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> BpfCompiler.compile("tcp prot 80", LinkTypes.ETHERNET, 65535));
        assertTrue(ex.getMessage().startsWith("bad filter 'tcp prot 80': "), ex.getMessage());
    }

    @Test
    void shouldRefuseProgramsThatJumpOutOfThemselves()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new BpfProgram(new short[] {0x15}, new byte[] {1}, new byte[] {0}, new int[] {0}));
        final BpfProgram acceptAll = new BpfProgram(new short[] {0x06}, new byte[1], new byte[1], new int[] {65535});
        assertEquals(1, acceptAll.instructionCount());
        assertTrue(acceptAll.matches(new UnsafeBuffer(new byte[1]), 0, 0, 0));
    }
}
