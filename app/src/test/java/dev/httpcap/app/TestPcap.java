package dev.httpcap.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes hand-made TCP conversations as a pcap (Ethernet, IPv4, microsecond timestamps): each
 * connection a handshake, its messages as in-order segments with their acknowledgements, and a
 * closing exchange — what tcpdump would record of them on a quiet link.
 */
final class TestPcap
{
    private static final int MSS = 1400;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long micros = 1_700_000_000_000_000L;
    private int nextClientPort = 40_000;

    TestPcap()
    {
        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xA1B2C3D4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65_535).putInt(1);
        out.writeBytes(header.array());
    }

    /** One connection to {@code serverPort}: {@code messages} alternate client, server, client, ... (null: nothing). */
    TestPcap connection(final int serverPort, final String... messages)
    {
        final byte[][] bytes = new byte[messages.length][];
        for (int i = 0; i < messages.length; i++)
        {
            bytes[i] = messages[i] == null ? null : messages[i].getBytes(StandardCharsets.ISO_8859_1);
        }
        return connection(serverPort, bytes);
    }

    TestPcap connection(final int serverPort, final byte[]... messages)
    {
        final int[] ports = {nextClientPort, serverPort};
        final long[] seq = open(serverPort, messages);
        segment(ports, 0, seq, 0x11, new byte[0]); // FIN-ACK
        seq[0]++;
        segment(ports, 1, seq, 0x11, new byte[0]);
        seq[1]++;
        segment(ports, 0, seq, 0x10, new byte[0]);
        nextClientPort++;
        return this;
    }

    /** One connection to {@code serverPort} left open after {@code message} from the client. */
    TestPcap openConnection(final int serverPort, final String message)
    {
        open(serverPort, message.getBytes(StandardCharsets.ISO_8859_1));
        nextClientPort++;
        return this;
    }

    /** The handshake and {@code messages} of the connection from the next client port. @return the sequence numbers then. */
    private long[] open(final int serverPort, final byte[]... messages)
    {
        final int clientPort = nextClientPort;
        final long[] seq = {1_000, 50_000};
        final int[] ports = {clientPort, serverPort};
        segment(ports, 0, seq, 0x02, new byte[0]); // SYN
        seq[0]++;
        segment(ports, 1, seq, 0x12, new byte[0]); // SYN-ACK
        seq[1]++;
        segment(ports, 0, seq, 0x10, new byte[0]);
        for (int i = 0; i < messages.length; i++)
        {
            final byte[] message = messages[i];
            if (message == null)
            {
                continue;
            }
            final int from = i % 2;
            for (int at = 0; at < message.length; at += MSS)
            {
                final byte[] piece = java.util.Arrays.copyOfRange(message, at, Math.min(message.length, at + MSS));
                segment(ports, from, seq, 0x18, piece);
                seq[from] += piece.length;
                segment(ports, 1 - from, seq, 0x10, new byte[0]);
            }
        }
        return seq;
    }

    void write(final Path file) throws IOException
    {
        Files.write(file, out.toByteArray());
    }

    /** {@code from}: 0 client (10.0.0.1), 1 server (10.0.0.2). */
    private void segment(final int[] ports, final int from, final long[] seq, final int flags, final byte[] payload)
    {
        micros += 100;
        final int ipLength = 20 + 20 + payload.length;
        final ByteBuffer p = ByteBuffer.allocate(14 + ipLength).order(ByteOrder.BIG_ENDIAN);
        p.put(new byte[] {0, 0, 0, 0, 0, (byte)(2 - from), 0, 0, 0, 0, 0, (byte)(1 + from)}).putShort((short)0x0800);
        final int ip = p.position();
        p.put((byte)0x45).put((byte)0).putShort((short)ipLength).putShort((short)0).putShort((short)0x4000)
            .put((byte)64).put((byte)6).putShort((short)0)
            .put(new byte[] {10, 0, 0, (byte)(1 + from)}).put(new byte[] {10, 0, 0, (byte)(2 - from)});
        int sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += p.getShort(ip + i) & 0xFFFF;
        }
        sum = (sum & 0xFFFF) + (sum >>> 16);
        p.putShort(ip + 10, (short)~(sum + (sum >>> 16)));
        p.putShort((short)ports[from]).putShort((short)ports[1 - from])
            .putInt((int)seq[from]).putInt((flags & 0x10) != 0 ? (int)seq[1 - from] : 0)
            .put((byte)0x50).put((byte)flags).putShort((short)65_535).putShort((short)0).putShort((short)0)
            .put(payload);
        final ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        record.putInt((int)(micros / 1_000_000)).putInt((int)(micros % 1_000_000)).putInt(p.capacity()).putInt(p.capacity());
        out.writeBytes(record.array());
        out.writeBytes(p.array());
    }
}
