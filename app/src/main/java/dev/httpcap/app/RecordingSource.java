package dev.httpcap.app;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.DirectBuffer;

import dev.httpcap.capture.BpfCompiler;
import dev.httpcap.capture.BpfProgram;
import dev.httpcap.capture.ForwardingPacketSource;
import dev.httpcap.capture.LinkTypes;
import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.capture.PcapFileWriter;
import dev.httpcap.common.Frames;
import dev.httpcap.pipeline.PipelineConfig;

/**
 * {@code read --write FILE}: a capture file's frames that pass {@code --filter} (all of them
 * without one) copied to a pcap file on their way to the pipeline, like {@code tcpdump -r IN -w OUT
 * EXPR}. The file is opened (and an unwritable path found) before the first frame; it takes the link
 * type of the first frame written, and frames of another link type (a mixed pcapng) are left out and
 * counted. A write error stops the recording, not the reading.
 */
final class RecordingSource extends ForwardingPacketSource implements PacketHandler
{
    private static final int MAX_LINK_TYPES = 512;

    private final Path path;
    private final String filter;
    private final BpfProgram[] programs = new BpfProgram[MAX_LINK_TYPES];
    private FileChannel channel;
    private PcapFileWriter writer;
    private int linkType = -1;
    private long written;
    private long otherLinkType;
    private String error;
    private PacketHandler downstream;
    private boolean closed;

    /** @throws IOException if {@code path} cannot be created or truncated for writing. */
    RecordingSource(final PacketSource source, final Path path, final String filter) throws IOException
    {
        super(source);
        this.path = path;
        this.filter = filter;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    }

    @Override
    public int poll(final PacketHandler handler, final int limit)
    {
        downstream = handler;
        return source.poll(this, limit);
    }

    @Override
    public void onPacket(
        final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
        final long timestampNanos, final int linkType, final int interfaceId)
    {
        if (error == null && passes(frame, offset, capturedLength, wireLength, linkType))
        {
            record(frame, offset, capturedLength, wireLength, timestampNanos, linkType);
        }
        downstream.onPacket(frame, offset, capturedLength, wireLength, timestampNanos, linkType, interfaceId);
    }

    private boolean passes(
        final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength, final int linkType)
    {
        if (filter == null)
        {
            return true;
        }
        if (linkType < 0 || linkType >= MAX_LINK_TYPES)
        {
            return false;
        }
        BpfProgram program = programs[linkType];
        if (program == null)
        {
            // Once per link type, as the pipeline's own filter does.
            program = BpfCompiler.compile(filter, linkType, Frames.MAX_FRAME_LENGTH);
            programs[linkType] = program;
        }
        return program.matches(frame, offset, capturedLength, wireLength);
    }

    private void record(
        final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
        final long timestampNanos, final int linkType)
    {
        try
        {
            if (writer == null)
            {
                this.linkType = linkType;
                writer = new PcapFileWriter(channel, linkType, Frames.MAX_FRAME_LENGTH, true);
            }
            if (linkType != this.linkType)
            {
                otherLinkType++;
                return;
            }
            writer.writePacket(frame, offset, capturedLength, wireLength, timestampNanos);
            written++;
        }
        catch (final IOException ex)
        {
            error = IoErrors.describe(ex);
        }
    }






    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            if (writer == null && channel != null)
            {
                // Nothing passed: still a valid, empty capture.
                writer = new PcapFileWriter(channel, LinkTypes.ETHERNET, Frames.MAX_FRAME_LENGTH, true);
            }
            if (writer != null)
            {
                writer.close();
            }
        }
        catch (final IOException ex)
        {
            error = error != null ? error : IoErrors.describe(ex);
        }
        finally
        {
            writer = null;
            channel = null;
            source.close();
        }
    }

    /** The report's line about the copy; call after {@link #close()}. */
    String reportLine()
    {
        return "write: " + written + " packets to " + path +
            (otherLinkType > 0 ? ", " + otherLinkType + " of another link type left out" : "") +
            (error != null ? "; recording stopped: " + error : "");
    }
}
