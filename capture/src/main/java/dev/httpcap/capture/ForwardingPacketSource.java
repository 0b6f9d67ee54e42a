package dev.httpcap.capture;

/**
 * A {@link PacketSource} that wraps another and passes every call on to it: a subclass overrides
 * {@link #poll} (to see or count the frames on their way) and whatever else it changes. Whether
 * frames stay readable or are lent in place is the wrapped source's, so a wrapper keeps the
 * zero-copy paths.
 */
public abstract class ForwardingPacketSource implements PacketSource
{
    protected final PacketSource source;

    protected ForwardingPacketSource(final PacketSource source)
    {
        this.source = source;
    }

    @Override
    public boolean isDone()
    {
        return source.isDone();
    }

    @Override
    public long bytesConsumed()
    {
        return source.bytesConsumed();
    }

    @Override
    public long totalBytes()
    {
        return source.totalBytes();
    }

    @Override
    public CaptureFileCounters fileCounters()
    {
        return source.fileCounters();
    }

    @Override
    public boolean framesStayReadable()
    {
        return source.framesStayReadable();
    }

    @Override
    public boolean holdFrames(final ConsumerProgress progress)
    {
        return source.holdFrames(progress);
    }

    @Override
    public void releaseConsumedFrames()
    {
        source.releaseConsumedFrames();
    }

    @Override
    public void close()
    {
        source.close();
    }
}
