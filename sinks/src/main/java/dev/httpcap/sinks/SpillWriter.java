package dev.httpcap.sinks;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

import static dev.httpcap.sinks.SpillQueue.MAX_RECORD_BYTES;
import static dev.httpcap.sinks.SpillQueue.RECORD_HEADER;
import static dev.httpcap.sinks.SpillQueue.SEGMENT_HEADER;
import static dev.httpcap.sinks.SpillQueue.position;
import static dev.httpcap.sinks.SpillFiles.header;
import static dev.httpcap.sinks.SpillFiles.writeFully;

/**
 * The spill's writing end: appends records ({@code [int32 length][int32 CRC-32C][payload]}) to the
 * current segment through a batch, rolls to a new segment when one is full, publishes how far it
 * has written after each flush, and forces the file when asked. One thread appends and flushes;
 * {@link #sync()} and {@link #syncDue} may be called from another.
 */
final class SpillWriter
{
    private static final int WRITE_BATCH = 256 * 1024;

    private final SpillFiles files;
    private final AtomicLong diskBytes;
    private final long maxBytes;
    private final long segmentBytes;
    private final AtomicLong lostRecords = new AtomicLong();
    private final AtomicLong writtenRecords = new AtomicLong();

    private long writeId;
    /** Read by the fsync thread too ({@link #sync()}). */
    private volatile FileChannel writeChannel;
    /** Segments sealed by a roll and not yet forced: {@link #sync()} forces and closes them, off the writer's thread. */
    private final ConcurrentLinkedQueue<FileChannel> sealedUnsynced = new ConcurrentLinkedQueue<>();
    /** Sealed segments left open for the fsync at most, before the writer forces them itself. */
    private static final int MAX_SEALED_UNSYNCED = 4;
    /** Rolls since the last sync(), counted by the writer (a sync from the other thread resets it). */
    private volatile int sealedSinceSync;
    private long writeOffset;
    private final ByteBuffer batch = ByteBuffer.allocateDirect(WRITE_BATCH).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer batchView = new UnsafeBuffer(batch);
    private final ByteBuffer crcView = batch.duplicate();
    private final CRC32C writeCrc = new CRC32C();
    private int batchLength;
    private int batchRecords;
    private volatile long writtenPosition;
    private volatile long unsyncedSinceNanos;

    /**
     * Start writing into a new segment {@code firstId}.
     *
     * @throws IOException if the segment cannot be made.
     */
    SpillWriter(final SpillFiles files, final long maxBytes, final long segmentBytes, final long firstId) throws IOException
    {
        this.files = files;
        this.diskBytes = files.diskBytes();
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        this.writeId = firstId;
        openWriteSegment();
    }

    /** @return the position after the last record flushed. Any thread. */
    long writtenPosition()
    {
        return writtenPosition;
    }

    /** @return the id of the segment being written. */
    long writeId()
    {
        return writeId;
    }

    /** @return records handed to the operating system (a process killed from then on loses none). */
    long writtenRecords()
    {
        return writtenRecords.get();
    }

    /** @return records lost because the disk refused them. */
    long lostRecords()
    {
        return lostRecords.get();
    }

    /** @return true if appended records wait in the write batch (writer only). */
    boolean hasBuffered()
    {
        return batchLength > 0;
    }

    /**
     * Append one record. Buffered: it is on disk after the next {@link #flush()} (or sooner).
     *
     * @return false if the queue is full (or the record longer than {@link SpillQueue#MAX_RECORD_BYTES}).
     * @throws IllegalArgumentException for an empty record: the reader takes a length of 0 for
     *         damage (eight zero bytes, as a crash may leave, would otherwise read as one).
     */
    boolean append(final DirectBuffer src, final int offset, final int length)
    {
        if (length <= 0)
        {
            throw new IllegalArgumentException("the spill keeps no empty record (length " + length + ")");
        }
        final int need = RECORD_HEADER + length;
        if (length > MAX_RECORD_BYTES || diskBytes.get() + need > maxBytes)
        {
            return false;
        }
        if (writeOffset + batchLength + need > segmentBytes && writeOffset + batchLength > SEGMENT_HEADER)
        {
            roll();
        }
        if (need > WRITE_BATCH - batchLength)
        {
            flushBatch();
        }
        diskBytes.addAndGet(need);
        if (need <= WRITE_BATCH)
        {
            batchView.putBytes(batchLength + RECORD_HEADER, src, offset, length);
            writeCrc.reset();
            crcView.limit(batchLength + need).position(batchLength + RECORD_HEADER);
            writeCrc.update(crcView);
            batchView.putInt(batchLength, length);
            batchView.putInt(batchLength + 4, (int)writeCrc.getValue());
            batchLength += need;
            batchRecords++;
        }
        else
        {
            final byte[] record = new byte[need];
            src.getBytes(offset, record, RECORD_HEADER, length);
            writeLarge(record, length);
        }
        return true;
    }

    /** Append a record held in an array; see {@link #append(DirectBuffer, int, int)}. */
    boolean append(final byte[] value)
    {
        return append(new UnsafeBuffer(value), 0, value.length);
    }

    /** Write buffered records to the file and let the reader see them. No fsync. */
    void flush()
    {
        flushBatch();
    }

    /**
     * Force what {@link #flush()} wrote to the storage device (fdatasync), so that a power loss
     * cannot take it. A process that is killed loses nothing flushed, synced or not. Either thread.
     */
    synchronized void sync()
    {
        // Cleared first: a write from now on marks the log unsynced again and is forced next time.
        unsyncedSinceNanos = 0;
        sealedSinceSync = 0;
        forceSealed();
        final FileChannel channel = writeChannel;
        if (null != channel)
        {
            try
            {
                channel.force(false);
            }
            catch (final ClosedChannelException ex)
            {
                // Sealed by a roll meanwhile (the queue above has it for the next sync), or closed
                // by closeChannel() at the end, after the sink's last sync.
            }
            catch (final IOException ex)
            {
                recordError(ex);
            }
        }
    }

    /** Force and close the segments sealed since the last call, oldest first. */
    private void forceSealed()
    {
        FileChannel sealed;
        while (null != (sealed = sealedUnsynced.poll()))
        {
            try
            {
                sealed.force(false);
            }
            catch (final IOException ex)
            {
                recordError(ex);
            }
            finally
            {
                // Closed whatever the force did: a segment the reader deleted keeps its disk space while open.
                try
                {
                    sealed.close();
                }
                catch (final IOException ex)
                {
                    recordError(ex);
                }
            }
        }
    }

    /** @return the {@link System#nanoTime()} of the first flush not yet forced, or 0 if none. Either thread. */
    long unsyncedSinceNanos()
    {
        return unsyncedSinceNanos;
    }

    /** @return true if something flushed has waited at least {@code intervalNanos} for {@link #sync()}. Either thread. */
    boolean syncDue(final long intervalNanos)
    {
        final long since = unsyncedSinceNanos;
        return 0 != since && System.nanoTime() - since >= intervalNanos;
    }


    private void openWriteSegment() throws IOException
    {
        if (writeId > SpillQueue.MAX_SEGMENT_ID)
        {
            throw new IOException("spill: no segment id left past " + SpillQueue.MAX_SEGMENT_ID);
        }
        final Path file = files.segmentPath(writeId);
        final FileChannel channel = FileChannel.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
        writeFully(channel, header(), 0);
        diskBytes.addAndGet(SEGMENT_HEADER);
        writeChannel = channel;
        writeOffset = SEGMENT_HEADER;
        writtenPosition = position(writeId, writeOffset);
    }

    private void roll()
    {
        flushBatch();
        final FileChannel sealed = writeChannel;
        writeChannel = null;
        if (null != sealed)
        {
            // Forced (and closed) by the next sync(), on whichever thread syncs: not here, where an
            // fsync would stall the appending thread. Unless many wait (a long --spill-fsync-ms at a
            // high rate): deleted by the reader but still open, they would hold disk past the limit.
            sealedUnsynced.add(sealed);
            markUnsynced();
            if (++sealedSinceSync > MAX_SEALED_UNSYNCED)
            {
                sync();
            }
        }
        writeId++;
        try
        {
            openWriteSegment();
        }
        catch (final IOException ex)
        {
            // Appends go on into the batch and are counted lost at the next flush, until a roll works.
            recordError(ex);
        }
    }

    private void flushBatch()
    {
        if (0 == batchLength)
        {
            return;
        }
        final FileChannel channel = writeChannel;
        boolean ok = false;
        if (null != channel)
        {
            batch.limit(batchLength).position(0);
            try
            {
                writeFully(channel, batch, writeOffset);
                ok = true;
            }
            catch (final IOException ex)
            {
                recordError(ex);
            }
        }
        if (ok)
        {
            writeOffset += batchLength;
            writtenPosition = position(writeId, writeOffset);
            writtenRecords.addAndGet(batchRecords);
            markUnsynced();
        }
        else
        {
            diskBytes.addAndGet(-batchLength);
            lostRecords.addAndGet(batchRecords);
        }
        batch.clear();
        batchLength = 0;
        batchRecords = 0;
    }

    private void markUnsynced()
    {
        if (0 == unsyncedSinceNanos)
        {
            unsyncedSinceNanos = System.nanoTime();
        }
    }

    private void writeLarge(final byte[] record, final int length)
    {
        flushBatch();
        final ByteBuffer buffer = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
        final CRC32C crc = new CRC32C();
        crc.update(record, RECORD_HEADER, length);
        buffer.putInt(0, length).putInt(4, (int)crc.getValue());
        final FileChannel channel = writeChannel;
        try
        {
            if (null == channel)
            {
                throw new IOException("no spill segment open for writing");
            }
            writeFully(channel, buffer, writeOffset);
            writeOffset += record.length;
            writtenPosition = position(writeId, writeOffset);
            writtenRecords.incrementAndGet();
            markUnsynced();
        }
        catch (final IOException ex)
        {
            recordError(ex);
            diskBytes.addAndGet(-record.length);
            lostRecords.incrementAndGet();
        }
    }

    /** Close the segment's file without writing anything more. */
    void closeChannel()
    {
        forceSealed();
        final FileChannel channel = writeChannel;
        writeChannel = null;
        if (null != channel)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                recordError(ex);
            }
        }
    }

    private void recordError(final Exception ex)
    {
        files.recordError(ex);
    }
}
