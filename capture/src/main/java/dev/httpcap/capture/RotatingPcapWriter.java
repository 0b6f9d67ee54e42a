package dev.httpcap.capture;

import java.io.IOException;
import java.nio.file.Path;

import org.agrona.DirectBuffer;

/**
 * Records frames to pcap files like {@code tcpdump -w FILE -C MB}: FILE, then FILE.1, FILE.2, ...
 * each started when the current one would pass {@code rotateBytes} (0: never). Nanosecond
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
    private PcapFileWriter current;
    private long currentBytes;
    private int files;
    private long packets;

    public RotatingPcapWriter(final Path path, final int linkType, final int snaplen, final long rotateBytes)
        throws IOException
    {
        this.path = path;
        this.linkType = linkType;
        this.snaplen = snaplen;
        this.rotateBytes = rotateBytes;
        open();
    }

    public void write(
        final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
        final long timestampNanos) throws IOException
    {
        final long recordBytes = RECORD_HEADER + Math.min(capturedLength, snaplen);
        if (rotateBytes > 0 && currentBytes + recordBytes > rotateBytes && currentBytes > FILE_HEADER)
        {
            current.close();
            open();
        }
        current.writePacket(frame, offset, capturedLength, wireLength, timestampNanos);
        currentBytes += recordBytes;
        packets++;
    }

    private void open() throws IOException
    {
        final Path file = files == 0 ? path : path.resolveSibling(path.getFileName() + "." + files);
        current = new PcapFileWriter(file, linkType, snaplen, true);
        currentBytes = FILE_HEADER;
        files++;
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

    @Override
    public void close() throws IOException
    {
        current.close();
    }
}
