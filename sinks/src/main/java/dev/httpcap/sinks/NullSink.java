package dev.httpcap.sinks;

import org.agrona.DirectBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Counts events and writes nothing: for benchmarks that measure the pipeline without the cost of
 * output. Bytes are counted as a real sink would write them, line break included.
 */
public final class NullSink implements EventSink
{
    private static final VarHandle EVENTS_WRITTEN;
    private static final VarHandle BYTES_WRITTEN;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            EVENTS_WRITTEN = lookup.findVarHandle(NullSink.class, "eventsWritten", long.class);
            BYTES_WRITTEN = lookup.findVarHandle(NullSink.class, "bytesWritten", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final EventFormat format;
    private final String name;
    private long eventsWritten;
    private long bytesWritten;

    /** A null sink named {@code null}. */
    public NullSink(final EventFormat format)
    {
        this(format, "null");
    }

    public NullSink(final EventFormat format, final String name)
    {
        this.format = format;
        this.name = name;
    }

    public EventFormat format()
    {
        return format;
    }

    public void onEvent(final DirectBuffer buffer, final int offset, final int length)
    {
        EVENTS_WRITTEN.setRelease(this, eventsWritten + 1);
        BYTES_WRITTEN.setRelease(this, bytesWritten + length + 1);
    }

    public void flush()
    {
    }

    public void close()
    {
    }

    public String name()
    {
        return name;
    }

    public long eventsWritten()
    {
        return (long)EVENTS_WRITTEN.getAcquire(this);
    }

    public long bytesWritten()
    {
        return (long)BYTES_WRITTEN.getAcquire(this);
    }

    public long eventsFailed()
    {
        return 0;
    }

    public String lastError()
    {
        return null;
    }
}
