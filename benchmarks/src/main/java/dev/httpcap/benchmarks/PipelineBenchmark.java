package dev.httpcap.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

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

import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.FrameBuilder;
import dev.httpcap.capture.LinkTypes;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.capture.PcapFileWriter;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.pipeline.PipelineReport;
import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.NullSink;

/**
 * The reader → ring → workers path: a memory-mapped pcap (in the page cache) of HTTP
 * connections read through the whole pipeline (decode, ring, TCP reassembly, HTTP decoding, JSON
 * events) to a sink that discards events, on 1 and 2 workers. One operation is one
 * packet, so the score is packets per second and {@code gc.alloc.rate.norm} is bytes per packet.
 * <p>
 * {@link #emptyCapture} runs the same pipeline over a capture with no packets: its allocation
 * is the fixed cost of one run (ring, flow tables, threads), so the steady-state allocation per
 * packet is {@code readCapture.norm - emptyCapture.norm / PACKETS}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Xmx1g"})
public class PipelineBenchmark
{
    /** Packets in the generated capture: about 35,000 HTTP-shaped connections of 14 packets. */
    public static final int PACKETS = 500_000;

    @Param({"1", "2"})
    public int workers;

    private Path dir;
    private Path capture;
    private Path empty;
    private PipelineConfig config;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        dir = Files.createTempDirectory("httpcap-bench");
        capture = dir.resolve("bench.pcap");
        empty = dir.resolve("empty.pcap");
        writeCapture(capture, PACKETS);
        writeCapture(empty, 0);
        // Closed connections are recycled after 10 ms of packet time (default 5 s) so that this
        // half-second capture reaches the steady state of a long one: a flow pool sized to the
        // connections alive at once, reused, instead of one new flow object per connection.
        config = new PipelineConfig().workers(workers).flowCloseLingerNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        Files.deleteIfExists(capture);
        Files.deleteIfExists(empty);
        Files.deleteIfExists(dir);
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public long readCapture() throws Exception
    {
        return run(capture, PACKETS);
    }

    @Benchmark
    public long emptyCapture() throws Exception
    {
        return run(empty, 0);
    }

    private long run(final Path file, final long expected) throws Exception
    {
        final NullSink sink = new NullSink(EventFormat.JSON);
        final PipelineReport report;
        try (PacketSource source = CaptureFiles.open(file.toString()))
        {
            report = new Pipeline(config, List.of(sink)).run(source);
        }
        if (report.packetsRead() != expected || report.decoded() != expected)
        {
            throw new IllegalStateException("benchmark pipeline lost packets: " + report.lines());
        }
        // Every connection but the last batch's (cut off by the end of the capture) is one HTTP
        // transaction, parsed without a gap or an error, and one event at the sink.
        final long transactions = report.http().getOrDefault("transactions", 0L);
        if (transactions < expected / 14 - 64 || report.http().getOrDefault("parse_errors", 0L) != 0 ||
            report.reassembly().getOrDefault("gap_bytes", 0L) != 0 || sink.eventsWritten() != transactions)
        {
            throw new IllegalStateException("benchmark pipeline did not decode every exchange: " + report.lines());
        }
        return sink.eventsWritten();
    }

    /** The HTTP request each connection carries, in one 300-byte segment. */
    static final byte[] REQUEST = padded(
        "GET /products/shoes/running?color=blue HTTP/1.1\r\nHost: shop.example.com\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html\r\nX-Padding: ", "\r\n\r\n", 300);
    /** Its response, 7,000 bytes in five 1400-byte segments: a head and a Content-Length body. */
    static final byte[] RESPONSE = response(5 * 1400);

    /**
     * Writes HTTP connections (handshake, a 300-byte GET, its 200 response in five 1400-byte
     * segments with ACKs, FIN exchange; sequence numbers as a real stack sends them) from many
     * clients, interleaved 64 at a time.
     */
    static void writeCapture(final Path path, final int packets) throws IOException
    {
        final int[] flags = {0x02, 0x12, 0x10, 0x18, 0x10, 0x18, 0x18, 0x18, 0x10, 0x18, 0x18, 0x11, 0x11, 0x10};
        final boolean[] fromClient = {true, false, true, true, false, false, false, false, true, false, false, true, false, true};
        final int[] payload = {0, 0, 0, 300, 0, 1400, 1400, 1400, 0, 1400, 1400, 0, 0, 0};
        final int steps = flags.length;
        final long[] seq = new long[steps];
        final long[] ack = new long[steps];
        final byte[][] data = new byte[steps][];
        long clientNext = 1000;
        long serverNext = 500_000;
        int responseAt = 0;
        for (int step = 0; step < steps; step++)
        {
            final boolean client = fromClient[step];
            seq[step] = client ? clientNext : serverNext;
            ack[step] = (flags[step] & 0x10) == 0 ? 0 : client ? serverNext : clientNext;
            final int advance = payload[step] + ((flags[step] & 0x03) != 0 ? 1 : 0); // SYN and FIN count one
            if (client)
            {
                clientNext += advance;
            }
            else
            {
                serverNext += advance;
            }
            if (payload[step] == 0)
            {
                data[step] = new byte[0];
            }
            else if (client)
            {
                data[step] = REQUEST;
            }
            else
            {
                data[step] = Arrays.copyOfRange(RESPONSE, responseAt, responseAt + payload[step]);
                responseAt += payload[step];
            }
        }
        try (PcapFileWriter writer = new PcapFileWriter(path, LinkTypes.ETHERNET, 65535, false))
        {
            long time = 1_700_000_000_000_000_000L;
            int written = 0;
            int connection = 0;
            while (written < packets)
            {
                final int batch = 64;
                for (int step = 0; step < steps && written < packets; step++)
                {
                    for (int c = connection; c < connection + batch && written < packets; c++)
                    {
                        final byte[] client = {10, (byte)(c >>> 16), (byte)(c >>> 8), (byte)c};
                        final byte[] server = {10, (byte)255, 0, 1};
                        final int clientPort = 1024 + (c % 60_000);
                        final byte[] frame = FrameBuilder.tcp()
                            .addresses(fromClient[step] ? client : server, fromClient[step] ? server : client)
                            .ports(fromClient[step] ? clientPort : 80, fromClient[step] ? 80 : clientPort)
                            .flags(flags[step])
                            .seq(seq[step], ack[step])
                            .payload(data[step])
                            .build();
                        writer.writePacket(new UnsafeBuffer(frame), 0, frame.length, frame.length, time);
                        time += 1_000;
                        written++;
                    }
                }
                connection += batch;
            }
        }
    }

    private static byte[] padded(final String head, final String tail, final int length)
    {
        return (head + "x".repeat(length - head.length() - tail.length()) + tail).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] response(final int length)
    {
        String head = "";
        for (int body = length; ; body--)
        {
            head = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: " + body + "\r\n\r\n";
            if (head.length() + body == length)
            {
                return (head + "<".repeat(body)).getBytes(StandardCharsets.US_ASCII);
            }
        }
    }
}
