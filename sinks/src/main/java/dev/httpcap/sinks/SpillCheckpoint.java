package dev.httpcap.sinks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The spill's committed position: up to where its records were delivered, kept in the
 * {@code position} file as {@code [int64 segment id][int64 offset][int32 CRC-32C]}, little-endian.
 */
final class SpillCheckpoint implements AutoCloseable
{
    private static final int POSITION_BYTES = 20;

    private final SpillFiles files;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(POSITION_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final long savedId;
    private final long savedOffset;
    private volatile long committed;

    /** Open (creating if needed) the position file and read what an earlier run saved in it. */
    SpillCheckpoint(final SpillFiles files) throws IOException
    {
        this.files = files;
        channel = FileChannel.open(
            files.dir().resolve("position"), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long id = -1;
        long offset = 0;
        try
        {
            final ByteBuffer saved = ByteBuffer.allocate(POSITION_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (saved.hasRemaining() && channel.read(saved, saved.position()) >= 0)
            {
                // read all of it
            }
            if (!saved.hasRemaining())
            {
                final CRC32C crc = new CRC32C();
                crc.update(saved.array(), 0, 16);
                if ((int)crc.getValue() != saved.getInt(16))
                {
                    files.notice("spill: " + files.dir().resolve("position") +
                        " is damaged; reading every segment from its start");
                }
                else if (saved.getLong(0) < 0 || saved.getLong(0) > SpillQueue.MAX_SEGMENT_ID ||
                    saved.getLong(8) < 0 || saved.getLong(8) > 0xFFFF_FFFFL)
                {
                    files.notice("spill: " + files.dir().resolve("position") + " names no position a log can have (segment " +
                        saved.getLong(0) + " byte " + saved.getLong(8) + "); reading every segment from its start");
                }
                else
                {
                    id = saved.getLong(0);
                    offset = saved.getLong(8);
                }
            }
        }
        catch (final IOException ex)
        {
            channel.close();
            throw ex;
        }
        savedId = id;
        savedOffset = offset;
    }

    /** @return the segment id an earlier run saved, or -1 if none (or the file was damaged). */
    long savedId()
    {
        return savedId;
    }

    /** @return the offset in {@link #savedId()} an earlier run saved. */
    long savedOffset()
    {
        return savedOffset;
    }

    /** @return the position up to which records were delivered. Any thread. */
    long committed()
    {
        return committed;
    }

    /** Set the position at open, without writing it. */
    void start(final long position)
    {
        committed = position;
    }

    /** Everything before {@code position} was delivered: keep it, in memory and in the file. */
    void commit(final long position)
    {
        committed = position;
        buffer.clear();
        buffer.putLong(0, position >>> 32).putLong(8, position & 0xFFFF_FFFFL);
        final CRC32C crc = new CRC32C();
        crc.update(buffer.array(), 0, 16);
        buffer.putInt(16, (int)crc.getValue());
        try
        {
            SpillFiles.writeFully(channel, buffer, 0);
        }
        catch (final IOException ex)
        {
            files.recordError(ex);
        }
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}
