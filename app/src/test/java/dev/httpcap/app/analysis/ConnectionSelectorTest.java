package dev.httpcap.app.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import dev.httpcap.app.analysis.ConnectionSelector.Verdict;
import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.event.EventText;

class ConnectionSelectorTest
{
    private static final int SYN = TcpSegment.SYN;
    private static final int SYN_ACK = TcpSegment.SYN | TcpSegment.ACK;
    private static final int ACK = TcpSegment.ACK;

    private static TcpSegment packet(final int src, final int srcPort, final int dst, final int dstPort, final int flags,
        final long seq)
    {
        final TcpSegment p = new TcpSegment();
        p.ipVersion = 4;
        p.srcLo = EventText.ipv4MappedLo(src);
        p.srcPort = srcPort;
        p.dstLo = EventText.ipv4MappedLo(dst);
        p.dstPort = dstPort;
        p.flags = flags;
        p.seq = seq;
        return p;
    }

    private static final int CLIENT = 0x0a000001;
    private static final int SERVER = 0x0a000002;

    /** Three connections: A (port 1000), B (port 2000), then A's 4-tuple reused with a new SYN: tcp.stream 0, 1, 2. */
    private static Verdict[] run(final ConnectionSelector selector)
    {
        final TcpSegment[] packets = {
            packet(CLIENT, 1000, SERVER, 80, SYN, 100),
            packet(SERVER, 80, CLIENT, 1000, SYN_ACK, 900),
            packet(CLIENT, 2000, SERVER, 80, SYN, 500),
            packet(CLIENT, 1000, SERVER, 80, ACK, 101),
            packet(CLIENT, 1000, SERVER, 80, SYN, 100), // a retransmitted SYN: same connection
            packet(SERVER, 80, CLIENT, 2000, ACK, 42),
            packet(CLIENT, 1000, SERVER, 80, SYN, 7000), // a new ISN: a new connection
            packet(SERVER, 80, CLIENT, 1000, SYN_ACK, 5),
        };
        final Verdict[] verdicts = new Verdict[packets.length];
        for (int i = 0; i < packets.length; i++)
        {
            verdicts[i] = selector.onTcpPacket(packets[i]);
        }
        return verdicts;
    }

    private static final Verdict O = Verdict.OTHER;
    private static final Verdict S = Verdict.SELECTED;
    private static final Verdict D = Verdict.DONE;

    @Test
    void shouldNumberConnectionsAsTsharkDoesWhenA4TupleIsReused()
    {
        final ConnectionSelector first = ConnectionSelector.byStream(0);
        assertArrayEquals(new Verdict[] {S, S, O, S, S, O, D, D}, run(first));
        assertEquals(0, first.selectedNumber());

        final ConnectionSelector second = ConnectionSelector.byStream(1);
        assertArrayEquals(new Verdict[] {O, O, S, O, O, S, O, O}, run(second));
        assertEquals(1, second.selectedNumber());

        final ConnectionSelector third = ConnectionSelector.byStream(2);
        assertArrayEquals(new Verdict[] {O, O, O, O, O, O, S, S}, run(third));
        assertEquals(2, third.selectedNumber());

        final ConnectionSelector none = ConnectionSelector.byStream(3);
        assertArrayEquals(new Verdict[] {O, O, O, O, O, O, O, O}, run(none));
        assertEquals(-1, none.selectedNumber());
        assertEquals(3, none.connectionsSeen());
    }

    @Test
    void shouldChooseTheFirstConnectionOfA4TupleOrCommunityId()
    {
        final ConnectionSelector tuple = ConnectionSelector.byTuple("10.0.0.2:80, 10.0.0.1:2000");
        assertArrayEquals(new Verdict[] {O, O, S, O, O, S, O, O}, run(tuple));
        assertEquals(1, tuple.selectedNumber());

        final ConnectionSelector reused = ConnectionSelector.byTuple("10.0.0.1:1000,10.0.0.2:80");
        assertArrayEquals(new Verdict[] {S, S, O, S, S, O, D, D}, run(reused));

        final ConnectionSelector probe = ConnectionSelector.byStream(0);
        final String id = probe.communityId(packet(SERVER, 80, CLIENT, 2000, ACK, 0));
        final ConnectionSelector byId = ConnectionSelector.byCommunityId(id);
        assertArrayEquals(new Verdict[] {O, O, S, O, O, S, O, O}, run(byId));
        // Community ID v1 of 10.0.0.1:2000 -> 10.0.0.2:80 (TCP, seed 0), order-independent.
        assertEquals(id, probe.communityId(packet(CLIENT, 2000, SERVER, 80, SYN, 0)));
        assertEquals(30, id.length());
    }

    @Test
    void shouldRefuseEndpointsThatAreNotNumeric()
    {
        assertThrows(IllegalArgumentException.class, () -> ConnectionSelector.byTuple("example.com:80,10.0.0.1:1"));
        assertThrows(IllegalArgumentException.class, () -> ConnectionSelector.byTuple("10.0.0.1:80"));
        assertThrows(IllegalArgumentException.class, () -> ConnectionSelector.byTuple("10.0.0.1:99999,10.0.0.2:1"));
        ConnectionSelector.byTuple("[::1]:8080,[2001:db8::1]:443");
    }

    private static void assertArrayEquals(final Verdict[] expected, final Verdict[] actual)
    {
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(actual));
    }
}
