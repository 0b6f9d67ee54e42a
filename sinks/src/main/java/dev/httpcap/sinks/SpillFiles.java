package dev.httpcap.sinks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static dev.httpcap.sinks.SpillQueue.MAGIC;
import static dev.httpcap.sinks.SpillQueue.SEGMENT_HEADER;
import static dev.httpcap.sinks.SpillQueue.SUFFIX;

/**
 * What the spill's writer and reader share: its directory and the names of its segment files,
 * the bytes those files take, where messages go, and the first I/O error.
 */
final class SpillFiles
{
    private final Path dir;
    private final Consumer<String> notices;
    private final AtomicLong diskBytes = new AtomicLong();
    private volatile String lastError;

    SpillFiles(final Path dir, final Consumer<String> notices)
    {
        this.dir = dir;
        this.notices = notices;
    }

    Path dir()
    {
        return dir;
    }

    /** @return bytes the segment files take, as the writer and reader account them. */
    AtomicLong diskBytes()
    {
        return diskBytes;
    }

    void notice(final String message)
    {
        notices.accept(message);
    }

    /** @return the first I/O error of the spill itself, or null. */
    String lastError()
    {
        return lastError;
    }

    void recordError(final Exception ex)
    {
        if (null == lastError)
        {
            lastError = "spill " + dir + ": " + BatchingChannelSink.describe(ex);
        }
    }

    Path segmentPath(final long id)
    {
        return dir.resolve(segmentName(id));
    }

    /** @return the file name of segment {@code id}: twenty digits and the suffix. */
    static String segmentName(final long id)
    {
        return String.format("%020d%s", id, SUFFIX);
    }

    /**
     * @return the segment id a file name says, or -1 if it is not a segment's name: twenty ASCII
     *         digits (not any Unicode digit) naming an id a position can hold, at most
     *         {@link SpillQueue#MAX_SEGMENT_ID} (a position keeps the id above its 32 bits of offset).
     */
    static long segmentId(final Path file)
    {
        final String name = file.getFileName().toString();
        if (name.length() != 20 + SUFFIX.length() || !name.endsWith(SUFFIX))
        {
            return -1;
        }
        long id = 0;
        for (int i = 0; i < 20; i++)
        {
            final char c = name.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            id = id * 10 + (c - '0');
            if (id > SpillQueue.MAX_SEGMENT_ID)
            {
                return -1;
            }
        }
        return id;
    }

    /** @return true if the directory holds a segment other than {@code id} (or cannot be listed). */
    boolean hasSegmentsOtherThan(final long id)
    {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX))
        {
            for (final Path file : files)
            {
                final long other = segmentId(file);
                if (other >= 0 && other != id)
                {
                    return true;
                }
            }
        }
        catch (final IOException ex)
        {
            return true;
        }
        return false;
    }

    static ByteBuffer header()
    {
        return ByteBuffer.allocate(SEGMENT_HEADER).order(ByteOrder.LITTLE_ENDIAN).putLong(0, MAGIC);
    }

    static void writeFully(final FileChannel channel, final ByteBuffer src, final long position)
        throws IOException
    {
        long at = position;
        while (src.hasRemaining())
        {
            at += channel.write(src, at);
        }
    }
}
