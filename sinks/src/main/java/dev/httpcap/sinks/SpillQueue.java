package dev.httpcap.sinks;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

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
 * flush; {@link #sync()} may be called by any thread (the Kafka sink's own fsync thread does).
 * Opening and {@link #close()} happen while none runs. A lock file keeps a second process out of
 * the directory.
 */
final class SpillQueue implements AutoCloseable
{
    static final long MAGIC = 0x314C_4C49_5053_4348L; // "HCSPILL1" in little-endian byte order
    static final int SEGMENT_HEADER = 8;
    static final int RECORD_HEADER = 8;
    static final long FIRST_SEGMENT = 1L << 20;
    /**
     * The highest segment id: a position is the id shifted above 32 bits of offset, and stays
     * positive. A file named past it is not taken for a segment, a saved position past it is
     * damage, and the writer makes none past it (a roll there fails, its appends are counted lost).
     */
    static final long MAX_SEGMENT_ID = Integer.MAX_VALUE;
    static final int MAX_RECORD_BYTES = 64 << 20;
    static final String SUFFIX = ".spill";

    private static final long MIN_SEGMENT = 1L << 20;
    private static final long MAX_SEGMENT = 64L << 20;

    private final long maxBytes;
    private final SpillFiles files;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final SpillCheckpoint checkpoint;
    private final SpillWriter writer;
    private final SpillReader reader;
    private final long runStart;
    private final String identity;
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
        this.maxBytes = maxBytes;
        final long segmentBytes = Math.max(MIN_SEGMENT, Math.min(MAX_SEGMENT, maxBytes / 8));
        this.files = new SpillFiles(dir, notices);

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

        SpillCheckpoint openedCheckpoint = null;
        SpillWriter openedWriter = null;
        try
        {
            final List<Long> ids = new ArrayList<>();
            try (DirectoryStream<Path> segments = Files.newDirectoryStream(dir, "*" + SUFFIX))
            {
                for (final Path file : segments)
                {
                    final long id = SpillFiles.segmentId(file);
                    if (id >= 0)
                    {
                        ids.add(id);
                        files.diskBytes().addAndGet(Files.size(file));
                    }
                    else
                    {
                        files.notice("spill: " + file + " is not a segment of this log (a segment is named by 20 ASCII digits, " +
                            "an id up to " + MAX_SEGMENT_ID + "): left alone, not read");
                    }
                }
            }
            ids.sort(null);
            final ArrayDeque<Long> segmentsAtOpen = new ArrayDeque<>(ids);

            openedCheckpoint = new SpillCheckpoint(files);
            // A new segment per run, after every segment and every position this log ever had, so a
            // position committed elsewhere (in Kafka) never names a record written later.
            final long writeId = Math.max(FIRST_SEGMENT,
                Math.max(ids.isEmpty() ? 0 : ids.getLast() + 1, openedCheckpoint.savedId() + 1));
            if (writeId > MAX_SEGMENT_ID)
            {
                throw new IOException("spill directory " + dir + " holds segment or position ids up to " + (writeId - 1) +
                    ", the highest a log can have: no id is left to write this run's events in (a file named so by hand?)");
            }
            openedWriter = new SpillWriter(files, maxBytes, segmentBytes, writeId);
            runStart = openedWriter.writtenPosition();
            identity = readIdentity();
            reader = new SpillReader(files, openedWriter, openedCheckpoint, segmentsAtOpen);
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly(openedWriter, null, openedCheckpoint);
            throw ex;
        }
        checkpoint = openedCheckpoint;
        writer = openedWriter;
    }

    /** @return the directory. */
    Path dir()
    {
        return files.dir();
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
        return checkpoint.committed();
    }

    /** @return the bound on the segment files' total size. */
    long maxBytes()
    {
        return maxBytes;
    }

    /** @return bytes the segment files take now, records waiting in the write batch included. */
    long diskBytes()
    {
        return files.diskBytes().get();
    }

    /** @return records handed to the operating system by this queue (a process killed from then on loses none). */
    long writtenRecords()
    {
        return writer.writtenRecords();
    }

    /** @return records lost because the disk refused them (the spill's own I/O errors). */
    long lostRecords()
    {
        return writer.lostRecords();
    }

    /** @return segments found damaged, whose remainder was skipped. */
    long corruptSegments()
    {
        return reader.corruptSegments();
    }

    /** @return bytes skipped in damaged segments. */
    long corruptBytes()
    {
        return reader.corruptBytes();
    }

    /** @return the first I/O error of the spill itself, or null. */
    String lastError()
    {
        return files.lastError();
    }

    /**
     * @return true when every record flushed has been read and committed. The writer must also
     *         check {@link #hasBuffered()}: appended records are invisible until flushed.
     */
    boolean drained()
    {
        return checkpoint.committed() == writer.writtenPosition();
    }

    /** @return true if appended records wait in the write batch (writer only). */
    boolean hasBuffered()
    {
        return writer.hasBuffered();
    }


    // ---------------------------------------------------------------- writer

    /**
     * Append one record. Buffered: it is on disk after the next {@link #flush()} (or sooner).
     *
     * @return false if the queue is full (or the record longer than {@link #MAX_RECORD_BYTES}).
     * @throws IllegalArgumentException for an empty record (see {@link SpillWriter#append}).
     */
    boolean append(final DirectBuffer src, final int offset, final int length)
    {
        return writer.append(src, offset, length);
    }

    /** Append a record held in an array; see {@link #append(DirectBuffer, int, int)}. */
    boolean append(final byte[] value)
    {
        return append(new UnsafeBuffer(value), 0, value.length);
    }

    /** Write buffered records to the file and let the reader see them. No fsync. */
    void flush()
    {
        writer.flush();
    }

    /**
     * Force what {@link #flush()} wrote to the storage device (fdatasync), so that a power loss
     * cannot take it. A process that is killed loses nothing flushed, synced or not. Either thread.
     */
    void sync()
    {
        writer.sync();
    }

    /** @return the {@link System#nanoTime()} of the first flush not yet forced, or 0 if none. Either thread. */
    long unsyncedSinceNanos()
    {
        return writer.unsyncedSinceNanos();
    }

    /** @return true if something flushed has waited at least {@code intervalNanos} for {@link #sync()}. Either thread. */
    boolean syncDue(final long intervalNanos)
    {
        return writer.syncDue(intervalNanos);
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
        return reader.read(out, maxRecords, maxBytes);
    }

    /**
     * Read on while the records read before are not yet committed: as {@link #read}, but never
     * past the end of the segment being read (finishing a segment deletes it and commits the next
     * one's start, which only a reader with nothing outstanding may do); the caller commits what
     * it reads here only after what it read before.
     *
     * @return the position after the last record read; unchanged if there was nothing to read.
     */
    long readAhead(final List<byte[]> out, final int maxRecords, final int maxBytes)
    {
        return reader.read(out, maxRecords, maxBytes, false);
    }

    /**
     * As {@link #read(List, int, int)}, the records as views into the reader's buffer: valid until
     * the next read, which is why one read returns at most one buffer's worth (about 1 MiB).
     */
    long read(final SpillRecords out, final int maxRecords, final int maxBytes)
    {
        return reader.read(out, maxRecords, maxBytes, true);
    }

    /** As {@link #readAhead(List, int, int)}, the records as views; see {@link #read(SpillRecords, int, int)}. */
    long readAhead(final SpillRecords out, final int maxRecords, final int maxBytes)
    {
        return reader.read(out, maxRecords, maxBytes, false);
    }

    /** Everything before {@code position} (as returned by {@link #read}) was delivered. */
    void commit(final long position)
    {
        checkpoint.commit(position);
    }

    /**
     * Forget what was read and not committed: the next {@link #read} starts again at the committed
     * position. Reads never cross a segment, so that position is in the segment being read.
     */
    void rewind()
    {
        reader.rewind();
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
        return reader.seek(target);
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
        writer.flush();
        final boolean empty = drained() && reader.inWriteSegment() && !files.hasSegmentsOtherThan(writer.writeId());
        closeQuietly(writer, reader, checkpoint);
        if (empty)
        {
            try
            {
                Files.deleteIfExists(files.segmentPath(writer.writeId()));
            }
            catch (final IOException ex)
            {
                files.recordError(ex);
            }
        }
    }

    static long position(final long segmentId, final long offset)
    {
        return segmentId << 32 | offset;
    }

    private String readIdentity() throws IOException
    {
        final Path file = files.dir().resolve("id");
        if (Files.exists(file))
        {
            // Bytes as Latin-1: any content reads, and damage that is not text is found below, not thrown.
            final String id = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).trim();
            if (id.matches("[0-9a-f-]{36}"))
            {
                return id;
            }
            files.notice("spill: " + file + " is damaged; this log takes a new identity");
        }
        final String id = java.util.UUID.randomUUID().toString();
        Files.writeString(file, id + "\n");
        return id;
    }

    private void closeQuietly(final SpillWriter writer, final SpillReader reader, final SpillCheckpoint checkpoint)
    {
        if (null != writer)
        {
            writer.closeChannel();
        }
        if (null != reader)
        {
            reader.close();
        }
        for (final AutoCloseable closeable : new AutoCloseable[] {checkpoint, lock, lockChannel})
        {
            if (null != closeable)
            {
                try
                {
                    closeable.close();
                }
                catch (final Exception ex)
                {
                    files.recordError(ex);
                }
            }
        }
    }
}
