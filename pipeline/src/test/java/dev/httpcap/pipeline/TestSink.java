package dev.httpcap.pipeline;

import org.agrona.DirectBuffer;

import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.EventSink;

/**
 * The parts of a test sink that do nothing: it counts the events it is given and writes no bytes;
 * subclasses make {@link #onEvent} or {@link #flush} slow or record what they see.
 */
abstract class TestSink implements EventSink
{
    private final EventFormat format;
    private final String name;
    protected long events;

    TestSink(final EventFormat format, final String name)
    {
        this.format = format;
        this.name = name;
    }

    @Override
    public EventFormat format()
    {
        return format;
    }

    @Override
    public void onEvent(final DirectBuffer buffer, final int offset, final int length)
    {
        events++;
    }

    @Override
    public void flush()
    {
    }

    @Override
    public void close()
    {
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public long eventsWritten()
    {
        return events;
    }

    @Override
    public long bytesWritten()
    {
        return 0;
    }

    @Override
    public long eventsFailed()
    {
        return 0;
    }

    @Override
    public String lastError()
    {
        return null;
    }
}
