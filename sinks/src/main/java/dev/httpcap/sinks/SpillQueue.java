package dev.httpcap.sinks;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * A durable first-in first-out queue of events on local disk: the Kafka sink's write-ahead log
 * (its "spill"), through which every event passes on its way to the broker.
 * <p>
 * Events are appended to segment files ({@code 00000000000001048576.spill}, ...) that start with
 * an 8-byte magic; each record is {@code [int32 length][int32 CRC-32C of the payload][payload]},
 * little-endian. A segment is sealed when it reaches its size and a new one is started; the
 * reader reads segments in id order and deletes each once every record in it was delivered. The
 * reader's committed position is kept in {@code position} (segment id, offset, CRC), so a queue
 * reopened after a restart, or after the process was killed, starts where delivery stopped; a
 * position kept elsewhere (the Kafka sink commits it in Kafka, with the records) moves it on with
 * {@link #seek}. Each run writes into a new segment numbered past every position the log had, so
 * positions only grow. The whole queue is bounded: an append that would take the files past {@code maxBytes} is refused.
 * <p>
 * A record whose length is impossible or whose checksum does not match ends the reading of its
 * segment: the rest of the segment is skipped and reported through {@code notices}; nothing
 * throws. A segment that ends inside a record (the process was killed mid-write) is reported the
 * same way.
 * <p>
 * Threads: one writer ({@link #append}, {@link #flush}) and one reader ({@link #read},
 * {@link #commit}) may work at once; the writer publishes how far it has written after each
 * flush; {@link #sync()} may be called by either. Opening and {@link #close()} happen while
 * neither runs. A
 * lock file keeps a second process out of the directory.
 */
final class SpillQueue implements AutoCloseable
{
    static final long MAGIC = 0x314C_4C49_5053_4348L; // "HCSPILL1" in little-endian byte order
    static final int SEGMENT_HEADER = 8;
    static final int RECORD_HEADER = 8;
    static final long FIRST_SEGMENT = 1L << 20;
    static final int MAX_RECORD_BYTES = 64 << 20;
    static final String SUFFIX = ".spill";

    private static final int WRITE_BATCH = 256 * 1024;
    private static final int READ_CHUNK = 1 << 20;
    private static final long MIN_SEGMENT = 1L << 20;
    private static final long MAX_SEGMENT = 64L << 20;
    private static final int POSITION_BYTES = 20;

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final Consumer<String> notices;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final FileChannel positionChannel;
    private final AtomicLong diskBytes = new AtomicLong();
    private final AtomicLong lostRecords = new AtomicLong();
    private final AtomicLong writtenRecords = new AtomicLong();
    private final AtomicLong corruptSegments = new AtomicLong();
    private final AtomicLong corruptBytes = new AtomicLong();
    private volatile String lastError;

    private long writeId;
    private FileChannel writeChannel;
    private long writeOffset;
    private final ByteBuffer batch = ByteBuffer.allocateDirect(WRITE_BATCH).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer batchView = new UnsafeBuffer(batch);
    private final ByteBuffer crcView = batch.duplicate();
    private final CRC32C writeCrc = new CRC32C();
    private int batchLength;
    private int batchRecords;
    private volatile long writtenPosition;
    private volatile long unsyncedSinceNanos;

    private final ArrayDeque<Long> segmentsAtOpen = new ArrayDeque<>();
    private final long checkpointId;
    private final long runStart;
    private final String identity;
    private final long checkpointOffset;
    private long readId;
    private FileChannel readChannel;
    private long readOffset;
    private boolean readSkipped;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer readView = new UnsafeBuffer(readBuffer);
    private final ByteBuffer readCrcView = readBuffer.duplicate();
    private final CRC32C readCrc = new CRC32C();
    private final ByteBuffer positionBuffer = ByteBuffer.allocate(POSITION_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private volatile long committedPosition;
    private boolean closed;

    /**
     * Open (creating if needed) the queue in {@code dir}, taking over whatever an earlier process
     * left there.
     *
     * @param dir      the directory, owned by this queue while it is open.
     * @param maxBytes the most bytes the segment files may take together.
     * @param notices  where messages about damaged segments go.
     * @throws IOException if the directory cannot be made or used, or another process holds it.
     */
    SpillQueue(final Path dir, final long maxBytes, final Consumer<String> notices) throws IOException
    {
        if (maxBytes <= 0)
        {
            throw new IllegalArgumentException("maxBytes must be > 0: " + maxBytes);
        }
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = Math.max(MIN_SEGMENT, Math.min(MAX_SEGMENT, maxBytes / 8));
        this.notices = notices;

        Files.createDirectories(dir);
        lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock fileLock;
        try
        {
            fileLock = lockChannel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            // Held by another queue in this process: two sinks on one topic and cluster.
            fileLock = null;
        }
        catch (final IOException ex)
        {
            lockChannel.close();
            throw ex;
        }
        if (null == fileLock)
        {
            lockChannel.close();
            throw new IOException("spill directory " + dir + " is in use by another process");
        }
        lock = fileLock;

        try
        {
            final List<Long> ids = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX))
            {
                for (final Path file : files)
                {
                    final long id = segmentId(file);
                    if (id >= 0)
                    {
                        ids.add(id);
                        diskBytes.addAndGet(Files.size(file));
                    }
                }
            }
            ids.sort(null);
            segmentsAtOpen.addAll(ids);

            positionChannel = FileChannel.open(
                dir.resolve("position"), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            final long[] checkpoint = readCheckpoint();
            checkpointId = checkpoint[0];
            checkpointOffset = checkpoint[1];

            // A new segment per run, after every segment and every position this log ever had, so a
            // position committed elsewhere (in Kafka) never names a record written later.
            writeId = Math.max(FIRST_SEGMENT, Math.max(ids.isEmpty() ? 0 : ids.getLast() + 1, checkpointId + 1));
            openWriteSegment();
            runStart = writtenPosition;
            identity = readIdentity();
            readId = segmentsAtOpen.isEmpty() ? writeId : segmentsAtOpen.poll();
            readOffset = startOffset(readId);
            committedPosition = position(readId, readOffset);
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly();
            throw ex;
        }
    }

    /** @return the directory. */
    Path dir()
    {
        return dir;
    }

    /**
     * @return this log's identity: random, made when the directory was first used, kept in its
     *         {@code id} file; a new directory is a new log whose positions mean nothing to the old one.
     */
    String identity()
    {
        return identity;
    }

    /** @return the position of the first record this process writes: positions at or past it were not known before. */
    long runStart()
    {
        return runStart;
    }

    /** @return the position up to which records were delivered. */
    long committedPosition()
    {
        return committedPosition;
    }

    /** @return the bound on the segment files' total size. */
    long maxBytes()
    {
        return maxBytes;
    }

    /** @return bytes the segment files take now, records waiting in the write batch included. */
    long diskBytes()
    {
        return diskBytes.get();
    }

    /** @return records handed to the operating system by this queue (a process killed from then on loses none). */
    long writtenRecords()
    {
        return writtenRecords.get();
    }

    /** @return records lost because the disk refused them (the spill's own I/O errors). */
    long lostRecords()
    {
        return lostRecords.get();
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

    /** @return the first I/O error of the spill itself, or null. */
    String lastError()
    {
        return lastError;
    }

    /**
     * @return true when every record flushed has been read and committed. The writer must also
     *         check {@link #hasBuffered()}: appended records are invisible until flushed.
     */
    boolean drained()
    {
        return committedPosition == writtenPosition;
    }

    /** @return true if appended records wait in the write batch (writer only). */
    boolean hasBuffered()
    {
        return batchLength > 0;
    }

    // ---------------------------------------------------------------- writer

    /**
     * Append one record. Buffered: it is on disk after the next {@link #flush()} (or sooner).
     *
     * @return false if the queue is full (or the record longer than {@link #MAX_RECORD_BYTES}).
     */
    boolean append(final DirectBuffer src, final int offset, final int length)
    {
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
    void sync()
    {
        // Cleared first: a write from now on marks the log unsynced again and is forced next time.
        unsyncedSinceNanos = 0;
        final FileChannel channel = writeChannel;
        if (null != channel)
        {
            try
            {
                channel.force(false);
            }
            catch (final ClosedChannelException ex)
            {
                // Sealed by the writer meanwhile, which forces a segment before it closes it.
            }
            catch (final IOException ex)
            {
                recordError(ex);
            }
        }
    }

    /** @return true if something flushed has waited at least {@code intervalNanos} for {@link #sync()}. Either thread. */
    boolean syncDue(final long intervalNanos)
    {
        final long since = unsyncedSinceNanos;
        return 0 != since && System.nanoTime() - since >= intervalNanos;
    }

    // ---------------------------------------------------------------- reader

    /**
     * Read whole records after the read position, never past what the writer has published and
     * never across a segment boundary, copying each payload into {@code out}.
     *
     * @return the position after the last record read, to {@link #commit} once they are delivered;
     *         unchanged from the last call (and {@code out} untouched) if there was nothing to read.
     */
    long read(final List<byte[]> out, final int maxRecords, final int maxBytes)
    {
        int records = 0;
        int bytes = 0;
        while (records < maxRecords && bytes < maxBytes)
        {
            final long written = writtenPosition;
            final long writtenId = written >>> 32;
            final boolean sealed = readId < writtenId;
            if (null == readChannel && !readSkipped && !openReadSegment())
            {
                continue;
            }
            final long limit = sealed ? readLimitOfSealed() : written & 0xFFFF_FFFFL;
            if (readOffset >= limit)
            {
                if (!sealed || records > 0)
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
                recordError(ex);
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
                if (length < 0 || length > MAX_RECORD_BYTES)
                {
                    skipRest(limit, readOffset + at, "impossible record length " + length);
                    at = -1;
                    break;
                }
                if (recordEnd > limit)
                {
                    skipRest(limit, readOffset + at, "it ends inside a record, as when the process is killed mid-write");
                    at = -1;
                    break;
                }
                final byte[] value;
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
                    value = new byte[length];
                    readView.getBytes(at + RECORD_HEADER, value);
                }
                else if (0 == at)
                {
                    value = readLarge(readOffset + RECORD_HEADER, length, crc, limit);
                    if (null == value)
                    {
                        at = -1;
                        break;
                    }
                }
                else
                {
                    break;
                }
                out.add(value);
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
        }
        return position(readId, readOffset);
    }

    /** Everything before {@code position} (as returned by {@link #read}) was delivered. */
    void commit(final long position)
    {
        committedPosition = position;
        writeCheckpoint(position >>> 32, position & 0xFFFF_FFFFL);
    }

    /**
     * Forget what was read and not committed: the next {@link #read} starts again at the committed
     * position. Reads never cross a segment, so that position is in the segment being read.
     */
    void rewind()
    {
        final long committed = committedPosition;
        if (committed >>> 32 == readId && !readSkipped)
        {
            readOffset = committed & 0xFFFF_FFFFL;
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
        if (target <= committedPosition || target > writtenPosition || readId > targetId)
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
        commit(position(readId, readOffset));
        return true;
    }

    /** Release the files. An empty queue leaves no segment behind, only its lock, id and position files. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        flushBatch();
        final boolean empty = drained() && segmentsAtOpen.isEmpty() && readId == writeId && !hasFrontSegments();
        closeQuietly();
        if (empty)
        {
            try
            {
                Files.deleteIfExists(segmentPath(writeId));
            }
            catch (final IOException ex)
            {
                recordError(ex);
            }
        }
    }

    // ---------------------------------------------------------------- internals

    static long position(final long segmentId, final long offset)
    {
        return segmentId << 32 | offset;
    }

    Path segmentPath(final long id)
    {
        return dir.resolve(String.format("%020d%s", id, SUFFIX));
    }

    static long segmentId(final Path file)
    {
        final String name = file.getFileName().toString();
        if (name.length() != 20 + SUFFIX.length() || !name.endsWith(SUFFIX))
        {
            return -1;
        }
        for (int i = 0; i < 20; i++)
        {
            if (!Character.isDigit(name.charAt(i)))
            {
                return -1;
            }
        }
        return Long.parseLong(name, 0, 20, 10);
    }

    private boolean hasFrontSegments()
    {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX))
        {
            for (final Path file : files)
            {
                final long id = segmentId(file);
                if (id >= 0 && id != writeId)
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

    private long startOffset(final long id)
    {
        return id == checkpointId ? Math.max(SEGMENT_HEADER, checkpointOffset) : SEGMENT_HEADER;
    }

    private void openWriteSegment() throws IOException
    {
        final Path file = segmentPath(writeId);
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
            try
            {
                sealed.force(false);
                sealed.close();
            }
            catch (final IOException ex)
            {
                recordError(ex);
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

    private static ByteBuffer header()
    {
        return ByteBuffer.allocate(SEGMENT_HEADER).order(ByteOrder.LITTLE_ENDIAN).putLong(0, MAGIC);
    }

    private static void writeFully(final FileChannel channel, final ByteBuffer src, final long position)
        throws IOException
    {
        long at = position;
        while (src.hasRemaining())
        {
            at += channel.write(src, at);
        }
    }

    private boolean openReadSegment()
    {
        final Path file = segmentPath(readId);
        try
        {
            readChannel = FileChannel.open(file, StandardOpenOption.READ);
            final ByteBuffer magic = ByteBuffer.allocate(SEGMENT_HEADER).order(ByteOrder.LITTLE_ENDIAN);
            while (magic.hasRemaining() && readChannel.read(magic, magic.position()) >= 0)
            {
                // read the whole header
            }
            if (magic.hasRemaining() || MAGIC != magic.getLong(0))
            {
                skipRest(Math.max(SEGMENT_HEADER, readChannel.size()), 0, "it does not start with the spill magic");
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
            recordError(ex);
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
            recordError(ex);
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
            recordError(ex);
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
        notices.accept("spill: " + segmentPath(readId) + " is damaged at byte " + at + " (" + reason +
            "); skipped its remaining " + skipped + " bytes, the events in them are lost");
        readOffset = Math.max(readOffset, limit);
    }

    private void finishReadSegment()
    {
        final Path file = segmentPath(readId);
        try
        {
            if (null != readChannel)
            {
                readChannel.close();
            }
            final long size = Files.exists(file) ? Files.size(file) : 0;
            if (Files.deleteIfExists(file))
            {
                diskBytes.addAndGet(-size);
            }
        }
        catch (final IOException ex)
        {
            recordError(ex);
        }
        readChannel = null;
        readSkipped = false;
        final Long next = segmentsAtOpen.poll();
        readId = null != next ? next : readId + 1;
        readOffset = startOffset(readId);
        commit(position(readId, readOffset));
    }

    private String readIdentity() throws IOException
    {
        final Path file = dir.resolve("id");
        if (Files.exists(file))
        {
            final String id = Files.readString(file).trim();
            if (id.matches("[0-9a-f-]{36}"))
            {
                return id;
            }
            notices.accept("spill: " + file + " is damaged; this log takes a new identity");
        }
        final String id = java.util.UUID.randomUUID().toString();
        Files.writeString(file, id + "\n");
        return id;
    }

    private long[] readCheckpoint() throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(POSITION_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining() && positionChannel.read(buffer, buffer.position()) >= 0)
        {
            // read all of it
        }
        if (buffer.hasRemaining())
        {
            return new long[] {-1, 0};
        }
        final CRC32C crc = new CRC32C();
        crc.update(buffer.array(), 0, 16);
        if ((int)crc.getValue() != buffer.getInt(16))
        {
            notices.accept("spill: " + dir.resolve("position") + " is damaged; reading every segment from its start");
            return new long[] {-1, 0};
        }
        return new long[] {buffer.getLong(0), buffer.getLong(8)};
    }

    private void writeCheckpoint(final long id, final long offset)
    {
        final ByteBuffer buffer = positionBuffer;
        buffer.clear();
        buffer.putLong(0, id).putLong(8, offset);
        final CRC32C crc = new CRC32C();
        crc.update(buffer.array(), 0, 16);
        buffer.putInt(16, (int)crc.getValue());
        try
        {
            writeFully(positionChannel, buffer, 0);
        }
        catch (final IOException ex)
        {
            recordError(ex);
        }
    }

    private void recordError(final Exception ex)
    {
        if (null == lastError)
        {
            lastError = "spill " + dir + ": " + BatchingChannelSink.describe(ex);
        }
    }

    private void closeQuietly()
    {
        for (final AutoCloseable closeable : new AutoCloseable[] {writeChannel, readChannel, positionChannel, lock, lockChannel})
        {
            if (null != closeable)
            {
                try
                {
                    closeable.close();
                }
                catch (final Exception ex)
                {
                    recordError(ex);
                }
            }
        }
        writeChannel = null;
        readChannel = null;
    }
}
