package dev.httpcap.sinks;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Writes events to the standard output of the process, one per line.
 * <p>
 * It writes to file descriptor 1 through its own channel, bypassing {@link System#out}: anything
 * printed to {@code System.out} is buffered separately and may interleave with events at batch
 * boundaries, so reports belong on standard error. Closing the sink flushes it but leaves the
 * channel open, since standard output outlives the sink.
 */
public final class StdoutSink extends BatchingChannelSink
{
    private final WritableByteChannel channel;

    /** A sink on the process's standard output, named {@code stdout} or {@code stdout:json}. */
    public StdoutSink(final EventFormat format)
    {
        this(
            format,
            new FileOutputStream(FileDescriptor.out).getChannel(),
            DEFAULT_BATCH_CAPACITY,
            EventFormat.JSON == format ? "stdout:json" : "stdout");
    }

    /**
     * A sink on any channel, for tests and embedding. The channel is not closed by {@link #close()}.
     *
     * @param format        of the events written.
     * @param channel       written to in blocking fashion: a write returning 0 is retried at once.
     * @param batchCapacity bytes of the batch buffer.
     * @param name          for reports.
     */
    public StdoutSink(
        final EventFormat format, final WritableByteChannel channel, final int batchCapacity, final String name)
    {
        super(format, name, batchCapacity);
        this.channel = channel;
    }

    int write(final ByteBuffer src) throws IOException
    {
        return channel.write(src);
    }

    void closeOutput()
    {
    }
}
