package dev.httpcap.decoders.tcp;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static dev.httpcap.common.TcpSegment.ACK;
import static dev.httpcap.common.TcpSegment.FIN;
import static dev.httpcap.common.TcpSegment.RST;
import static dev.httpcap.common.TcpSegment.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.httpcap.common.TcpSegment;

class TcpFlowTrackerTest
{
    private static final long SECOND = 1_000_000_000L;
    private static final long CLIENT = 0x0000_FFFF_0A00_0001L;
    private static final long SERVER = 0x0000_FFFF_0A00_0002L;

    record Ended(FlowEndReason reason, long clientIp, int clientPort, int serverPort, long clientPackets,
        long serverPackets, long clientBytes, long serverBytes, boolean midstream, String history, long start, long end)
    {
    }

    private final List<Ended> ended = new ArrayList<>();
    private final FlowListener listener = flow -> ended.add(new Ended(flow.endReason(), flow.clientLo(), flow.clientPort(),
        flow.serverPort(), flow.packets(TcpFlow.FROM_CLIENT), flow.packets(TcpFlow.FROM_SERVER),
        flow.bytes(TcpFlow.FROM_CLIENT), flow.bytes(TcpFlow.FROM_SERVER), flow.isMidstream(),
        new String(flow.historyBytes(), 0, flow.historyLength()), flow.startNanos(), flow.lastNanos()));
    private final TcpSegment segment = new TcpSegment();

    private TcpFlowTracker tracker(final int maxFlows)
    {
        return new TcpFlowTracker(listener, maxFlows, 60 * SECOND, 5 * SECOND);
    }

    private TcpFlow send(final TcpFlowTracker tracker, final long time, final boolean fromClient, final int clientPort,
        final int flags, final long seq, final int payload)
    {
        segment.timestampNanos = time;
        segment.ipVersion = 4;
        segment.vlan = -1;
        segment.srcHi = 0;
        segment.dstHi = 0;
        segment.srcLo = fromClient ? CLIENT : SERVER;
        segment.dstLo = fromClient ? SERVER : CLIENT;
        segment.srcPort = fromClient ? clientPort : 80;
        segment.dstPort = fromClient ? 80 : clientPort;
        segment.flags = flags;
        segment.seq = seq;
        segment.wirePayloadLength = payload;
        segment.payloadLength = payload;
        segment.wireLength = 54 + payload;
        return tracker.onSegment(segment);
    }

    /** {@link #send} with an acknowledgement number. */
    private TcpFlow send(final TcpFlowTracker tracker, final long time, final boolean fromClient, final int flags,
        final long seq, final long ack)
    {
        segment.ack = ack;
        return send(tracker, time, fromClient, 40000, flags, seq, 0);
    }

    private void handshakeAndClose(final TcpFlowTracker tracker, final long t, final int port, final long isn)
    {
        send(tracker, t, true, port, SYN, isn, 0);
        send(tracker, t + 1, false, port, SYN | ACK, 500, 0);
        send(tracker, t + 2, true, port, ACK, isn + 1, 0);
        send(tracker, t + 3, true, port, ACK, isn + 1, 100);
        send(tracker, t + 4, false, port, ACK, 501, 1000);
        send(tracker, t + 5, true, port, FIN | ACK, isn + 101, 0);
        send(tracker, t + 6, false, port, FIN | ACK, 1501, 0);
        send(tracker, t + 7, true, port, ACK, isn + 102, 0);
    }

    @Test
    void shouldWriteOneRecordWithCountsEachWayWhenConnectionClosesWithFin()
    {
        final TcpFlowTracker tracker = tracker(16);
        handshakeAndClose(tracker, SECOND, 40000, 1000);
        assertTrue(ended.isEmpty(), "the closed connection lingers for its last packets");
        tracker.endAll();

        assertEquals(1, ended.size());
        final Ended flow = ended.get(0);
        assertEquals(FlowEndReason.FIN, flow.reason());
        assertEquals(CLIENT, flow.clientIp());
        assertEquals(40000, flow.clientPort());
        assertEquals(5, flow.clientPackets());
        assertEquals(3, flow.serverPackets());
        assertEquals(5 * 54 + 100, flow.clientBytes());
        assertEquals(3 * 54 + 1000, flow.serverBytes());
        assertEquals("ShADdFf", flow.history());
        assertFalse(flow.midstream());
        assertEquals(SECOND, flow.start());
        assertEquals(SECOND + 7, flow.end());
    }

    @Test
    void shouldWriteClosedRecordAfterLingerInPacketTime()
    {
        final TcpFlowTracker tracker = tracker(16);
        handshakeAndClose(tracker, SECOND, 40000, 1000);
        send(tracker, 10 * SECOND, true, 40001, SYN, 9, 0);
        assertEquals(1, ended.size());
        assertEquals(FlowEndReason.FIN, ended.get(0).reason());
        assertEquals(1, tracker.activeFlows());
    }

    @Test
    void shouldEndWithRstAndStartANewFlowWhenTheTupleIsReused()
    {
        final TcpFlowTracker tracker = tracker(16);
        send(tracker, 1, true, 40000, SYN, 1000, 0);
        send(tracker, 2, false, 40000, RST | ACK, 0, 0);
        send(tracker, 3, true, 40000, SYN, 2000, 0);
        assertEquals(1, ended.size());
        assertEquals(FlowEndReason.RST, ended.get(0).reason());
        assertEquals(1, tracker.portReuses());
        tracker.endAll();
        assertEquals(FlowEndReason.END_OF_CAPTURE, ended.get(1).reason());
        assertEquals(1, ended.get(1).clientPackets());
    }

    @Test
    void shouldTimeTheHandshakeFromTheSynToTheAckOfTheSynAck()
    {
        final TcpFlowTracker tracker = tracker(16);
        final long ms = 1_000_000;
        final TcpFlow flow = send(tracker, SECOND, true, SYN, 0xFFFF_FFF0L, 0);
        send(tracker, SECOND + 2 * ms, false, SYN | ACK, 0xFFFF_FFFFL, 0xFFFF_FFF1L);
        assertEquals(-1, flow.handshakeNanos(), "not known before the ACK");
        send(tracker, SECOND + 20 * ms, true, ACK, 0xFFFF_FFF1L, 0); // the server's ISN + 1 wraps to 0
        assertEquals(20 * ms, flow.handshakeNanos());
        send(tracker, SECOND + 25 * ms, true, ACK, 0xFFFF_FFF1L, 0);
        send(tracker, SECOND + 26 * ms, false, SYN | ACK, 0xFFFF_FFFFL, 0xFFFF_FFF1L);
        send(tracker, SECOND + 27 * ms, true, ACK, 0xFFFF_FFF1L, 0);
        assertEquals(20 * ms, flow.handshakeNanos(), "later segments leave it as it was");
    }

    @Test
    void shouldNotTimeAHandshakeWhoseSynOrSynAckWasSentTwice()
    {
        final long ms = 1_000_000;
        final TcpFlowTracker tracker = tracker(16);
        // The SYN again: was the SYN-ACK the answer to the first or to the second? (Karn)
        TcpFlow flow = send(tracker, SECOND, true, SYN, 1000, 0);
        send(tracker, SECOND + 1000 * ms, true, SYN, 1000, 0);
        send(tracker, SECOND + 1001 * ms, false, SYN | ACK, 7000, 1001);
        send(tracker, SECOND + 1002 * ms, true, ACK, 1001, 7001);
        assertEquals(-1, flow.handshakeNanos());
        tracker.endAll();

        // The SYN-ACK again: which one did the ACK answer?
        flow = send(tracker, SECOND, true, SYN, 1000, 0);
        send(tracker, SECOND + 1 * ms, false, SYN | ACK, 7000, 1001);
        send(tracker, SECOND + 1001 * ms, false, SYN | ACK, 7000, 1001);
        send(tracker, SECOND + 1002 * ms, true, ACK, 1001, 7001);
        assertEquals(-1, flow.handshakeNanos());
        tracker.endAll();
    }

    @Test
    void shouldNotTimeAHandshakeNotSeenWhole()
    {
        final long ms = 1_000_000;
        final TcpFlowTracker tracker = tracker(16);
        // Midstream: no SYN.
        TcpFlow flow = send(tracker, SECOND, true, ACK, 1001, 7001);
        send(tracker, SECOND + ms, false, ACK, 7001, 1001);
        assertTrue(flow.isMidstream());
        assertEquals(-1, flow.handshakeNanos());
        tracker.endAll();

        // The SYN was not captured: the flow starts at the SYN-ACK.
        flow = send(tracker, SECOND, false, SYN | ACK, 7000, 1001);
        send(tracker, SECOND + 5 * ms, true, ACK, 1001, 7001);
        assertEquals(-1, flow.handshakeNanos());
        tracker.endAll();

        // The client's next segment does not acknowledge the SYN-ACK (here a reset): no round trip.
        flow = send(tracker, SECOND, true, SYN, 1000, 0);
        send(tracker, SECOND + 1 * ms, false, SYN | ACK, 7000, 1001);
        send(tracker, SECOND + 3 * ms, true, RST | ACK, 1001, 7001);
        assertEquals(-1, flow.handshakeNanos());
        tracker.endAll();

        // An ACK of something else.
        flow = send(tracker, SECOND, true, SYN, 1000, 0);
        send(tracker, SECOND + 1 * ms, false, SYN | ACK, 7000, 1001);
        send(tracker, SECOND + 3 * ms, true, ACK, 1001, 6000);
        send(tracker, SECOND + 4 * ms, true, ACK, 1001, 7001);
        assertEquals(-1, flow.handshakeNanos());
    }

    @Test
    void shouldKeepRetransmittedSynInTheSameFlow()
    {
        final TcpFlowTracker tracker = tracker(16);
        send(tracker, 1, true, 40000, SYN, 1000, 0);
        send(tracker, 2, true, 40000, SYN, 1000, 0);
        send(tracker, 3, false, 40000, SYN | ACK, 7, 0);
        tracker.endAll();
        assertEquals(1, ended.size());
        assertEquals(2, ended.get(0).clientPackets());
    }

    @Test
    void shouldTagMidstreamAndPickTheLowerPortAsServer()
    {
        final TcpFlowTracker tracker = tracker(16);
        send(tracker, 1, false, 40000, ACK, 77, 500);
        send(tracker, 2, true, 40000, ACK, 5, 0);
        tracker.endAll();
        assertEquals(1, ended.size());
        assertTrue(ended.get(0).midstream());
        assertEquals(40000, ended.get(0).clientPort());
        assertEquals(80, ended.get(0).serverPort());
        assertEquals(1, ended.get(0).serverPackets());
        assertEquals(1, tracker.midstreamStarts());
    }

    @Test
    void shouldTakeTheReceiverOfASynAckAsClient()
    {
        final TcpFlowTracker tracker = tracker(16);
        send(tracker, 1, false, 40000, SYN | ACK, 77, 0);
        tracker.endAll();
        assertEquals(40000, ended.get(0).clientPort());
        assertFalse(ended.get(0).midstream());
    }

    @Test
    void shouldTimeOutIdleFlowsInPacketTime()
    {
        final TcpFlowTracker tracker = tracker(16);
        send(tracker, 0, true, 40000, SYN, 1, 0);
        send(tracker, 30 * SECOND, true, 40001, SYN, 1, 0);
        assertTrue(ended.isEmpty());
        send(tracker, 61 * SECOND, true, 40002, SYN, 1, 0);
        assertEquals(1, ended.size());
        assertEquals(FlowEndReason.TIMEOUT, ended.get(0).reason());
        assertEquals(40000, ended.get(0).clientPort());
    }

    @Test
    void shouldEvictTheLeastRecentlySeenFlowWhenTheTableIsFull()
    {
        final TcpFlowTracker tracker = tracker(4);
        for (int i = 0; i < 4; i++)
        {
            send(tracker, i, true, 40000 + i, SYN, 1, 0);
        }
        send(tracker, 10, true, 40000, ACK, 2, 0);
        send(tracker, 11, true, 50000, SYN, 1, 0);
        assertEquals(1, ended.size());
        assertEquals(FlowEndReason.EVICTED, ended.get(0).reason());
        assertEquals(40001, ended.get(0).clientPort());
        assertEquals(1, tracker.flowsEnded(FlowEndReason.EVICTED));
        assertEquals(4, tracker.activeFlows());
    }

    @Test
    void shouldFindEveryFlowAfterManyInsertionsAndRemovals()
    {
        final TcpFlowTracker tracker = new TcpFlowTracker(listener, 1024, 5 * SECOND, 5 * SECOND);
        long time = 0;
        long expectedEnded = 0;
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 1000; i++)
            {
                send(tracker, time++, true, 1024 + (round * 1000 + i) % 60000, SYN, i, 0);
            }
            for (int i = 0; i < 1000; i += 2)
            {
                send(tracker, time++, false, 1024 + (round * 1000 + i) % 60000, RST, 0, 0);
            }
            time += 10 * SECOND;
            send(tracker, time, true, 1, SYN, 0, 0);
            expectedEnded += 500;
            assertEquals(expectedEnded, tracker.flowsEnded(FlowEndReason.RST));
            for (final Ended e : ended)
            {
                if (e.reason() == FlowEndReason.RST)
                {
                    assertEquals(1, e.serverPackets(), "the RST found its flow");
                }
            }
            assertEquals(0, tracker.flowsEnded(FlowEndReason.EVICTED));
        }
        tracker.endAll();
        assertEquals(0, tracker.activeFlows());
        assertEquals(tracker.flowsCreated(), ended.size());
    }

    @Test
    void shouldFindEveryFlowWhenTheirHashesCollide()
    {
        // Two bits of hash: ~250 connections per hash value, long runs of equal hashes from slots 0-3 on.
        final TcpFlowTracker tracker = new TcpFlowTracker(listener, 1024, 5 * SECOND, 5 * SECOND, 0x3);
        long time = 0;
        long expectedEnded = 0;
        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < 1000; i++)
            {
                send(tracker, time++, true, 1024 + (round * 1000 + i) % 60000, SYN, i, 0);
            }
            for (int i = 0; i < 1000; i += 2)
            {
                send(tracker, time++, false, 1024 + (round * 1000 + i) % 60000, RST, 0, 0);
            }
            for (int i = 1; i < 1000; i += 2)
            {
                final TcpFlow flow = send(tracker, time++, true, 1024 + (round * 1000 + i) % 60000, ACK, i + 1, 10);
                assertEquals(2, flow.packets(TcpFlow.FROM_CLIENT), "the data segment found its flow");
            }
            time += 10 * SECOND;
            send(tracker, time, true, 1, SYN, 0, 0);
            expectedEnded += 500;
            assertEquals(expectedEnded, tracker.flowsEnded(FlowEndReason.RST));
            assertEquals(expectedEnded, ended.stream().filter(e -> e.reason() == FlowEndReason.RST && e.serverPackets() == 1)
                .count(), "every RST found its flow");
            assertEquals(0, tracker.flowsEnded(FlowEndReason.EVICTED));
        }
        tracker.endAll();
        assertEquals(0, tracker.activeFlows());
        assertEquals(tracker.flowsCreated(), ended.size());
        assertEquals(10 * 1000 + 10, tracker.flowsCreated(), "no segment started a flow of its own");
    }

    @Test
    void shouldFindEveryFlowWhenProbesWrapAroundTheTableEnd()
    {
        // Four flows in eight slots, three bits of hash: runs cross the table's end, and removals
        // shift entries back across it.
        final TcpFlowTracker tracker = new TcpFlowTracker(listener, 4, 5 * SECOND, 5 * SECOND, 0x7);
        final java.util.Random random = new java.util.Random(42);
        final int[] open = {-1, -1, -1, -1};
        final int[] sent = new int[4];
        long opened = 0;
        long time = 0;
        for (int step = 0; step < 20_000; step++)
        {
            final int lane = random.nextInt(4);
            if (open[lane] < 0)
            {
                // Lanes never share a port: each connection is its lane's alone.
                open[lane] = 1024 + lane + 4 * random.nextInt(15_000);
                sent[lane] = 1;
                opened++;
                send(tracker, time++, true, open[lane], SYN, 0, 0);
            }
            else if (random.nextInt(4) == 0)
            {
                send(tracker, time++, false, open[lane], RST, 0, 0);
                open[lane] = -1;
            }
            else
            {
                final TcpFlow flow = send(tracker, time++, true, open[lane], ACK, 1, 10);
                sent[lane]++;
                assertEquals(open[lane], flow.clientPort(), "the segment found its connection");
                assertEquals(sent[lane], flow.packets(TcpFlow.FROM_CLIENT), "and not a new one");
            }
        }
        assertEquals(opened, tracker.flowsCreated(), "no segment started a flow of its own");
        assertEquals(0, tracker.flowsEnded(FlowEndReason.EVICTED), "four flows fit; none was lost in the table");
        tracker.endAll();
        assertEquals(0, tracker.activeFlows());
        assertEquals(tracker.flowsCreated(), ended.size());
    }

    @Test
    void shouldKeepConnectionsWholeWhenTheTimestampsGoBackwards()
    {
        // Two captures joined end to end (mergecap -a, rotated files concatenated out of order) or a
        // clock set back: the second part's packets are ten minutes older than the first's last one.
        final TcpFlowTracker tracker = tracker(1024);
        send(tracker, 1000 * SECOND, true, 40000, SYN, 0, 0);
        send(tracker, 1000 * SECOND + 1, false, 40000, SYN | ACK, 500, 0);
        final int connections = 200; // 1,600 packets: more than the 1,024 late ones that make a step
        for (int i = 0; i < connections; i++)
        {
            handshakeAndClose(tracker, 400 * SECOND + i * SECOND / 10, 41000 + i, 1);
        }
        assertEquals(1, tracker.clockStepsBack(), "the step back is counted once");
        assertTrue(ended.stream().allMatch(e -> e.reason() == FlowEndReason.FIN), "none timed out: " + ended);

        // The tracker's clock runs on from where the first part left it: the closed connections linger
        // 5 s of it, the one open at the step idles out 60 s after its last packet.
        send(tracker, 430 * SECOND, true, 50000, SYN, 0, 0);
        assertEquals(connections, ended.size(), "every connection of the second part ended once");
        for (final Ended e : ended)
        {
            assertEquals(FlowEndReason.FIN, e.reason(), e.toString());
            assertEquals(5, e.clientPackets(), e.toString());
            assertEquals(3, e.serverPackets(), e.toString());
            assertEquals(7, e.end() - e.start(), "its times are its packets' own: " + e);
            assertTrue(e.start() >= 400 * SECOND && e.start() < 420 * SECOND, e.toString());
        }
        assertEquals(0, ended.stream().filter(e -> e.clientPort() == 40000).count(), "the first part's connection is open");
        send(tracker, 500 * SECOND, true, 50001, SYN, 0, 0);
        final Ended first = ended.stream().filter(e -> e.clientPort() == 40000).findFirst().orElseThrow();
        assertEquals(FlowEndReason.TIMEOUT, first.reason());
        assertEquals(1000 * SECOND + 1, first.end(), "its last packet's time");
        assertEquals(1, tracker.clockStepsBack());
    }

    @Test
    void shouldNotRunTheClockAwayOnTwoSourcesWhoseClocksDiffer()
    {
        // Two interfaces' packets interleaved, one clock 3 s behind the other: late packets, not a step.
        final TcpFlowTracker tracker = tracker(1024);
        send(tracker, 1000 * SECOND, true, 40000, SYN, 0, 0);
        for (int i = 1; i <= 5000; i++)
        {
            send(tracker, 1000 * SECOND + i * 1_000_000L, true, 41000, ACK, i, 10);
            send(tracker, 997 * SECOND + i * 1_000_000L, true, 42000, ACK, i, 10);
        }
        assertEquals(0, tracker.clockStepsBack());
        assertEquals(List.of(), ended, "5 s of packets: nothing idled out, and the late source's connection is whole");
        send(tracker, 1059 * SECOND, true, 41000, ACK, 5001, 10);
        assertEquals(List.of(), ended, "the clock stayed with the packets");
        send(tracker, 1061 * SECOND, true, 41000, ACK, 5002, 10);
        assertEquals(1, ended.size(), ended.toString());
        assertEquals(40000, ended.get(0).clientPort());
        assertEquals(FlowEndReason.TIMEOUT, ended.get(0).reason());
    }

    @Test
    void shouldNotTakeABacklogBehindTheWallClockTicksForAStepBack()
    {
        // Live capture: the capture thread's ticks carry the wall-clock time, and the packets read after
        // one may be seconds older when the kernel ring holds a backlog (warm-up, a pause).
        final TcpFlowTracker tracker = tracker(1024);
        tracker.tick(1000 * SECOND);
        for (int i = 0; i < 300; i++)
        {
            handshakeAndClose(tracker, 998 * SECOND + i * 1_000_000L, 41000 + i, 1);
        }
        tracker.tick(1001 * SECOND);
        for (int i = 300; i < 600; i++)
        {
            handshakeAndClose(tracker, 999 * SECOND + i * 1_000_000L, 41000 + i, 1);
        }
        assertEquals(0, tracker.clockStepsBack(), "2,400 packets 2 s behind a tick are a backlog, not a step");
        assertEquals(List.of(), ended, "nothing ended before its 5 s linger");
        tracker.tick(1007 * SECOND);
        assertEquals(600, ended.size());
        assertTrue(ended.stream().allMatch(e -> e.reason() == FlowEndReason.FIN && e.clientPackets() == 5
            && e.serverPackets() == 3), ended.toString());
    }

    @Test
    void shouldHoldTheClockArithmeticAtTheEndsOfTheRange()
    {
        // A damaged capture's far-future times, added to steps back, must not wrap round to the past.
        assertEquals(12, TcpFlowTracker.saturatedAdd(5, 7));
        assertEquals(Long.MAX_VALUE, TcpFlowTracker.saturatedAdd(Long.MAX_VALUE / 2 + 1, Long.MAX_VALUE / 2 + 1));
        assertEquals(Long.MAX_VALUE, TcpFlowTracker.saturatedAdd(Long.MAX_VALUE, 1));
        assertEquals(Long.MIN_VALUE, TcpFlowTracker.saturatedAdd(Long.MIN_VALUE, -1));
        assertEquals(-1, TcpFlowTracker.saturatedAdd(Long.MAX_VALUE, Long.MIN_VALUE));
    }
}
