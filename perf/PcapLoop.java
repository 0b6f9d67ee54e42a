import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The first N frames of a pcap file played in a loop, as a pcap on standard output: exactly the
 * frames {@code tcpreplay --loop=0 --limit=L} sent when it reports "Actual: N packets" (it sends
 * the file's frames in order, from the top again at its end, and stops after N). Each loop's time
 * stamps are moved past the previous loop's last one (by the file's span plus one millisecond), so
 * that a reader of the result sees time only move forward, as the live capturer did. A frame longer
 * than the file's snapshot length is cut to it, as libpcap cuts it when tcpreplay reads the file
 * (a snapshot length of 0 or over 262,144 counts as 262,144, as in libpcap).
 *
 *   java perf/PcapLoop.java IN.pcap N | bin/httpcap read - ...
 *
 * perf/live-capture-rates.sh uses it to give `bin/httpcap read` exactly the packets of a step.
 * Classic pcap only (microsecond or nanosecond time stamps, either byte order), as tcpdump,
 * tcprewrite and perf/ConcurrentConnectionsPcap.java write it. Single-file program, no dependencies.
 */
public final class PcapLoop
{
    public static void main(final String[] args) throws IOException
    {
        if (args.length != 2)
        {
            System.err.println("usage: java perf/PcapLoop.java IN.pcap N");
            System.exit(2);
        }
        final Path in = Path.of(args[0]);
        final long wanted = Long.parseLong(args[1]);
        final byte[] header = new byte[24];
        long first;
        long last;
        ByteOrder order;
        long perSecond;
        try (DataInputStream data = new DataInputStream(new BufferedInputStream(Files.newInputStream(in), 1 << 20)))
        {
            data.readFully(header);
            final int magic = ByteBuffer.wrap(header, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            order = ByteOrder.LITTLE_ENDIAN;
            if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
            {
                order = ByteOrder.BIG_ENDIAN;
            }
            final int native_ = ByteBuffer.wrap(header, 0, 4).order(order).getInt();
            if (native_ == 0xa1b2c3d4)
            {
                perSecond = 1_000_000L;
            }
            else if (native_ == 0xa1b23c4d)
            {
                perSecond = 1_000_000_000L;
            }
            else
            {
                throw new IOException(in + ": not a classic pcap file (magic " + Integer.toHexString(magic) + ")");
            }
            // The file's earliest and latest time stamps: the span a loop is moved by.
            first = -1;
            last = 0;
            final byte[] record = new byte[16];
            while (true)
            {
                try
                {
                    data.readFully(record);
                }
                catch (final EOFException end)
                {
                    break;
                }
                final ByteBuffer r = ByteBuffer.wrap(record).order(order);
                final long t = (r.getInt(0) & 0xFFFFFFFFL) * perSecond + (r.getInt(4) & 0xFFFFFFFFL);
                // The earliest, not the first: a loop moved by less could begin before the previous one ended.
                if (first < 0 || t < first)
                {
                    first = t;
                }
                last = Math.max(last, t);
                data.skipNBytes(r.getInt(8) & 0xFFFFFFFFL);
            }
        }
        if (first < 0 && wanted > 0)
        {
            throw new IOException(in + ": no frames");
        }
        final long shift = last - first + perSecond / 1000;
        long snaplen = ByteBuffer.wrap(header, 16, 4).order(order).getInt() & 0xFFFFFFFFL;
        if (snaplen == 0 || snaplen > 262_144)
        {
            snaplen = 262_144;
        }
        final OutputStream out = new BufferedOutputStream(System.out, 1 << 20);
        out.write(header);
        long written = 0;
        final byte[] record = new byte[16];
        byte[] frame = new byte[1 << 16];
        for (long loop = 0; written < wanted; loop++)
        {
            try (DataInputStream data = new DataInputStream(new BufferedInputStream(Files.newInputStream(in), 1 << 20)))
            {
                data.skipNBytes(24);
                while (written < wanted)
                {
                    try
                    {
                        data.readFully(record);
                    }
                    catch (final EOFException end)
                    {
                        break;
                    }
                    final ByteBuffer r = ByteBuffer.wrap(record).order(order);
                    final long t = (r.getInt(0) & 0xFFFFFFFFL) * perSecond + (r.getInt(4) & 0xFFFFFFFFL) + loop * shift;
                    r.putInt(0, (int)(t / perSecond));
                    r.putInt(4, (int)(t % perSecond));
                    final int length = r.getInt(8);
                    if (length > frame.length)
                    {
                        frame = new byte[length];
                    }
                    data.readFully(frame, 0, length);
                    final int kept = (int)Math.min(length, snaplen);
                    r.putInt(8, kept);
                    out.write(record);
                    out.write(frame, 0, kept);
                    written++;
                }
            }
        }
        out.flush();
    }
}
