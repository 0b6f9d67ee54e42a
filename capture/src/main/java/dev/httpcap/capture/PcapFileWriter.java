package dev.httpcap.capture;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.DirectBuffer;

import dev.httpcap.common.WriteBehind;

/**
 * Writes classic pcap files (little-endian, micro- or nanosecond timestamps), like
 * {@code tcpdump -w}. Buffered in one direct buffer; no allocation per packet. Opened by path, it
 * can keep the file from filling the page cache ({@code dropCache}, {@link WriteBehind}).
 */
public final class PcapFileWriter implements AutoCloseable
{
    private static final int BUFFER_BYTES = 1 << 20;

    private final WritableByteChannel channel;
    private final boolean nanos;
    private final int snaplen;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private long packets;
    private long fileBytes;
    private WriteBehind writeBehind;
    private Path path;
    private long nextWriteBehind = WriteBehind.CHUNK;

    public PcapFileWriter(final Path path, final int linkType, final int snaplen, final boolean nanos) throws IOException
    {
        this(path, linkType, snaplen, nanos, false);
    }

    /**
     * @param dropCache drop what was written from the page cache a few tens of MB behind the end of
     *                  the file ({@link WriteBehind}): for a recording that runs for hours.
     */
    public PcapFileWriter(
        final Path path, final int linkType, final int snaplen, final boolean nanos, final boolean dropCache)
        throws IOException
    {
        this(FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE), linkType, snaplen, nanos);
        this.path = path;
        if (dropCache)
        {
            writeBehind = WriteBehind.open(path, 0);
        }
    }

    public PcapFileWriter(
        final WritableByteChannel channel, final int linkType, final int snaplen, final boolean nanos) throws IOException
    {
        this.channel = channel;
        this.nanos = nanos;
        this.snaplen = snaplen;
        buffer.putInt(nanos ? 0xA1B23C4D : 0xA1B2C3D4).putShort((short)2).putShort((short)4)
            .putInt(0).putInt(0).putInt(snaplen).putInt(linkType);
    }

    /** Append one frame, cut to the snap length. */
    public void writePacket(
        final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
        final long timestampNanos) throws IOException
    {
        final int length = Math.min(capturedLength, snaplen);
        if (buffer.remaining() < 16 + length)
        {
            drain();
        }
        final long seconds = Math.floorDiv(timestampNanos, 1_000_000_000L);
        final long fraction = Math.floorMod(timestampNanos, 1_000_000_000L);
        buffer.putInt((int)seconds).putInt((int)(nanos ? fraction : fraction / 1000))
            .putInt(length).putInt(Math.max(wireLength, length));
        if (buffer.remaining() >= length)
        {
            frame.getBytes(offset, buffer, buffer.position(), length);
            buffer.position(buffer.position() + length);
        }
        else
        {
            drain();
            final ByteBuffer big = ByteBuffer.allocateDirect(length);
            frame.getBytes(offset, big, 0, length);
            while (big.hasRemaining())
            {
                fileBytes += channel.write(big);
            }
        }
        packets++;
    }

    public long packets()
    {
        return packets;
    }

    /** @return the file written, or null when given a channel. */
    public Path path()
    {
        return path;
    }

    /** @return why dropping the file from the page cache stopped (a call failed), or null while it works or was not asked for. */
    public String cacheFailure()
    {
        return null == writeBehind ? null : writeBehind.failure();
    }

    public void flush() throws IOException
    {
        drain();
    }

    private void drain() throws IOException
    {
        buffer.flip();
        while (buffer.hasRemaining())
        {
            fileBytes += channel.write(buffer);
        }
        buffer.clear();
        if (null != writeBehind && fileBytes >= nextWriteBehind)
        {
            // After a failure the advice has closed its descriptor, and this does nothing.
            nextWriteBehind = fileBytes + WriteBehind.CHUNK;
            writeBehind.written(fileBytes);
        }
    }

    @Override
    public void close() throws IOException
    {
        try
        {
            drain();
        }
        finally
        {
            if (null != writeBehind)
            {
                writeBehind.close();
            }
            channel.close();
        }
    }
}
