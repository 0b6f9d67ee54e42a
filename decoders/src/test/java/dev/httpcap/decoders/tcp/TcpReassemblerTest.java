package dev.httpcap.decoders.tcp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.httpcap.common.TcpSegment.ACK;
import static dev.httpcap.common.TcpSegment.FIN;
import static dev.httpcap.common.TcpSegment.PSH;
import static dev.httpcap.common.TcpSegment.RST;
import static dev.httpcap.common.TcpSegment.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.httpcap.common.TcpSegment;

class TcpReassemblerTest
{
    private static final long CLIENT = 0x0000_FFFF_0A00_0001L;
    private static final long SERVER = 0x0000_FFFF_0A00_0002L;
    private static final int CLIENT_ISN = 1000;
    private static final int SERVER_ISN = 5000;

    /** What the listener saw, as text: "c:bytes", "c:gap N", "c:end", "s:reset"... */
    private final List<String> seen = new ArrayList<>();
    private final StreamListener listener = new StreamListener()
    {
        @Override
        public void onData(final TcpFlow flow, final int direction, final DirectBuffer buffer, final int offset,
            final int length, final long timestampNanos)
        {
            final String text = buffer.getStringWithoutLengthAscii(offset, length);
            final String prefix = (direction == TcpFlow.FROM_CLIENT ? "c:" : "s:");
            final int last = seen.size() - 1;
            if (last >= 0 && seen.get(last).startsWith(prefix) && !seen.get(last).matches("[cs]:(gap \\d+|end |reset )"))
            {
                seen.set(last, seen.get(last) + text);
            }
            else
            {
                seen.add(prefix + text);
            }
        }

        @Override
        public void onGap(final TcpFlow flow, final int direction, final long length, final long timestampNanos)
        {
            seen.add((direction == TcpFlow.FROM_CLIENT ? "c:" : "s:") + "gap " + length);
        }

        @Override
        public void onEnd(final TcpFlow flow, final int direction, final boolean reset, final long timestampNanos)
        {
            seen.add((direction == TcpFlow.FROM_CLIENT ? "c:" : "s:") + (reset ? "reset " : "end "));
        }
    };

    private TcpReassembler reassembler = new TcpReassembler(listener, 1024, 4);
    private final TcpFlowTracker tracker = new TcpFlowTracker(
        flow -> reassembler.onFlowEnd(flow, flow.lastNanos()), 16, Long.MAX_VALUE / 4, 1);
    private final TcpSegment segment = new TcpSegment();
    private long time = 1;
    /** When set, payloads are put in native memory that stays readable, as a mapped capture file's are. */
    private boolean mapped;
    /** The "mapped file": payloads one after the other, as records are in a capture file. */
    private java.nio.ByteBuffer mappedPayloads = java.nio.ByteBuffer.allocateDirect(1 << 16);
    /** The flow of the last segment sent. */
    private TcpFlow lastFlow;

    @AfterEach
    void close()
    {
        reassembler.close();
    }

    private void send(final boolean fromClient, final int flags, final long seq, final long ack, final String payload)
    {
        send(fromClient, 40000, flags, seq, ack, payload, payload.length());
    }

    private void send(
        final boolean fromClient, final int port, final int flags, final long seq, final long ack, final String payload,
        final int wireLength)
    {
        final byte[] bytes = payload.getBytes(StandardCharsets.US_ASCII);
        segment.timestampNanos = time++;
        segment.ipVersion = 4;
        segment.vlan = -1;
        segment.srcLo = fromClient ? CLIENT : SERVER;
        segment.dstLo = fromClient ? SERVER : CLIENT;
        segment.srcPort = fromClient ? port : 80;
        segment.dstPort = fromClient ? 80 : port;
        segment.flags = flags;
        segment.seq = seq & 0xFFFF_FFFFL;
        segment.ack = ack & 0xFFFF_FFFFL;
        if (mapped)
        {
            final int at = mappedPayloads.position();
            mappedPayloads.put(bytes);
            segment.payload = new UnsafeBuffer(mappedPayloads, at, bytes.length);
        }
        else
        {
            segment.payload = new UnsafeBuffer(bytes);
        }
        segment.payloadStaysReadable = mapped;
        segment.payloadOffset = 0;
        segment.payloadLength = bytes.length;
        segment.wirePayloadLength = wireLength;
        segment.wireLength = 54 + wireLength;
        final TcpFlow flow = tracker.onSegment(segment);
        reassembler.onSegment(flow, flow.lastDirection(), segment);
        lastFlow = flow;
    }

    private void handshake(final int clientIsn, final int serverIsn)
    {
        send(true, SYN, clientIsn, 0, "");
        send(false, SYN | ACK, serverIsn, clientIsn + 1, "");
        send(true, ACK, clientIsn + 1, serverIsn + 1, "");
    }

    private List<String> endCapture()
    {
        tracker.endAll();
        return seen;
    }

    @Test
    void shouldDeliverInOrderStreamsAndEndBothOnFin()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK | PSH, CLIENT_ISN + 1, SERVER_ISN + 1, "GET / HTTP/1.1\r\n\r\n");
        send(false, ACK | PSH, SERVER_ISN + 1, CLIENT_ISN + 19, "HTTP/1.1 200 OK\r\n");
        send(false, ACK | PSH | FIN, SERVER_ISN + 18, CLIENT_ISN + 19, "\r\n");
        send(true, ACK | FIN, CLIENT_ISN + 19, SERVER_ISN + 21, "");
        assertEquals(List.of("c:GET / HTTP/1.1\r\n\r\n", "s:HTTP/1.1 200 OK\r\n\r\n", "s:end ", "c:end "), seen);
        assertEquals(0, reassembler.gapBytes());
        assertEquals(0, reassembler.windowsInUse());
    }

    @Test
    void shouldReorderSegments()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 7, SERVER_ISN + 1, "ghi");
        send(true, ACK, CLIENT_ISN + 4, SERVER_ISN + 1, "def");
        assertEquals(List.of(), seen);
        assertEquals(1, reassembler.windowsInUse());
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        assertEquals(List.of("c:abcdefghi"), seen);
        assertEquals(2, reassembler.outOfOrder());
        assertEquals(0, reassembler.windowsInUse());
    }

    @Test
    void shouldDropDuplicatesAndTrimPartialRetransmissions()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        send(true, ACK, CLIENT_ISN + 2, SERVER_ISN + 1, "bcdef");
        assertEquals(List.of("c:abcdef"), seen);
        assertEquals(2, reassembler.retransmitted());
    }

    @Test
    void shouldKeepTheFirstCopyOfOverlappingBytesAndCountConflicts()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 4, SERVER_ISN + 1, "DEF");
        send(true, ACK, CLIENT_ISN + 5, SERVER_ISN + 1, "EFG");
        assertEquals(0, reassembler.overlapConflicts());
        send(true, ACK, CLIENT_ISN + 6, SERVER_ISN + 1, "xyz");
        assertEquals(1, reassembler.overlapConflicts());
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abcdef");
        assertEquals(List.of("c:abcDEFGz"), seen);
    }

    @Test
    void shouldCountAConflictWhenARetransmissionDiffersFromBytesAlreadyDelivered()
    {
        mapped = true;
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "GET /a HTTP/1.1\r\n");
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "GET /a HTTP/1.1\r\n");
        assertEquals(0, reassembler.overlapConflicts(), "an identical copy is no conflict");
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "GET /b HTTP/1.1\r\n");
        assertEquals(1, reassembler.overlapConflicts());
        final TcpFlow flow = lastFlow;
        assertEquals(1, flow.overlapConflicts());
        assertTrue(flow.takeOverlapConflicts());
        assertFalse(flow.takeOverlapConflicts(), "each conflict is told to one event");

        // A retransmission that reaches past what was delivered: its old part is compared, its new part delivered.
        send(true, ACK, CLIENT_ISN + 9, SERVER_ISN + 1, "TTX/1.1\r\nHost: h\r\n");
        assertEquals(2, reassembler.overlapConflicts());
        assertEquals(2, flow.overlapConflicts());
        assertEquals(List.of("c:GET /a HTTP/1.1\r\nHost: h\r\n"), seen, "the first copy wins");
        assertEquals(3, reassembler.retransmitted());
    }

    @Test
    void shouldCompareARetransmissionWithTheLastFewSegmentsDelivered()
    {
        mapped = true;
        handshake(CLIENT_ISN, SERVER_ISN);
        final String[] parts = {"aaaa", "bbbb", "cccc", "dddd", "eeee"};
        for (int i = 0; i < parts.length; i++)
        {
            send(true, ACK, CLIENT_ISN + 1 + 4 * i, SERVER_ISN + 1, parts[i]);
        }
        // The oldest of five is no longer kept: its copy cannot be compared (it is still trimmed).
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "aaXa");
        assertEquals(0, reassembler.overlapConflicts());
        // A copy spanning two kept segments, different in the second.
        send(true, ACK, CLIENT_ISN + 7, SERVER_ISN + 1, "bbcX");
        assertEquals(1, reassembler.overlapConflicts());
        send(true, ACK, CLIENT_ISN + 5, SERVER_ISN + 1, "bbbbccccddddeeee");
        assertEquals(1, reassembler.overlapConflicts(), "the same bytes again");
        assertEquals(List.of("c:aaaabbbbccccddddeeee"), seen);
    }

    @Test
    void shouldNotCompareWithAKeptSegmentFarBehindInTheFile()
    {
        mapped = true;
        mappedPayloads = java.nio.ByteBuffer.allocateDirect((int)TcpReassembler.MAX_KEPT_DISTANCE + (1 << 20));
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        mappedPayloads.position((int)TcpReassembler.MAX_KEPT_DISTANCE - 16);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abX");
        assertEquals(1, reassembler.overlapConflicts(), "just within reach");
        mappedPayloads.position((int)TcpReassembler.MAX_KEPT_DISTANCE + 16);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "aXc");
        assertEquals(1, reassembler.overlapConflicts(), "its pages may have been given back: not read again");
        assertEquals(2, reassembler.retransmitted());
    }

    @Test
    void shouldNotCompareDeliveredBytesWhoseMemoryIsReused()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "xyz");
        assertEquals(0, reassembler.overlapConflicts(), "a live ring's or a pipe's memory is gone by now");
        assertEquals(1, reassembler.retransmitted());
    }

    @Test
    void shouldTellTheFlowOfAConflictWithBufferedBytesAndOfASnapLengthCut()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 4, SERVER_ISN + 1, "DEF");
        assertFalse(lastFlow.snaplenCut());
        send(true, ACK, CLIENT_ISN + 4, SERVER_ISN + 1, "DEX");
        assertEquals(1, lastFlow.overlapConflicts());
        send(true, 40000, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "ab", 3);
        assertTrue(lastFlow.snaplenCut());
        assertEquals(List.of("c:ab", "c:gap 1", "c:DEF"), seen);
    }

    @Test
    void shouldReportAGapWhenThePeerAcknowledgesBytesNeverSeen()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        send(true, ACK, CLIENT_ISN + 9, SERVER_ISN + 1, "ijk");
        assertEquals(List.of("c:abc"), seen);
        send(false, ACK, SERVER_ISN + 1, CLIENT_ISN + 12, "");
        assertEquals(List.of("c:abc", "c:gap 5", "c:ijk"), seen);
        assertEquals(5, reassembler.gapBytes());
    }

    @Test
    void shouldReportAGapForLossAtTheEndOfTheCapture()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 4, SERVER_ISN + 1, "def");
        send(true, ACK | FIN, CLIENT_ISN + 10, SERVER_ISN + 1, "");
        assertEquals(List.of("c:gap 3", "c:def", "c:gap 3", "c:end "), endCapture());
    }

    @Test
    void shouldFollowSequenceNumbersAcrossTheWrap()
    {
        final int isn = 0xFFFF_FFFC;
        handshake(isn, SERVER_ISN);
        send(true, ACK, isn + 7, SERVER_ISN + 1, "ghi");
        send(true, ACK, isn + 1, SERVER_ISN + 1, "abcdef");
        send(true, ACK, isn + 10, SERVER_ISN + 1, "jk");
        assertEquals(List.of("c:abcdefghijk"), seen);
    }

    @Test
    void shouldFlushBufferedDataWithGapsOnReset()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "ab");
        send(true, ACK, CLIENT_ISN + 5, SERVER_ISN + 1, "ef");
        send(false, RST, SERVER_ISN + 1, 0, "");
        assertEquals(List.of("c:ab", "s:reset ", "c:gap 2", "c:ef", "c:reset "), seen);
        send(true, ACK, CLIENT_ISN + 3, SERVER_ISN + 1, "cd");
        assertEquals(5, seen.size(), "nothing after the reset");
        assertEquals(0, reassembler.windowsInUse());
    }

    @Test
    void shouldIgnoreKeepAliveProbes()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        send(true, ACK, CLIENT_ISN + 3, SERVER_ISN + 1, "?");
        send(true, ACK, CLIENT_ISN + 4, SERVER_ISN + 1, "d");
        assertEquals(List.of("c:abcd"), seen);
        assertEquals(1, reassembler.keepAlives());
        assertEquals(0, reassembler.overlapConflicts());
    }

    @Test
    void shouldIgnoreZeroWindowProbes()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        // Linux probes a zero window with an empty segment one below the next sequence number...
        send(true, ACK, CLIENT_ISN + 3, SERVER_ISN + 1, "");
        // ...others send the next byte, which is sent again once the window opens.
        send(true, ACK, CLIENT_ISN + 4, SERVER_ISN + 1, "d");
        send(true, ACK, CLIENT_ISN + 4, SERVER_ISN + 1, "def");
        assertEquals(List.of("c:abcdef"), seen);
        assertEquals(0, reassembler.overlapConflicts());
        assertEquals(0, reassembler.gapBytes());
    }

    @Test
    void shouldHoldNoMoreThanItsWindowsWhateverTheNumberOfHalfOpenConnections()
    {
        for (int port = 1; port <= 2_000; port++)
        {
            send(true, 20000 + port, SYN, CLIENT_ISN, 0, "", 0);
            send(true, 20000 + port, ACK, CLIENT_ISN + 100, SERVER_ISN + 1, "x", 1);
            assertTrue(reassembler.windowsInUse() <= 4);
        }
        // The tracker holds 16 flows here, so evicted flows give their windows back; the others
        // find the pool empty and give up their hole at once.
        assertTrue(reassembler.capEvictions() > 1_000, "cap evictions " + reassembler.capEvictions());
    }

    @Test
    void shouldStartAFreshStreamWhenTheFourTupleIsReused()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK | FIN, CLIENT_ISN + 1, SERVER_ISN + 1, "old");
        send(false, ACK | FIN, SERVER_ISN + 1, CLIENT_ISN + 5, "");
        handshake(90_000, 70_000);
        send(true, ACK, 90_001, 70_001, "new");
        assertEquals(List.of("c:old", "c:end ", "s:end ", "c:new"), seen);
    }

    @Test
    void shouldStartMidstreamAtTheFirstSegmentSeen()
    {
        send(true, ACK, 777, 888, "ET / HTTP/1.1");
        send(false, ACK, 888, 790, "HTTP/1.1 200");
        assertEquals(List.of("c:ET / HTTP/1.1", "s:HTTP/1.1 200"), seen);
        assertEquals(2, reassembler.midstreamStarts());
    }

    @Test
    void shouldAcceptSynAckBeforeSyn()
    {
        send(false, SYN | ACK, SERVER_ISN, CLIENT_ISN + 1, "");
        send(true, SYN, CLIENT_ISN, 0, "");
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        send(false, ACK, SERVER_ISN + 1, CLIENT_ISN + 4, "xyz");
        assertEquals(List.of("c:abc", "s:xyz"), seen);
        assertEquals(0, reassembler.midstreamStarts());
    }

    @Test
    void shouldEndAfterAnEarlyFinOnceTheDataBeforeItArrives()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK | FIN, CLIENT_ISN + 4, SERVER_ISN + 1, "def");
        send(true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc");
        assertEquals(List.of("c:abcdef", "c:end "), seen);
    }

    @Test
    void shouldReportTheBytesASnaplenCutAsAGap()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, 40000, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, "abc", 10);
        send(true, ACK, CLIENT_ISN + 11, SERVER_ISN + 1, "k");
        assertEquals(List.of("c:abc", "c:gap 7", "c:k"), seen);
    }

    @Test
    void shouldPushTheOldestBytesOutWhenASegmentLiesBeyondThePerFlowWindow()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 11, SERVER_ISN + 1, "x".repeat(100));
        send(true, ACK, CLIENT_ISN + 1101, SERVER_ISN + 1, "y".repeat(10));
        // The window holds 1024 bytes: to fit the second segment the stream must reach 2111 - 1024,
        // so the hole before the x's is given up and the x's, now contiguous, are delivered.
        assertEquals(List.of("c:gap 10", "c:" + "x".repeat(100)), seen);
        assertEquals(1, reassembler.capEvictions());
        endCapture();
        assertEquals(List.of("c:gap 10", "c:" + "x".repeat(100), "c:gap 990", "c:" + "y".repeat(10)), seen);
    }

    @Test
    void shouldDeclareHolesLostWhenTheWorkerHasNoWindowLeft()
    {
        for (int port = 1; port <= 5; port++)
        {
            send(true, 40000 + port, SYN, CLIENT_ISN, 0, "", 0);
            send(true, 40000 + port, ACK, CLIENT_ISN + 3, SERVER_ISN + 1, "late", 4);
        }
        assertEquals(4, reassembler.windowsInUse());
        assertEquals(1, reassembler.capEvictions());
        assertEquals(List.of("c:gap 2", "c:late"), seen);
    }

    @Test
    void shouldReleaseEveryWindowWhenFlowsEnd()
    {
        handshake(CLIENT_ISN, SERVER_ISN);
        send(true, ACK, CLIENT_ISN + 5, SERVER_ISN + 1, "e");
        send(false, ACK, SERVER_ISN + 5, CLIENT_ISN + 1, "e");
        assertEquals(2, reassembler.windowsInUse());
        endCapture();
        assertEquals(0, reassembler.windowsInUse());
        assertEquals(List.of("c:gap 4", "c:e", "s:gap 4", "s:e"), seen);
    }
}
