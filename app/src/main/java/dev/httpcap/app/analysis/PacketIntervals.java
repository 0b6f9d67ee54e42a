package dev.httpcap.app.analysis;

import org.agrona.DirectBuffer;

import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.ForwardingPacketSource;
import dev.httpcap.capture.PacketSource;

/**
 * A {@link PacketSource} that counts every frame it delivers (frames and bytes on the wire per
 * interval, from the first frame's time, as tshark's {@code io,stat} does) before passing it on.
 * Runs on the capture thread: a few stores per frame, no allocation (the arrays double now and
 * then); intervals past {@link #MAX_INTERVALS} are counted in the last one.
 */
public final class PacketIntervals extends ForwardingPacketSource implements PacketHandler
{
    static final int MAX_INTERVALS = 1 << 20;

    private final long intervalNanos;
    private final StatsCollector[] collectors;
    private PacketHandler downstream;
    private long firstNanos = Long.MIN_VALUE;
    private long lastNanos = Long.MIN_VALUE;
    private long[] frames = new long[64];
    private long[] bytes = new long[64];
    private int intervals;
    private long totalFrames;
    private long totalBytes;

    /** @param collectors told the first frame's time, as the origin of their intervals. */
    public PacketIntervals(final PacketSource source, final long intervalNanos, final StatsCollector... collectors)
    {
        super(source);
        this.intervalNanos = intervalNanos;
        this.collectors = collectors.clone();
    }

    @Override
    public int poll(final PacketHandler handler, final int limit)
    {
        downstream = handler;
        return source.poll(this, limit);
    }

    @Override
    public void onPacket(final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
        final long timestampNanos, final int linkType, final int interfaceId)
    {
        if (firstNanos == Long.MIN_VALUE)
        {
            firstNanos = timestampNanos;
            for (final StatsCollector collector : collectors)
            {
                collector.origin(timestampNanos);
            }
        }
        lastNanos = Math.max(lastNanos, timestampNanos);
        final long index = Math.max(0, Math.min(MAX_INTERVALS - 1, (timestampNanos - firstNanos) / intervalNanos));
        if (index >= frames.length)
        {
            final int size = (int)Math.min(MAX_INTERVALS, Math.max(index + 1, 2L * frames.length));
            frames = java.util.Arrays.copyOf(frames, size);
            bytes = java.util.Arrays.copyOf(bytes, size);
        }
        frames[(int)index]++;
        bytes[(int)index] += wireLength;
        intervals = Math.max(intervals, (int)index + 1);
        totalFrames++;
        totalBytes += wireLength;
        downstream.onPacket(frame, offset, capturedLength, wireLength, timestampNanos, linkType, interfaceId);
    }

    /** @return the first frame's time, or {@link Long#MIN_VALUE} when there was none. */
    public long firstNanos()
    {
        return firstNanos;
    }

    public long lastNanos()
    {
        return lastNanos;
    }

    public int intervals()
    {
        return intervals;
    }

    public long frames(final int interval)
    {
        return frames[interval];
    }

    public long bytes(final int interval)
    {
        return bytes[interval];
    }

    public long totalFrames()
    {
        return totalFrames;
    }

    /** @return bytes on the wire of every frame delivered. */
    public long wireBytes()
    {
        return totalBytes;
    }






}
