package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference side of the comparison: tshark's TCP conversations in a capture file, one per
 * {@code tcp.stream}, oriented client to server and counted in frames and frame lengths
 * ({@code frame.len}, bytes on the wire) each way, as in tshark's conversation table.
 *
 * <p>The client is the sender of the stream's first SYN without ACK, or, for a stream whose
 * handshake is not in the capture, of its first frame.
 */
final class TsharkConnections
{
    /** One TCP connection as tshark sees it. */
    record Connection(int stream, long firstFrame, String clientIp, int clientPort, String serverIp, int serverPort,
        long clientPackets, long clientBytes, long serverPackets, long serverBytes)
        implements FlowComparison.Conn
    {
        @Override
        public String origin()
        {
            return "tcp.stream " + stream + ", first frame " + firstFrame;
        }
    }

    /** All frames of the file, and its TCP connections in start (stream) order. */
    record Capture(long frames, List<Connection> connections)
    {
    }

    private TsharkConnections()
    {
    }

    /** Runs tshark on {@code pcap}, writing its output in {@code workDir}. */
    static Capture read(final Path pcap, final Path workDir) throws IOException, InterruptedException
    {
        // One line per frame, also for frames without TCP (fields left empty): line count = frame count.
        // HTTP is disabled: only transport fields are needed, and tshark is about 25 % faster without it.
        final ItSupport.Result result = ItSupport.run("tshark", List.of(
            "tshark", "-n", "-r", pcap.toString(), "--disable-protocol", "http",
            "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
            "-e", "frame.number", "-e", "tcp.stream",
            "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
            "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
            "-e", "frame.len", "-e", "tcp.flags.syn", "-e", "tcp.flags.ack"),
            null, workDir, Duration.ofMinutes(10), Map.of());
        assertEquals(0, result.exitCode(), () -> "tshark failed\n" + result.describe());
        return parse(result.stdout());
    }

    static Capture parse(final Path tsv) throws IOException
    {
        final Map<Integer, Acc> streams = new LinkedHashMap<>();
        long frames = 0;
        try (BufferedReader reader = Files.newBufferedReader(tsv, StandardCharsets.UTF_8))
        {
            String line;
            while ((line = reader.readLine()) != null)
            {
                frames++;
                final String[] f = line.split("\t", -1);
                if (f.length < 11 || f[1].isEmpty())
                {
                    continue; // not TCP
                }
                final int stream = Integer.parseInt(f[1]);
                final String src = FlowComparison.normalizeIp(f[2].isEmpty() ? f[3] : f[2]);
                final int srcPort = Integer.parseInt(f[4]);
                final String dst = FlowComparison.normalizeIp(f[5].isEmpty() ? f[6] : f[5]);
                final int dstPort = Integer.parseInt(f[7]);
                final long len = Long.parseLong(f[8]);
                final boolean synNoAck = isSet(f[9]) && !isSet(f[10]);
                final long frameNumber = Long.parseLong(f[0]);
                final Acc acc = streams.computeIfAbsent(stream, s -> new Acc(frameNumber, src, srcPort, dst, dstPort));
                acc.add(src, srcPort, len, synNoAck);
            }
        }
        final List<Connection> connections = new ArrayList<>(streams.size());
        streams.forEach((stream, acc) -> connections.add(acc.toConnection(stream)));
        return new Capture(frames, connections);
    }

    private static boolean isSet(final String flag)
    {
        // tshark prints flags as 1/0 (newer versions: True/False).
        return flag.equals("1") || flag.equalsIgnoreCase("true");
    }

    /** Per-stream counters keyed by endpoint "a" (the first frame's sender) and "b". */
    private static final class Acc
    {
        final long firstFrame;
        final String aIp;
        final int aPort;
        final String bIp;
        final int bPort;
        long aPackets;
        long aBytes;
        long bPackets;
        long bBytes;
        /** Who sent the first SYN without ACK: 0 unknown, 1 a, 2 b. */
        int synFrom;

        Acc(final long firstFrame, final String aIp, final int aPort, final String bIp, final int bPort)
        {
            this.firstFrame = firstFrame;
            this.aIp = aIp;
            this.aPort = aPort;
            this.bIp = bIp;
            this.bPort = bPort;
        }

        void add(final String srcIp, final int srcPort, final long len, final boolean synNoAck)
        {
            final boolean fromA = srcPort == aPort && srcIp.equals(aIp);
            if (fromA)
            {
                aPackets++;
                aBytes += len;
            }
            else
            {
                bPackets++;
                bBytes += len;
            }
            if (synNoAck && synFrom == 0)
            {
                synFrom = fromA ? 1 : 2;
            }
        }

        Connection toConnection(final int stream)
        {
            if (synFrom == 2)
            {
                return new Connection(stream, firstFrame, bIp, bPort, aIp, aPort, bPackets, bBytes, aPackets, aBytes);
            }
            return new Connection(stream, firstFrame, aIp, aPort, bIp, bPort, aPackets, aBytes, bPackets, bBytes);
        }
    }
}
