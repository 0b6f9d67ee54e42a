package dev.httpcap.sinks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A channel that keeps what it is given and can run out of space like a full disk: writes succeed
 * until {@code space} bytes have been taken, the one that reaches the limit is cut short, and every
 * write after that throws until space is freed.
 */
final class TestChannel implements WritableByteChannel
{
    static final String NO_SPACE = "No space left on device";

    private final boolean retain;
    private byte[] bytes = new byte[1024];
    private long total;
    private long space = Long.MAX_VALUE;
    private int maxPerWrite = Integer.MAX_VALUE;
    private int writeCalls;
    private boolean open = true;

    TestChannel()
    {
        this(true);
    }

    /** @param retain false to count bytes and discard them, allocating nothing. */
    TestChannel(final boolean retain)
    {
        this.retain = retain;
    }

    TestChannel space(final long space)
    {
        this.space = space;
        return this;
    }

    TestChannel maxPerWrite(final int maxPerWrite)
    {
        this.maxPerWrite = maxPerWrite;
        return this;
    }

    long total()
    {
        return total;
    }

    int writeCalls()
    {
        return writeCalls;
    }

    String text()
    {
        return new String(bytes, 0, (int)total, StandardCharsets.US_ASCII);
    }

    public int write(final ByteBuffer src) throws IOException
    {
        writeCalls++;
        if (!open)
        {
            throw new ClosedChannelException();
        }
        if (total >= space)
        {
            throw new IOException(NO_SPACE);
        }

        final int n = (int)Math.min(Math.min(src.remaining(), maxPerWrite), space - total);
        if (retain)
        {
            if (total + n > bytes.length)
            {
                bytes = Arrays.copyOf(bytes, (int)Math.max(bytes.length * 2L, total + n));
            }
            src.get(bytes, (int)total, n);
        }
        else
        {
            src.position(src.position() + n);
        }
        total += n;
        return n;
    }

    public boolean isOpen()
    {
        return open;
    }

    public void close()
    {
        open = false;
    }
}
