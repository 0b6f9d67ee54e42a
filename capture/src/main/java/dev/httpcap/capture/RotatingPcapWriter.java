package dev.httpcap.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.DirectBuffer;

/**
 * Records frames to pcap files like {@code tcpdump -w FILE -C MB}: FILE, then FILE.1, FILE.2, ...
 * each started when the current one would pass {@code rotateBytes} (0: never), keeping the last
 * {@code keep} finished files (like {@code -W}, but never overwriting the newest). Nanosecond
 * timestamps, Ethernet link type unless told otherwise.
 */
public final class RotatingPcapWriter implements AutoCloseable
{
    private static final int RECORD_HEADER = 16;
    private static final int FILE_HEADER = 24;

    private final Path path;
    private final int linkType;
    private final int snaplen;
    private final long rotateBytes;
    private final int keep;
    private final boolean dropCache;
    // Volatile: cacheFailure() reads them on the stats line's thread.
    private volatile PcapFileWriter current;
    private long currentBytes;
    private int files;
    private long packets;
    private volatile String cacheFailure;

    public RotatingPcapWriter(final Path path, final int linkType, final int snaplen, final long rotateBytes)
        throws IOException
    {
        this(path, linkType, snaplen, rotateBytes, Integer.MAX_VALUE, false);
    }

    /**
     * @param keep      files kept besides the one being written: starting a file deletes the one
     *                  {@code keep + 1} before it ({@code Integer.MAX_VALUE}: keep every file).
     * @param dropCache keep each file from filling the page cache ({@link PcapFileWriter}).
     */
    public RotatingPcapWriter(
        final Path path, final int linkType, final int snaplen, final long rotateBytes, final int keep,
        final boolean dropCache) throws IOException
    {
        if (keep < 0)
        {
            throw new IllegalArgumentException("keep must be >= 0: " + keep);
        }
        this.path = path;
        this.linkType = linkType;
        this.snaplen = snaplen;
        this.rotateBytes = rotateBytes;
        this.keep = keep;
        this.dropCache = dropCache;
        open();
    }

    public void write(
        final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
        final long timestampNanos) throws IOException
    {
        final long recordBytes = RECORD_HEADER + Math.min(capturedLength, snaplen);
        if (rotateBytes > 0 && currentBytes + recordBytes > rotateBytes && currentBytes > FILE_HEADER)
        {
            finishFile();
            open();
        }
        current.writePacket(frame, offset, capturedLength, wireLength, timestampNanos);
        currentBytes += recordBytes;
        packets++;
    }

    private void open() throws IOException
    {
        current = new PcapFileWriter(file(files), linkType, snaplen, true, dropCache && null == cacheFailure);
        currentBytes = FILE_HEADER;
        if ((long)files - keep - 1 >= 0)
        {
            Files.deleteIfExists(file((int)((long)files - keep - 1)));
        }
        files++;
    }

    private Path file(final int index)
    {
        return index == 0 ? path : path.resolveSibling(path.getFileName() + "." + index);
    }

    /** @return the file opened last: the one being written, unless opening the next one failed. */
    public Path file()
    {
        return current.path();
    }

    /** @return files started so far (1 + rotations). */
    public int files()
    {
        return files;
    }

    public long packets()
    {
        return packets;
    }

    /**
     * @return why dropping the files from the page cache stopped, with the file it was (the first failure:
     * later files are not tried), or null.
     */
    public String cacheFailure()
    {
        // The writer first: one that follows a failure was made after the field was set, so the field
        // read next holds it (a rotation between the two reads cannot hide the failure).
        final PcapFileWriter writer = current;
        final String failure = writer.cacheFailure();
        if (null != failure)
        {
            return writer.path() + ": " + failure;
        }
        return cacheFailure;
    }

    @Override
    public void close() throws IOException
    {
        finishFile();
    }

    private void finishFile() throws IOException
    {
        try
        {
            current.close();
        }
        finally
        {
            // After close: its last chunks may be where the advice failed.
            cacheFailure = cacheFailure();
        }
    }
}
