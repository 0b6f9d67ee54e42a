package dev.httpcap.benchmarks;

import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.tcp.StreamListener;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.tcp.TcpFlowTracker;
import dev.httpcap.decoders.tcp.TcpReassembler;

/**
 * TCP reassembly alone: 1400-byte segments of 64 long-lived connections, interleaved, either in
 * order or with 10% of the segments arriving one place early (every tenth pair swapped, so that
 * segment is buffered in a window and released when the one before it arrives). One operation
 * is one segment: the score is segments/s (× 1400 for bytes/s) and {@code gc.alloc.rate.norm}
 * is bytes allocated per segment.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Xmx1g"})
public class ReassemblyBenchmark
{
    public static final int SEGMENTS = 64 * 1024;
    public static final int SEGMENT_BYTES = 1400;
    private static final int FLOWS = 64;

    @Param({"0", "10"})
    public int reorderedPercent;

    private TcpReassembler reassembler;
    private final TcpFlow[] flows = new TcpFlow[FLOWS];
    private final int[] order = new int[SEGMENTS];
    private final TcpSegment segment = new TcpSegment();
    private long round;
    private long delivered;

    @Setup(Level.Trial)
    public void setUp()
    {
        final StreamListener counter = new StreamListener()
        {
            @Override
            public void onData(final TcpFlow flow, final int direction, final DirectBuffer buffer, final int offset,
                final int length, final long timestampNanos)
            {
                delivered += length;
            }

            @Override
            public void onGap(final TcpFlow flow, final int direction, final long length, final long timestampNanos)
            {
                throw new IllegalStateException("no byte is lost in this benchmark");
            }

            @Override
            public void onEnd(final TcpFlow flow, final int direction, final boolean reset, final long timestampNanos)
            {
            }
        };
        reassembler = new TcpReassembler(counter, 128 * 1024, 256);
        final TcpFlowTracker tracker = new TcpFlowTracker(flow -> { }, FLOWS * 2, Long.MAX_VALUE / 4, Long.MAX_VALUE / 4);
        segment.payload = new UnsafeBuffer(new byte[SEGMENT_BYTES]);
        segment.ipVersion = 4;
        segment.vlan = -1;
        segment.dstLo = 0x0000_FFFF_0A00_0002L;
        segment.dstPort = 80;
        for (int f = 0; f < FLOWS; f++)
        {
            segment.srcLo = 0x0000_FFFF_0A00_0100L + f;
            segment.srcPort = 40000 + f;
            segment.flags = TcpSegment.SYN;
            segment.seq = 0;
            segment.payloadLength = 0;
            segment.wirePayloadLength = 0;
            flows[f] = tracker.onSegment(segment);
            reassembler.onSegment(flows[f], TcpFlow.FROM_CLIENT, segment);
        }
        for (int i = 0; i < SEGMENTS; i++)
        {
            order[i] = i;
        }
        if (reorderedPercent > 0)
        {
            // Segments go round-robin over the flows, so each flow's k-th and (k+1)-th segments are
            // FLOWS apart: swap them for one pair in every (100 / percent / 2) pairs of a flow.
            final int stride = FLOWS * 2 * (100 / reorderedPercent) / 2;
            for (int i = 0; i + FLOWS < SEGMENTS; i += stride)
            {
                for (int f = 0; f < FLOWS && i + f + FLOWS < SEGMENTS; f++)
                {
                    final int a = i + f;
                    final int b = a + FLOWS;
                    order[a] = b;
                    order[b] = a;
                }
            }
        }
        segment.flags = TcpSegment.ACK;
        segment.payloadLength = SEGMENT_BYTES;
        segment.wirePayloadLength = SEGMENT_BYTES;
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        reassembler.close();
    }

    @Benchmark
    @OperationsPerInvocation(SEGMENTS)
    public long reassemble()
    {
        final long base = round * (SEGMENTS / FLOWS) * SEGMENT_BYTES;
        for (int i = 0; i < SEGMENTS; i++)
        {
            final int index = order[i];
            final int flow = index % FLOWS;
            final long seq = 1 + base + (long)(index / FLOWS) * SEGMENT_BYTES;
            segment.seq = seq & 0xFFFF_FFFFL;
            segment.timestampNanos = i;
            reassembler.onSegment(flows[flow], TcpFlow.FROM_CLIENT, segment);
        }
        round++;
        return delivered;
    }
}
