package dev.httpcap.app.analysis;

import org.agrona.DirectBuffer;

import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.EventSink;

/**
 * The sink of {@code httpcap stats} reading a capture: each JSON event the pipeline encodes is read
 * back ({@link EventJsonReader}) and added to a {@link StatsCollector}, on the sink thread. Going
 * through the events' JSON keeps one path for captures and NDJSON files, and the pipeline unchanged.
 */
public final class StatsSink implements EventSink
{
    private final StatsCollector collector;
    private final EventJsonReader reader = new EventJsonReader();
    private final EventRecord record = new EventRecord();
    private byte[] bytes = new byte[16 * 1024];
    private long events;
    private long unreadable;
    private long eventBytes;

    public StatsSink(final StatsCollector collector)
    {
        this.collector = collector;
    }

    @Override
    public EventFormat format()
    {
        return EventFormat.JSON;
    }

    @Override
    public void onEvent(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > bytes.length)
        {
            bytes = new byte[Math.max(length, 2 * bytes.length)];
        }
        buffer.getBytes(offset, bytes, 0, length);
        events++;
        eventBytes += length + 1;
        if (reader.read(bytes, 0, length, record))
        {
            collector.accept(record);
        }
        else
        {
            unreadable++;
        }
    }

    /** @return events that were not JSON objects (a bug in the encoder if ever non-zero). */
    public long unreadable()
    {
        return unreadable;
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
        return "stats";
    }

    @Override
    public long eventsWritten()
    {
        return events;
    }

    @Override
    public long bytesWritten()
    {
        return eventBytes;
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
