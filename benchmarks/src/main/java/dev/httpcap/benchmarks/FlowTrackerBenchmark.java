package dev.httpcap.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.tcp.FlowEndReason;
import dev.httpcap.decoders.tcp.TcpFlowTracker;

/**
 * The flow table alone ({@link TcpFlowTracker#onSegment}): short HTTP connections as in the nginx + wrk
 * capture of perf/README.md (17 packets each: handshake, a request, eight response segments, FIN
 * exchange), 32 of them interleaved at a time, a new one starting as each ends, one packet per
 * microsecond of packet time. Closed connections linger (their last ACKs and retransmissions) until
 * {@code closedFlows} of them are held: 80,000 is what that capture keeps with the default 5 s linger
 * (16,600 connections a second), 100 a table that fits in cache. One operation is one segment.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-Xmx1g"})
public class FlowTrackerBenchmark
{
    private static final int ACTIVE = 32;
    private static final int PACKETS = 17;
    private static final long SERVER = 0x0000_FFFF_0AFF_0001L;
    private static final long CLIENT_NET = 0x0000_FFFF_0A00_0000L;

    @Param({"100", "80000"})
    public int closedFlows;

    private TcpFlowTracker tracker;
    private final TcpSegment segment = new TcpSegment();
    private long packet;
    private long ended;

    @Setup(Level.Trial)
    public void setUp()
    {
        // One packet a microsecond, PACKETS a connection: one ends every PACKETS microseconds on average,
        // so a linger of closedFlows x PACKETS microseconds holds closedFlows of them.
        final long lingerNanos = (long)closedFlows * PACKETS * 1000;
        tracker = new TcpFlowTracker(flow -> ended++, 100_000, 300_000_000_000L, lingerNanos);
        segment.ipVersion = 4;
        segment.vlan = -1;
        // Fill the table: past the linger, closed connections are held and written at the same rate.
        final long warm = (long)(closedFlows + 2 * ACTIVE) * PACKETS * 2;
        for (long i = 0; i < warm; i++)
        {
            next();
        }
        check();
        final int held = tracker.activeFlows();
        if (held < closedFlows || held > closedFlows + 2 * ACTIVE)
        {
            throw new IllegalStateException("held " + held + " connections, expected ~" + (closedFlows + ACTIVE));
        }
    }

    @TearDown(Level.Iteration)
    public void check()
    {
        if (tracker.portReuses() != 0 || tracker.midstreamStarts() != 0 ||
            tracker.flowsEnded(FlowEndReason.EVICTED) != 0 || tracker.flowsEnded(FlowEndReason.TIMEOUT) != 0)
        {
            throw new IllegalStateException("a segment did not find its connection");
        }
        if (tracker.flowsCreated() != tracker.activeFlows() + ended || tracker.flowsCreated() < packet / PACKETS)
        {
            throw new IllegalStateException("connections created " + tracker.flowsCreated() + " for " + packet + " packets");
        }
    }

    @Benchmark
    public Object segment()
    {
        return next();
    }

    private Object next()
    {
        final long p = packet++;
        final int lane = (int)(p % ACTIVE);
        final long round = p / ACTIVE;
        final int k = (int)(round % PACKETS);
        final long connection = lane + ACTIVE * (round / PACKETS);
        final long client = CLIENT_NET | (connection / 60_000);
        final int clientPort = 1024 + (int)(connection % 60_000);
        final boolean fromClient = k == 0 || k == 2 || k == 3 || k == 13 || k == 14 || k == 16;
        final TcpSegment s = segment;
        s.timestampNanos = p * 1000;
        s.srcLo = fromClient ? client : SERVER;
        s.dstLo = fromClient ? SERVER : client;
        s.srcPort = fromClient ? clientPort : 80;
        s.dstPort = fromClient ? 80 : clientPort;
        final int payload;
        switch (k)
        {
            case 0 ->
            {
                s.flags = TcpSegment.SYN;
                s.seq = 1000;
                payload = 0;
            }
            case 1 ->
            {
                s.flags = TcpSegment.SYN | TcpSegment.ACK;
                s.seq = 5000;
                s.ack = 1001;
                payload = 0;
            }
            case 3 ->
            {
                s.flags = TcpSegment.ACK | TcpSegment.PSH;
                payload = 300;
            }
            case 14, 15 ->
            {
                s.flags = TcpSegment.FIN | TcpSegment.ACK;
                payload = 0;
            }
            default ->
            {
                s.flags = TcpSegment.ACK;
                s.ack = 5001;
                payload = k >= 5 && k <= 12 ? 1400 : 0;
            }
        }
        s.wirePayloadLength = payload;
        s.payloadLength = payload;
        s.wireLength = 54 + payload;
        return tracker.onSegment(s);
    }
}
