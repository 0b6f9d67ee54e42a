package dev.httpcap.sinks;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Batches events into one direct buffer and writes it out with one call per batch. Shared by the
 * sinks that end in a channel; subclasses say where the bytes go.
 * <p>
 * An event that does not fit an empty batch is streamed through the batch buffer in full-buffer
 * writes, so no event size needs an allocation. After a failed write that left a partial line in
 * the output, the next write starts with a line break, so a line-oriented reader sees one damaged
 * line rather than two events run together.
 */
abstract class BatchingChannelSink implements EventSink
{
    /** Batch buffer capacity used unless a sink is given another. */
    static final int DEFAULT_BATCH_CAPACITY = 1024 * 1024;

    private static final byte LINE_BREAK = '\n';
    private static final String CLOSED_ERROR = "event offered after the sink was closed";

    private static final VarHandle EVENTS_WRITTEN;
    private static final VarHandle BYTES_WRITTEN;
    private static final VarHandle EVENTS_FAILED;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            EVENTS_WRITTEN = lookup.findVarHandle(BatchingChannelSink.class, "eventsWritten", long.class);
            BYTES_WRITTEN = lookup.findVarHandle(BatchingChannelSink.class, "bytesWritten", long.class);
            EVENTS_FAILED = lookup.findVarHandle(BatchingChannelSink.class, "eventsFailed", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final EventFormat format;
    private final String name;
    private final ByteBuffer batch;
    private final UnsafeBuffer batchView;
    private final int capacity;
    private int batchLength;
    private int batchEvents;
    private boolean atLineStart = true;
    private volatile boolean closed;

    private long eventsWritten;
    private long bytesWritten;
    private long eventsFailed;
    private volatile String lastError;
    /** The last write's error, or null once a write succeeds again. */
    private volatile String failing;

    BatchingChannelSink(final EventFormat format, final String name, final int batchCapacity)
    {
        if (batchCapacity < 2)
        {
            throw new IllegalArgumentException("batch capacity must be at least 2 bytes: " + batchCapacity);
        }
        this.format = format;
        this.name = name;
        this.capacity = batchCapacity;
        this.batch = ByteBuffer.allocateDirect(batchCapacity);
        this.batchView = new UnsafeBuffer(batch);
    }

    /**
     * Write some of {@code src} to the output, advancing its position; called until it has none
     * remaining. May throw any I/O error: the caller counts it.
     */
    abstract int write(ByteBuffer src) throws IOException;

    /** Called before an event of {@code length} bytes (line break not included) is taken in. */
    void beforeEvent(final int length)
    {
    }

    /** Release the output; {@link #close()} calls it once, after the final flush. */
    abstract void closeOutput() throws IOException;

    public final EventFormat format()
    {
        return format;
    }

    public final String name()
    {
        return name;
    }

    public final void onEvent(final DirectBuffer buffer, final int offset, final int length)
    {
        if (closed)
        {
            addFailed(1);
            recordError(CLOSED_ERROR);
            return;
        }

        beforeEvent(length);

        // One byte spare for the line break that repairs a partial line after a failed write;
        // compared this way round so that no length can overflow.
        if (length > capacity - batchLength - 2)
        {
            writeBatch();
        }
        if (!atLineStart && batchLength == 0)
        {
            batchView.putByte(0, LINE_BREAK);
            batchLength = 1;
        }

        if (length < capacity - batchLength)
        {
            batchView.putBytes(batchLength, buffer, offset, length);
            batchView.putByte(batchLength + length, LINE_BREAK);
            batchLength += length + 1;
            batchEvents++;
        }
        else
        {
            streamEvent(buffer, offset, length);
        }
    }

    public final void flush()
    {
        writeBatch();
    }

    public final void close()
    {
        if (closed)
        {
            return;
        }
        writeBatch();
        closed = true;
        try
        {
            closeOutput();
        }
        catch (final IOException | RuntimeException ex)
        {
            recordError(ex);
        }
    }

    public final long eventsWritten()
    {
        return (long)EVENTS_WRITTEN.getAcquire(this);
    }

    public final long bytesWritten()
    {
        return (long)BYTES_WRITTEN.getAcquire(this);
    }

    public final long eventsFailed()
    {
        return (long)EVENTS_FAILED.getAcquire(this);
    }

    public final String lastError()
    {
        return lastError;
    }

    @Override
    public String notReady()
    {
        final String error = failing;
        return null != error ? "its last write failed: " + error : closed ? "closed" : null;
    }

    /** @return bytes taken in but not yet written. */
    final int pendingBytes()
    {
        return batchLength;
    }

    /** The output now starts afresh, e.g. a new file after rotation: no partial line to repair. */
    final void startNewOutput()
    {
        atLineStart = true;
    }

    final void recordError(final Exception ex)
    {
        if (null == lastError)
        {
            lastError = describe(ex);
        }
    }

    final void recordError(final String message)
    {
        if (null == lastError)
        {
            lastError = message;
        }
    }

    /** @return a one-line description of an I/O error, naming the file where there is one. */
    static String describe(final Exception ex)
    {
        if (ex instanceof FileSystemException fse)
        {
            final String reason = null != fse.getReason() ? fse.getReason() : switch (fse)
            {
                case AccessDeniedException ignore -> "permission denied";
                case NoSuchFileException ignore -> "no such file or directory";
                case NotDirectoryException ignore -> "not a directory";
                default -> fse.getClass().getSimpleName();
            };
            final String file = fse.getFile();
            final String other = fse.getOtherFile();
            return (null == file ? "" : file + (null == other ? "" : " -> " + other) + ": ") + reason;
        }
        final String message = ex.getMessage();
        return null == message ? ex.getClass().getSimpleName() : ex.getClass().getSimpleName() + ": " + message;
    }

    private void streamEvent(final DirectBuffer buffer, final int offset, final int length)
    {
        int index = offset;
        int remaining = length;
        while (remaining > 0)
        {
            final int chunk = Math.min(remaining, capacity - batchLength);
            batchView.putBytes(batchLength, buffer, index, chunk);
            batchLength += chunk;
            index += chunk;
            remaining -= chunk;
            if (batchLength == capacity && !writeBatch())
            {
                addFailed(1);
                return;
            }
        }
        batchView.putByte(batchLength, LINE_BREAK);
        batchLength++;
        batchEvents++;
    }

    /** @return true if the batch, possibly empty, reached the output; it is empty afterwards either way. */
    private boolean writeBatch()
    {
        if (0 == batchLength)
        {
            return true;
        }

        final ByteBuffer batch = this.batch;
        batch.limit(batchLength).position(0);
        Exception error = null;
        // A FileChannel closes itself, standard output included, if written while the thread is
        // interrupted; hold a pending interrupt back so a shutdown by interrupt still gets its final flush.
        final boolean interrupted = Thread.interrupted();
        try
        {
            while (batch.hasRemaining())
            {
                write(batch);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            error = ex;
        }
        finally
        {
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }

        final int written = batch.position();
        if (written > 0)
        {
            atLineStart = LINE_BREAK == batchView.getByte(written - 1);
            BYTES_WRITTEN.setRelease(this, bytesWritten + written);
        }
        failing = null != error ? describe(error) : null;
        if (null == error)
        {
            EVENTS_WRITTEN.setRelease(this, eventsWritten + batchEvents);
        }
        else
        {
            // Some events of a partly written batch may have reached the output: counted failed all the same.
            addFailed(batchEvents);
            recordError(error);
        }

        batch.clear();
        batchLength = 0;
        batchEvents = 0;
        return null == error;
    }

    private void addFailed(final int events)
    {
        EVENTS_FAILED.setRelease(this, eventsFailed + events);
    }
}
