package dev.httpcap.decoders.event;

import java.lang.management.ManagementFactory;

import org.agrona.ExpandableDirectByteBuffer;
import org.junit.jupiter.api.Test;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.tcp.FlowListener;
import dev.httpcap.decoders.tcp.TcpFlowTracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker's per-packet path — flow lookup, accounting, closing, encoding the record as JSON
 * and text — allocates nothing once the flow pool has grown to the number of live connections.
 * Measured with the JVM's per-thread allocation counter, not with time.
 */
class SteadyStateAllocationTest
{
    private static final long SECOND = 1_000_000_000L;

    private final ExpandableDirectByteBuffer out = new ExpandableDirectByteBuffer(4096);
    private final FlowEventEncoder encoder = new FlowEventEncoder();
    private long encodedBytes;
    private final FlowListener listener = flow ->
    {
        encodedBytes += encoder.encodeJson(flow, out, 0);
        encodedBytes += encoder.encodeText(flow, out, 0);
    };
    private final TcpFlowTracker tracker = new TcpFlowTracker(listener, 1024, 60 * SECOND, SECOND);
    private final TcpSegment segment = new TcpSegment();
    private long time = 1_700_000_000L * SECOND;

    private static final int[] FLAGS = {TcpSegment.SYN, TcpSegment.SYN | TcpSegment.ACK, TcpSegment.ACK,
        TcpSegment.ACK | TcpSegment.PSH, TcpSegment.ACK | TcpSegment.PSH, TcpSegment.FIN | TcpSegment.ACK,
        TcpSegment.FIN | TcpSegment.ACK, TcpSegment.ACK};

    private void connection(final int n)
    {
        for (int step = 0; step < 8; step++)
        {
            final boolean fromClient = step % 2 == 0 || step == 3;
            segment.timestampNanos = time;
            time += 10_000_000L;
            segment.ipVersion = (n & 1) == 0 ? 4 : 6;
            segment.vlan = -1;
            final long client = 0x0000_FFFF_0A00_0000L | (n & 0xFFFF);
            segment.srcHi = 0;
            segment.dstHi = 0;
            segment.srcLo = fromClient ? client : 0x0000_FFFF_0A01_0001L;
            segment.dstLo = fromClient ? 0x0000_FFFF_0A01_0001L : client;
            segment.srcPort = fromClient ? 1024 + n % 50_000 : 80;
            segment.dstPort = fromClient ? 80 : 1024 + n % 50_000;
            segment.flags = FLAGS[step];
            segment.seq = 1000L * n;
            segment.wireLength = 100;
            segment.wirePayloadLength = step == 3 || step == 4 ? 46 : 0;
            tracker.onSegment(segment);
        }
    }

    @Test
    void shouldAllocateNothingPerPacketOnceFlowsAreRecycled()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        for (int n = 0; n < 20_000; n++)
        {
            connection(n);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int n = 20_000; n < 120_000; n++)
        {
            connection(n);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertTrue(tracker.flowsCreated() >= 120_000);
        assertEquals(0, tracker.flowsEnded(dev.httpcap.decoders.tcp.FlowEndReason.EVICTED));
        assertTrue(encodedBytes > 0);
        // 800,000 packets and 100,000 records: one object per record would be >= 1.6 MB, one per
        // packet >= 12.8 MB; a few KB are the JVM's own noise (TLAB refills, JIT).
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes in the steady state");
    }
}
