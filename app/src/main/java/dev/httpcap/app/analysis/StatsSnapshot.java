package dev.httpcap.app.analysis;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;

import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.Histogram;

import dev.httpcap.app.analysis.StatsCollector.Conversation;
import dev.httpcap.app.analysis.StatsCollector.Group;
import dev.httpcap.app.analysis.StatsCollector.IoBucket;

/**
 * A mergeable snapshot of {@code httpcap stats}' state: every counter and table of a
 * {@link StatsCollector}, its histograms in HdrHistogram's compressed encoding, the frames per
 * interval and the ledger. Snapshots of several agents (each published to Kafka with
 * {@code --stats-sink}) merge into one collector ({@link #mergeInto}) whose report is that of all
 * their traffic: counts add, histograms add, conversations are listed together, intervals are put
 * back on the time axis. Binary, starting with {@link #MAGIC}, so a topic may hold snapshots and
 * JSON events side by side.
 */
public final class StatsSnapshot
{
    /** "HCS1": httpcap stats snapshot, version 1. A JSON event starts with '{'. */
    public static final int MAGIC = 0x48435331;

    private StatsSnapshot()
    {
    }

    /** @return whether {@code bytes} start like a snapshot. */
    public static boolean isSnapshot(final byte[] bytes)
    {
        return bytes != null && bytes.length >= 4 &&
            ((bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff)) == MAGIC;
    }

    /** Encode the state of a run: its collector, its frames per interval (or null) and its ledger. */
    public static byte[] encode(final StatsCollector s, final PacketIntervals packets, final Map<String, Map<String, Long>> ledger)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
        try (DataOutputStream out = new DataOutputStream(bytes))
        {
            out.writeInt(MAGIC);
            out.writeLong(s.intervalNanos);
            out.writeLong(s.originNanos);
            out.writeLong(s.firstNanos);
            out.writeLong(s.lastNanos);
            out.writeLong(s.events);
            out.writeLong(s.requestPackets);
            out.writeLong(s.responsePackets);
            out.writeLong(s.requestsWithoutHost);
            out.writeLong(s.websocketMessages);
            out.writeLong(s.conversationsFolded);
            counts(out, s.requestsByMethod);
            out.writeInt(s.responsesByCode.size());
            for (final Map.Entry<Integer, Long> e : s.responsesByCode.entrySet())
            {
                out.writeInt(e.getKey());
                out.writeLong(e.getValue());
            }
            tree(out, s.requestsByHost);
            tree(out, s.requestsByServer);
            tree(out, s.serversByHost);
            out.writeInt(s.responsesByServer.rows().size());
            for (final Map.Entry<String, long[]> e : s.responsesByServer.rows().entrySet())
            {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue()[0]);
                out.writeLong(e.getValue()[1]);
            }
            group(out, s.total);
            groups(out, s.hosts);
            groups(out, s.endpoints);
            groups(out, s.clients);
            counts(out, s.tags);
            counts(out, s.datasets);
            out.writeInt(s.conversations.size());
            for (final Conversation c : s.conversations)
            {
                out.writeUTF(c.addressA());
                out.writeInt(c.portA());
                out.writeUTF(c.addressB());
                out.writeInt(c.portB());
                out.writeLong(c.framesAtoB());
                out.writeLong(c.bytesAtoB());
                out.writeLong(c.framesBtoA());
                out.writeLong(c.bytesBtoA());
                out.writeLong(c.startNanos());
                out.writeLong(c.durationNanos());
                out.writeUTF(c.communityId() == null ? "" : c.communityId());
                out.writeUTF(c.reason() == null ? "" : c.reason());
            }
            out.writeInt(s.io.size());
            for (final Map.Entry<Long, IoBucket> e : s.io.entrySet())
            {
                final IoBucket b = e.getValue();
                out.writeLong(s.originNanos + e.getKey() * s.intervalNanos);
                out.writeLong(b.requests);
                out.writeLong(b.responses);
                out.writeLong(b.errors);
                out.writeLong(b.requestBytes);
                out.writeLong(b.responseBytes);
                histogram(out, b.latency);
            }
            // Frames per interval: from the capture, or from merged snapshots.
            if (packets != null && packets.firstNanos() != Long.MIN_VALUE)
            {
                out.writeLong(packets.firstNanos());
                out.writeLong(packets.lastNanos());
                out.writeInt(packets.intervals());
                for (int i = 0; i < packets.intervals(); i++)
                {
                    out.writeLong(packets.firstNanos() + i * s.intervalNanos);
                    out.writeLong(packets.frames(i));
                    out.writeLong(packets.bytes(i));
                }
            }
            else
            {
                out.writeLong(s.firstFrameNanos);
                out.writeLong(s.lastFrameNanos);
                out.writeInt(s.frames.size());
                for (final Map.Entry<Long, long[]> e : s.frames.entrySet())
                {
                    out.writeLong(s.originNanos + e.getKey() * s.intervalNanos);
                    out.writeLong(e.getValue()[0]);
                    out.writeLong(e.getValue()[1]);
                }
            }
            out.writeInt(ledger.size());
            for (final Map.Entry<String, Map<String, Long>> section : ledger.entrySet())
            {
                out.writeUTF(section.getKey());
                counts(out, section.getValue());
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /**
     * Add a snapshot to {@code s} and {@code ledger}.
     *
     * @throws IllegalArgumentException when the bytes are not a whole snapshot.
     */
    public static void mergeInto(final byte[] snapshot, final StatsCollector s, final Map<String, Map<String, Long>> ledger)
    {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot)))
        {
            if (in.readInt() != MAGIC)
            {
                throw new IllegalArgumentException("not an httpcap stats snapshot");
            }
            final long interval = in.readLong();
            final long origin = in.readLong();
            final long first = in.readLong();
            final long last = in.readLong();
            s.firstNanos = Math.min(s.firstNanos, first);
            s.lastNanos = Math.max(s.lastNanos, last);
            s.events += in.readLong();
            s.requestPackets += in.readLong();
            s.responsePackets += in.readLong();
            s.requestsWithoutHost += in.readLong();
            s.websocketMessages += in.readLong();
            s.conversationsFolded += in.readLong();
            readCounts(in, s.requestsByMethod);
            for (int n = in.readInt(); n > 0; n--)
            {
                s.responsesByCode.merge(in.readInt(), in.readLong(), Long::sum);
            }
            readTree(in, s.requestsByHost);
            readTree(in, s.requestsByServer);
            readTree(in, s.serversByHost);
            for (int n = in.readInt(); n > 0; n--)
            {
                final long[] row = s.responsesByServer.row(in.readUTF());
                row[0] += in.readLong();
                row[1] += in.readLong();
            }
            readGroup(in, s.total);
            readGroups(in, s.hosts);
            readGroups(in, s.endpoints);
            readGroups(in, s.clients);
            readCounts(in, s.tags);
            readCounts(in, s.datasets);
            for (int n = in.readInt(); n > 0; n--)
            {
                final String a = in.readUTF();
                final int portA = in.readInt();
                final String b = in.readUTF();
                final int portB = in.readInt();
                final long framesAB = in.readLong();
                final long bytesAB = in.readLong();
                final long framesBA = in.readLong();
                final long bytesBA = in.readLong();
                final long start = in.readLong();
                final long duration = in.readLong();
                final String id = in.readUTF();
                final String reason = in.readUTF();
                s.conversations.add(new Conversation(a, portA, b, portB, framesAB, bytesAB, framesBA, bytesBA, start, duration,
                    id.isEmpty() ? null : id, reason.isEmpty() ? null : reason));
            }
            for (int n = in.readInt(); n > 0; n--)
            {
                final IoBucket bucket = s.bucketAt(in.readLong());
                bucket.requests += in.readLong();
                bucket.responses += in.readLong();
                bucket.errors += in.readLong();
                bucket.requestBytes += in.readLong();
                bucket.responseBytes += in.readLong();
                final AbstractHistogram h = readHistogram(in);
                if (h != null)
                {
                    if (bucket.latency == null)
                    {
                        bucket.latency = new org.HdrHistogram.IntCountsHistogram(StatsCollector.GROUP_DIGITS);
                    }
                    bucket.latency.add(h);
                }
            }
            final long firstFrame = in.readLong();
            final long lastFrame = in.readLong();
            s.firstFrameNanos = Math.min(s.firstFrameNanos, firstFrame);
            s.lastFrameNanos = Math.max(s.lastFrameNanos, lastFrame);
            for (int n = in.readInt(); n > 0; n--)
            {
                s.addFrames(in.readLong(), in.readLong(), in.readLong());
            }
            for (int n = in.readInt(); n > 0; n--)
            {
                readCounts(in, ledger.computeIfAbsent(in.readUTF(), k -> new LinkedHashMap<>()));
            }
            if (interval <= 0 || origin == 0 && interval == 0)
            {
                throw new IllegalArgumentException("a snapshot with no interval");
            }
        }
        catch (final IOException | DataFormatException | RuntimeException ex)
        {
            throw new IllegalArgumentException("a damaged httpcap stats snapshot: " + ex, ex);
        }
    }

    private static void counts(final DataOutputStream out, final Map<String, Long> map) throws IOException
    {
        out.writeInt(map.size());
        for (final Map.Entry<String, Long> e : map.entrySet())
        {
            out.writeUTF(e.getKey());
            out.writeLong(e.getValue());
        }
    }

    private static void readCounts(final DataInputStream in, final Map<String, Long> map) throws IOException
    {
        for (int n = in.readInt(); n > 0; n--)
        {
            map.merge(in.readUTF(), in.readLong(), Long::sum);
        }
    }

    private static void tree(final DataOutputStream out, final CountTable<CountTable<long[]>> table) throws IOException
    {
        out.writeInt(table.rows().size());
        for (final Map.Entry<String, CountTable<long[]>> e : table.rows().entrySet())
        {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue().rows().size());
            for (final Map.Entry<String, long[]> c : e.getValue().rows().entrySet())
            {
                out.writeUTF(c.getKey());
                out.writeLong(c.getValue()[0]);
            }
        }
    }

    private static void readTree(final DataInputStream in, final CountTable<CountTable<long[]>> table) throws IOException
    {
        for (int n = in.readInt(); n > 0; n--)
        {
            final CountTable<long[]> row = table.row(in.readUTF());
            for (int m = in.readInt(); m > 0; m--)
            {
                row.row(in.readUTF())[0] += in.readLong();
            }
        }
    }

    private static void groups(final DataOutputStream out, final CountTable<Group> table) throws IOException
    {
        out.writeInt(table.rows().size());
        for (final Group g : table.rows().values())
        {
            out.writeUTF(g.key);
            group(out, g);
        }
    }

    private static void readGroups(final DataInputStream in, final CountTable<Group> table) throws IOException, DataFormatException
    {
        for (int n = in.readInt(); n > 0; n--)
        {
            readGroup(in, table.row(in.readUTF()));
        }
    }

    private static void group(final DataOutputStream out, final Group g) throws IOException
    {
        out.writeBoolean(g.template != null);
        if (g.template != null)
        {
            out.writeUTF(g.host);
            out.writeUTF(g.method);
            out.writeUTF(g.template);
        }
        out.writeLong(g.requests);
        out.writeLong(g.responses);
        out.writeLong(g.noResponse);
        out.writeLong(g.status4xx);
        out.writeLong(g.status5xx);
        out.writeLong(g.requestBytes);
        out.writeLong(g.responseBytes);
        histogram(out, g.latency);
    }

    private static void readGroup(final DataInputStream in, final Group g) throws IOException, DataFormatException
    {
        if (in.readBoolean())
        {
            final String host = in.readUTF();
            final String method = in.readUTF();
            final String template = in.readUTF();
            if (g.template == null)
            {
                g.host = host;
                g.method = method;
                g.template = template;
            }
        }
        g.requests += in.readLong();
        g.responses += in.readLong();
        g.noResponse += in.readLong();
        g.status4xx += in.readLong();
        g.status5xx += in.readLong();
        g.requestBytes += in.readLong();
        g.responseBytes += in.readLong();
        final AbstractHistogram h = readHistogram(in);
        if (h != null)
        {
            g.latency.add(h);
        }
    }

    private static void histogram(final DataOutputStream out, final AbstractHistogram h) throws IOException
    {
        if (h == null)
        {
            out.writeInt(-1);
            return;
        }
        final ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        final int length = h.encodeIntoCompressedByteBuffer(buffer);
        out.writeInt(length);
        out.write(buffer.array(), 0, length);
    }

    private static AbstractHistogram readHistogram(final DataInputStream in) throws IOException, DataFormatException
    {
        final int length = in.readInt();
        if (length < 0)
        {
            return null;
        }
        final byte[] bytes = in.readNBytes(length);
        if (bytes.length != length)
        {
            throw new IOException("cut short");
        }
        return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0);
    }
}
