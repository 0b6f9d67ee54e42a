import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a pcap in which CONNECTIONS HTTP/1.1 connections are all open at once: every connection's
 * handshake comes first, then TRANSACTIONS rounds of one request and one response on every
 * connection, and only then every connection's FIN exchange. A capture reader therefore holds all
 * CONNECTIONS flows (and their HTTP parser state) at the same time, which is what the memory
 * measurement of perf/run-all needs: peak RSS with 100,000 concurrent open connections.
 *
 * <p>Each connection is its own client address (10.0.0.0/14) and port to one of 8 servers on port
 * 80; packets are 10 microseconds apart, so the whole file spans a few seconds of packet time
 * (far below any idle timeout) and nothing closes a connection early.
 *
 * <pre>java perf/ConcurrentConnectionsPcap.java OUT.pcap CONNECTIONS [TRANSACTIONS]</pre>
 *
 * Single-file program with no dependencies, so shell scripts run it with the JDK's source launcher.
 */
public final class ConcurrentConnectionsPcap
{
    private static final int SERVER_PORT = 80;
    private static final int MAX_CONNECTIONS = 1 << 18;

    private final OutputStream out;
    private final ByteBuffer frame = ByteBuffer.allocate(2_048).order(ByteOrder.BIG_ENDIAN);
    private final ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    private long micros = 1_767_225_600_000_000L;
    private long packets;

    private ConcurrentConnectionsPcap(final OutputStream out)
    {
        this.out = out;
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length < 2 || args.length > 3)
        {
            usage("");
        }
        final Path path = Path.of(args[0]);
        final int connections = parse(args[1], "CONNECTIONS", 1, MAX_CONNECTIONS);
        final int transactions = args.length > 2 ? parse(args[2], "TRANSACTIONS", 1, 1_000) : 1;
        final ConcurrentConnectionsPcap writer;
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20))
        {
            writer = new ConcurrentConnectionsPcap(file);
            writer.write(connections, transactions);
        }
        System.out.println(path + ": " + connections + " concurrent connections, " + transactions +
            " transactions each, " + writer.packets + " packets, " + Files.size(path) + " bytes");
    }

    private static int parse(final String text, final String name, final int min, final int max)
    {
        try
        {
            final int value = Integer.parseInt(text);
            if (value >= min && value <= max)
            {
                return value;
            }
        }
        catch (final NumberFormatException ignored)
        {
            // reported below
        }
        usage(name + " must be an integer in " + min + ".." + max + ", not '" + text + "'");
        return 0;
    }

    private static void usage(final String message)
    {
        if (!message.isEmpty())
        {
            System.err.println("ConcurrentConnectionsPcap: " + message);
        }
        System.err.println("usage: java perf/ConcurrentConnectionsPcap.java OUT.pcap CONNECTIONS [TRANSACTIONS]");
        System.exit(2);
    }

    private void write(final int connections, final int transactions) throws IOException
    {
        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xa1b2c3d4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65_535).putInt(1);
        out.write(header.array());

        final int[] clientSeq = new int[connections];
        final int[] serverSeq = new int[connections];
        for (int c = 0; c < connections; c++)
        {
            clientSeq[c] = 1_000_000 + c * 7919;
            serverSeq[c] = 5_000_000 + c * 104_729;
            packet(c, true, 0x02, clientSeq[c], 0, null);
        }
        for (int c = 0; c < connections; c++)
        {
            packet(c, false, 0x12, serverSeq[c], clientSeq[c] + 1, null);
        }
        for (int c = 0; c < connections; c++)
        {
            clientSeq[c]++;
            serverSeq[c]++;
            packet(c, true, 0x10, clientSeq[c], serverSeq[c], null);
        }
        for (int t = 1; t <= transactions; t++)
        {
            for (int c = 0; c < connections; c++)
            {
                final byte[] request = request(c, t);
                packet(c, true, 0x18, clientSeq[c], serverSeq[c], request);
                clientSeq[c] += request.length;
            }
            for (int c = 0; c < connections; c++)
            {
                final byte[] response = response(c, t);
                packet(c, false, 0x18, serverSeq[c], clientSeq[c], response);
                serverSeq[c] += response.length;
            }
        }
        for (int c = 0; c < connections; c++)
        {
            packet(c, true, 0x11, clientSeq[c], serverSeq[c], null);
        }
        for (int c = 0; c < connections; c++)
        {
            packet(c, false, 0x11, serverSeq[c], clientSeq[c] + 1, null);
        }
        for (int c = 0; c < connections; c++)
        {
            packet(c, true, 0x10, clientSeq[c] + 1, serverSeq[c] + 1, null);
        }
    }

    private static byte[] request(final int connection, final int transaction)
    {
        return ("GET /api/session/" + connection + "/poll?n=" + transaction + " HTTP/1.1\r\n" +
            "Host: app" + (connection % 8 + 1) + ".example.test\r\n" +
            "User-Agent: httpcap-perf-concurrent/1.0\r\n" +
            "Accept: application/json\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] response(final int connection, final int transaction)
    {
        final String body = "{\"session\":" + connection + ",\"n\":" + transaction + ",\"events\":[]}";
        return ("HTTP/1.1 200 OK\r\n" +
            "Content-Type: application/json\r\n" +
            "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    private void packet(
        final int connection, final boolean fromClient, final int flags, final int seq, final int ack,
        final byte[] payload) throws IOException
    {
        final int clientIp = 0x0A000000 | (connection & (MAX_CONNECTIONS - 1));
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
        // TCP (checksum left 0: capture readers do not verify it, as with offloaded checksums)
        f.putShort((short)(fromClient ? clientPort : SERVER_PORT)).putShort((short)(fromClient ? SERVER_PORT : clientPort))
            .putInt(seq).putInt(ack).put((byte)0x50).put((byte)flags).putShort((short)65_535)
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
        packets++;
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
