import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a pcap of synthetic HTTP/1.1 keep-alive traffic: CONNECTIONS connections (64 at a time,
 * their packets interleaved), each with TRANSACTIONS request/response pairs, then FINs. Every
 * transaction becomes one httpcap event of about EVENT_BYTES bytes (the response body pads it),
 * so the Kafka tests and the Kafka perf run have as many events as they like, with per-connection
 * order to check (httpcap.trans_depth), without capturing anything.
 *
 * <pre>java scripts/kafka/HttpTrafficPcap.java OUT.pcap CONNECTIONS TRANSACTIONS [SEED]</pre>
 *
 * Single-file program with no dependencies, so shell scripts run it with the JDK's source launcher.
 */
public final class HttpTrafficPcap
{
    private static final int GROUP = 64;
    private static final int SERVER_PORT = 80;

    private final OutputStream out;
    private final ByteBuffer frame = ByteBuffer.allocate(65_600).order(ByteOrder.BIG_ENDIAN);
    private final ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    private long micros = 1_767_225_600_000_000L;

    private HttpTrafficPcap(final OutputStream out)
    {
        this.out = out;
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length < 3)
        {
            System.err.println("usage: HttpTrafficPcap OUT.pcap CONNECTIONS TRANSACTIONS [SEED]");
            System.exit(2);
        }
        final Path path = Path.of(args[0]);
        final int connections = Integer.parseInt(args[1]);
        final int transactions = Integer.parseInt(args[2]);
        final int seed = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20))
        {
            new HttpTrafficPcap(file).write(connections, transactions, seed);
        }
    }

    private void write(final int connections, final int transactions, final int seed) throws IOException
    {
        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xa1b2c3d4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65_535).putInt(1);
        out.write(header.array());

        for (int first = 0; first < connections; first += GROUP)
        {
            final int last = Math.min(connections, first + GROUP);
            final long[] clientSeq = new long[last - first];
            final long[] serverSeq = new long[last - first];
            for (int c = first; c < last; c++)
            {
                clientSeq[c - first] = 1_000_000L + c * 7919L;
                serverSeq[c - first] = 5_000_000L + c * 104_729L;
                packet(c, seed, true, 0x02, clientSeq[c - first], 0, null);
            }
            for (int c = first; c < last; c++)
            {
                packet(c, seed, false, 0x12, serverSeq[c - first], clientSeq[c - first] + 1, null);
            }
            for (int c = first; c < last; c++)
            {
                clientSeq[c - first]++;
                serverSeq[c - first]++;
                packet(c, seed, true, 0x10, clientSeq[c - first], serverSeq[c - first], null);
            }
            for (int t = 1; t <= transactions; t++)
            {
                for (int c = first; c < last; c++)
                {
                    final byte[] request = request(c, t, seed);
                    packet(c, seed, true, 0x18, clientSeq[c - first], serverSeq[c - first], request);
                    clientSeq[c - first] += request.length;
                }
                for (int c = first; c < last; c++)
                {
                    final byte[] response = response(c, t);
                    packet(c, seed, false, 0x18, serverSeq[c - first], clientSeq[c - first], response);
                    serverSeq[c - first] += response.length;
                }
            }
            for (int c = first; c < last; c++)
            {
                packet(c, seed, true, 0x11, clientSeq[c - first], serverSeq[c - first], null);
                packet(c, seed, false, 0x11, serverSeq[c - first], clientSeq[c - first] + 1, null);
                packet(c, seed, true, 0x10, clientSeq[c - first] + 1, serverSeq[c - first] + 1, null);
            }
        }
    }

    private static byte[] request(final int connection, final int transaction, final int seed)
    {
        return ("GET /catalog/item/" + connection + "/" + transaction + "?seed=" + seed + " HTTP/1.1\r\n" +
            "Host: shop" + (connection % 50) + ".example.test\r\n" +
            "User-Agent: httpcap-kafka-test/1.0\r\n" +
            "Accept: application/json\r\n" +
            "X-Request-Id: " + connection + "-" + transaction + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] response(final int connection, final int transaction)
    {
        final String body = "{\"item\":" + connection + ",\"n\":" + transaction + ",\"pad\":\"" +
            "x".repeat(64 + (connection * 31 + transaction * 17) % 128) + "\"}";
        return ("HTTP/1.1 200 OK\r\n" +
            "Content-Type: application/json\r\n" +
            "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    private void packet(
        final int connection, final int seed, final boolean fromClient, final int flags, final long seq, final long ack,
        final byte[] payload) throws IOException
    {
        final int clientIp = 0x0A000000 | ((seed & 0x3F) << 18) | (connection & 0x3FFFF);
        final int serverIp = 0x0AFF0000 | (connection % 8 + 1);
        final int clientPort = 1024 + (connection * 13) % 60_000;
        final int payloadLength = null == payload ? 0 : payload.length;
        final ByteBuffer f = frame;
        f.clear();
        // Ethernet
        f.put(new byte[] {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1}).putShort((short)0x0800);
        // IPv4
        final int ipStart = f.position();
        f.put((byte)0x45).put((byte)0).putShort((short)(20 + 20 + payloadLength)).putShort((short)0)
            .putShort((short)0x4000).put((byte)64).put((byte)6).putShort((short)0)
            .putInt(fromClient ? clientIp : serverIp).putInt(fromClient ? serverIp : clientIp);
        f.putShort(ipStart + 10, (short)checksum(f, ipStart, 20));
        // TCP
        f.putShort((short)(fromClient ? clientPort : SERVER_PORT)).putShort((short)(fromClient ? SERVER_PORT : clientPort))
            .putInt((int)seq).putInt((int)ack).put((byte)0x50).put((byte)flags).putShort((short)65_535)
            .putShort((short)0).putShort((short)0);
        if (null != payload)
        {
            f.put(payload);
        }
        final int length = f.position();
        record.clear();
        record.putInt((int)(micros / 1_000_000)).putInt((int)(micros % 1_000_000)).putInt(length).putInt(length);
        out.write(record.array());
        out.write(f.array(), 0, length);
        micros += 10;
    }

    private static int checksum(final ByteBuffer buffer, final int offset, final int length)
    {
        int sum = 0;
        for (int i = 0; i < length; i += 2)
        {
            sum += buffer.getShort(offset + i) & 0xFFFF;
        }
        while (sum >>> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }
}
