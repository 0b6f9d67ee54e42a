package dev.httpcap.sinks;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

import static dev.httpcap.sinks.SpillQueue.MAGIC;
import static dev.httpcap.sinks.SpillQueue.MAX_RECORD_BYTES;
import static dev.httpcap.sinks.SpillQueue.RECORD_HEADER;
import static dev.httpcap.sinks.SpillQueue.SEGMENT_HEADER;
import static dev.httpcap.sinks.SpillQueue.position;

/**
 * The spill's reading end: reads whole records in order up to what the writer has published,
 * checks each record's CRC, skips (and reports) the rest of a damaged segment, and deletes each
 * segment once its records are committed. One thread reads.
 */
final class SpillReader
{
    private static final int READ_CHUNK = 1 << 20;

    private final SpillFiles files;
    private final SpillWriter writer;
    private final SpillCheckpoint checkpoint;
    private final ArrayDeque<Long> segmentsAtOpen;
    private final AtomicLong corruptSegments = new AtomicLong();
    private final AtomicLong corruptBytes = new AtomicLong();
    private long readId;
    private FileChannel readChannel;
    private long readOffset;
    /**
     * The end of the segment being read when it was skipped for want of the magic, else -1: a rewind
     * goes on after it, never into the segment again. Other damage is found again by a read after a
     * rewind (and reported again); a range kept for it could cover records of the writer's segment
     * written after it.
     */
    private long noMagicSkippedTo = -1;
    private boolean readSkipped;
    /** The first segment this run writes: from the last segment of earlier runs the reader goes straight there. */
    private final long firstWriteId;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer readView = new UnsafeBuffer(readBuffer);
    private final ByteBuffer readCrcView = readBuffer.duplicate();
    private final CRC32C readCrc = new CRC32C();

    /**
     * Start at the first of {@code segmentsAtOpen} (else at the writer's segment), at the
     * checkpoint's offset if it names that segment; the checkpoint starts there too.
     */
    SpillReader(final SpillFiles files, final SpillWriter writer, final SpillCheckpoint checkpoint, final ArrayDeque<Long> segmentsAtOpen)
    {
        this.files = files;
        this.writer = writer;
        this.checkpoint = checkpoint;
        this.segmentsAtOpen = segmentsAtOpen;
        firstWriteId = writer.writeId();
        readId = segmentsAtOpen.isEmpty() ? writer.writeId() : segmentsAtOpen.poll();
        readOffset = startOffset(readId);
        checkpoint.start(position(readId, readOffset));
    }

    /** @return segments found damaged, whose remainder was skipped. */
    long corruptSegments()
    {
        return corruptSegments.get();
    }

    /** @return bytes skipped in damaged segments. */
    long corruptBytes()
    {
        return corruptBytes.get();
    }

    /** @return true if no segment of an earlier run waits and the reader is in the writer's segment. */
    boolean inWriteSegment()
    {
        return segmentsAtOpen.isEmpty() && readId == writer.writeId();
    }

    /**
     * Read whole records after the read position, never past what the writer has published and
     * never across a segment boundary, copying each payload into {@code out}.
     *
     * @return the position after the last record read, to {@link SpillQueue#commit} once they are delivered;
     *         unchanged from the last call (and {@code out} untouched) if there was nothing to read.
     */
    long read(final List<byte[]> out, final int maxRecords, final int maxBytes)
    {
        return read(out, maxRecords, maxBytes, true);
    }

    /**
     * As {@link #read(List, int, int)}, but when {@code mayFinishSegment} is false a read that
     * starts at the end of a sealed segment returns nothing instead of deleting that segment and
     * committing the next one's start: for reading ahead while records before are undelivered.
     */
    long read(final List<byte[]> out, final int maxRecords, final int maxBytes, final boolean mayFinishSegment)
    {
        return read(out, null, maxRecords, maxBytes, mayFinishSegment);
    }

    /**
     * As {@link #read(List, int, int, boolean)}, but the records are views into this reader's
     * buffer, valid until the next read (which stops, to that end, after one buffer's worth):
     * nothing is copied or allocated per record. At most {@link SpillRecords#capacity()} records.
     */
    long read(final SpillRecords out, final int maxRecords, final int maxBytes, final boolean mayFinishSegment)
    {
        return read(null, out, Math.min(maxRecords, out.capacity()), maxBytes, mayFinishSegment);
    }

    private long read(
        final List<byte[]> copies, final SpillRecords views, final int maxRecords, final int maxBytes, final boolean mayFinishSegment)
    {
        int records = 0;
        int bytes = 0;
        while (records < maxRecords && bytes < maxBytes)
        {
            final long written = writer.writtenPosition();
            final long writtenId = written >>> 32;
            final boolean sealed = readId < writtenId;
            if (null == readChannel && !readSkipped && !openReadSegment())
            {
                continue;
            }
            final long limit = sealed ? readLimitOfSealed() : written & 0xFFFF_FFFFL;
            if (readOffset >= limit)
            {
                if (!sealed || records > 0 || !mayFinishSegment)
                {
                    break;
                }
                finishReadSegment();
                continue;
            }

            final int chunk = (int)Math.min(READ_CHUNK, limit - readOffset);
            readBuffer.clear().limit(chunk);
            try
            {
                while (readBuffer.hasRemaining())
                {
                    if (readChannel.read(readBuffer, readOffset + readBuffer.position()) < 0)
                    {
                        break;
                    }
                }
            }
            catch (final IOException ex)
            {
                files.recordError(ex);
                skipRest(limit, "it cannot be read: " + BatchingChannelSink.describe(ex));
                continue;
            }
            final int filled = readBuffer.position();
            int at = 0;
            while (records < maxRecords && bytes < maxBytes && filled - at >= RECORD_HEADER)
            {
                final int length = readView.getInt(at);
                final int crc = readView.getInt(at + 4);
                final long recordEnd = readOffset + at + RECORD_HEADER + (long)length;
                if (length <= 0 || length > MAX_RECORD_BYTES)
                {
                    // 0 too: the writer keeps no empty record, and eight zero bytes (what a file system
                    // may leave after a crash, where data was to be) would pass as one, CRC-32C of nothing being 0.
                    skipRest(limit, readOffset + at, 0 == length ? "zeros where a record should be" :
                        "impossible record length " + length);
                    at = -1;
                    break;
                }
                if (recordEnd > limit)
                {
                    skipRest(limit, readOffset + at, "it ends inside a record, as when the process is killed mid-write");
                    at = -1;
                    break;
                }
                if (at + RECORD_HEADER + length <= filled)
                {
                    readCrc.reset();
                    readCrcView.limit(at + RECORD_HEADER + length).position(at + RECORD_HEADER);
                    readCrc.update(readCrcView);
                    if ((int)readCrc.getValue() != crc)
                    {
                        skipRest(limit, readOffset + at, "checksum mismatch");
                        at = -1;
                        break;
                    }
                    if (null != views)
                    {
                        views.add(readView, at + RECORD_HEADER, length);
                    }
                    else
                    {
                        final byte[] value = new byte[length];
                        readView.getBytes(at + RECORD_HEADER, value);
                        copies.add(value);
                    }
                }
                else if (0 == at)
                {
                    final byte[] value = readLarge(readOffset + RECORD_HEADER, length, crc, limit);
                    if (null == value)
                    {
                        at = -1;
                        break;
                    }
                    if (null != views)
                    {
                        views.add(new UnsafeBuffer(value), 0, length); // larger than the buffer: rare
                    }
                    else
                    {
                        copies.add(value);
                    }
                }
                else
                {
                    break;
                }
                records++;
                bytes += length;
                at += RECORD_HEADER + length;
            }
            if (at > 0)
            {
                readOffset += at;
            }
            else if (0 == at && filled < RECORD_HEADER)
            {
                skipRest(limit, readOffset, "it ends inside a record header");
            }
            if (null != views && records > 0)
            {
                break; // the next fill would overwrite the records viewed
            }
        }
        return position(readId, readOffset);
    }

    /**
     * Forget what was read and not committed: the next {@link #read} starts again at the committed
     * position. Reads never cross a segment, so that position is in the segment being read.
     */
    void rewind()
    {
        final long committed = checkpoint.committed();
        if (committed >>> 32 == readId && !readSkipped)
        {
            readOffset = Math.max(committed & 0xFFFF_FFFFL, noMagicSkippedTo);
        }
    }

    /**
     * Everything before {@code target} was delivered (as another record of it says, e.g. the
     * position committed in Kafka): move the committed and the read position there, deleting the
     * segments before it. A target behind the committed position, or past what this log has
     * written, changes nothing.
     *
     * @return true if the positions moved.
     */
    boolean seek(final long target)
    {
        final long targetId = target >>> 32;
        if (target <= checkpoint.committed() || target > writer.writtenPosition() || readId > targetId)
        {
            return false;
        }
        while (readId < targetId)
        {
            finishReadSegment();
        }
        if (readId == targetId)
        {
            readOffset = Math.max(readOffset, target & 0xFFFF_FFFFL);
        }
        checkpoint.commit(position(readId, readOffset));
        return true;
    }

    /** Close the file being read. */
    void close()
    {
        final FileChannel channel = readChannel;
        readChannel = null;
        if (null != channel)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                files.recordError(ex);
            }
        }
    }

    private long startOffset(final long id)
    {
        return id == checkpoint.savedId() ? Math.max(SEGMENT_HEADER, checkpoint.savedOffset()) : SEGMENT_HEADER;
    }

    private boolean openReadSegment()
    {
        final Path file = files.segmentPath(readId);
        try
        {
            readChannel = FileChannel.open(file, StandardOpenOption.READ);
            final ByteBuffer magic = ByteBuffer.allocate(SEGMENT_HEADER).order(ByteOrder.LITTLE_ENDIAN);
            while (magic.hasRemaining() && readChannel.read(magic, magic.position()) >= 0)
            {
                // read the whole header
            }
            final long size = readChannel.size();
            if (magic.hasRemaining() || MAGIC != magic.getLong(0))
            {
                skipRest(Math.max(SEGMENT_HEADER, size), 0, "it does not start with the spill magic");
                noMagicSkippedTo = readOffset;
            }
            else if (size < readOffset)
            {
                // Cut short of the position already delivered (truncated by hand, or a power loss
                // that kept the position and not the data): what followed the position is lost.
                corruptSegments.incrementAndGet();
                files.notice("spill: " + file + " is damaged at byte " + size + " (it ends before byte " + readOffset +
                    ", where delivery had come to: cut short, or a power loss kept the position and not the data); " +
                    "the events written after that position are lost");
            }
            return true;
        }
        catch (final NoSuchFileException ex)
        {
            // Deleted by hand: go on with the next.
            readSkipped = true;
            return true;
        }
        catch (final IOException ex)
        {
            files.recordError(ex);
            readSkipped = true;
            return true;
        }
    }

    private long readLimitOfSealed()
    {
        if (null == readChannel)
        {
            return readOffset;
        }
        try
        {
            return readChannel.size();
        }
        catch (final IOException ex)
        {
            files.recordError(ex);
            return readOffset;
        }
    }

    private byte[] readLarge(final long offset, final int length, final int crc, final long limit)
    {
        final byte[] value = new byte[length];
        final ByteBuffer buffer = ByteBuffer.wrap(value);
        try
        {
            while (buffer.hasRemaining())
            {
                if (readChannel.read(buffer, offset + buffer.position()) < 0)
                {
                    break;
                }
            }
        }
        catch (final IOException ex)
        {
            files.recordError(ex);
            skipRest(limit, "it cannot be read: " + BatchingChannelSink.describe(ex));
            return null;
        }
        final CRC32C check = new CRC32C();
        check.update(value);
        if (buffer.hasRemaining() || (int)check.getValue() != crc)
        {
            skipRest(limit, offset - RECORD_HEADER, "checksum mismatch");
            return null;
        }
        return value;
    }

    private void skipRest(final long limit, final String reason)
    {
        skipRest(limit, readOffset, reason);
    }

    private void skipRest(final long limit, final long at, final String reason)
    {
        final long skipped = Math.max(0, limit - at);
        corruptSegments.incrementAndGet();
        corruptBytes.addAndGet(skipped);
        files.notice("spill: " + files.segmentPath(readId) + " is damaged at byte " + at + " (" + reason +
            "); skipped its remaining " + skipped + " bytes, the events in them are lost");
        readOffset = Math.max(readOffset, limit);
    }

    private void finishReadSegment()
    {
        final Path file = files.segmentPath(readId);
        try
        {
            if (null != readChannel)
            {
                readChannel.close();
            }
            final long size = Files.exists(file) ? Files.size(file) : 0;
            if (Files.deleteIfExists(file))
            {
                files.diskBytes().addAndGet(-size);
            }
        }
        catch (final IOException ex)
        {
            files.recordError(ex);
        }
        readChannel = null;
        readSkipped = false;
        noMagicSkippedTo = -1;
        final Long next = segmentsAtOpen.poll();
        // After the earlier runs' segments, this run's: consecutive from its first, with no need
        // to visit (open, delete, commit) each id between a stray low-numbered segment and it.
        readId = null != next ? next : Math.max(readId + 1, firstWriteId);
        readOffset = startOffset(readId);
        checkpoint.commit(position(readId, readOffset));
    }

}
