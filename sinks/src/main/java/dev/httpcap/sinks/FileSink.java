package dev.httpcap.sinks;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import dev.httpcap.common.WriteBehind;

/**
 * Writes events to a file, one per line, with optional size-based rotation.
 * <p>
 * The file is opened for append, so a restart adds to what is there. With rotation on, when the
 * next event would take the file past {@code rotateBytes}, the file is closed and renamed
 * {@code PATH.1}, older files shift up ({@code PATH.1} to {@code PATH.2} and so on), the oldest
 * beyond {@code PATH.keep} is deleted, and a fresh {@code PATH} is started. So at most
 * {@code keep} rotated files are kept besides the live one. An event never straddles two files; an
 * event longer than {@code rotateBytes} gets a file of its own.
 * <p>
 * {@link #reopen()} (SIGHUP, for logrotate) makes the next write start {@code PATH} afresh.
 * Rotation runs on the sink thread. If it fails (a rename refused, say) the error is recorded
 * and writing goes on, into a fresh file when one can be opened.
 */
public final class FileSink extends BatchingChannelSink
{
    /** Rotated files kept when no {@code keep} is given. */
    public static final int DEFAULT_KEEP = 10;

    /** Most rotated files a sink will keep. */
    public static final int MAX_KEEP = 1000;

    private static final VarHandle ROTATIONS;

    static
    {
        try
        {
            ROTATIONS = MethodHandles.lookup().findVarHandle(FileSink.class, "rotations", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Path path;
    private final Path[] rotatedPaths;
    private final long rotateBytes;
    private final int keep;
    private final boolean dropCache;
    private FileChannel channel;
    private WriteBehind writeBehind;
    /** The file's size at which {@link #writeBehind} is next told how far the file has grown. */
    private long nextWriteBehind;
    private volatile String writeBehindFailure;
    private long fileBytes;
    private long rotations;
    private volatile boolean reopenRequested;

    /**
     * A file sink with the default batch buffer, named {@code file:PATH}.
     *
     * @see #FileSink(Path, EventFormat, long, int, int, String)
     */
    public FileSink(final Path path, final EventFormat format, final long rotateBytes, final int keep)
        throws IOException
    {
        this(path, format, rotateBytes, keep, DEFAULT_BATCH_CAPACITY, "file:" + path, false);
    }

    /**
     * Open the file (its directory must exist), so that an unusable path fails here rather than at
     * the first event.
     *
     * @param path          of the live file.
     * @param format        of the events written.
     * @param rotateBytes   size a file may not exceed before rotating; 0 never rotates.
     * @param keep          rotated files to keep besides the live one, 0 to {@link #MAX_KEEP}.
     * @param batchCapacity bytes of the batch buffer.
     * @param name          for reports.
     * @param dropCache     keep the file from filling the page cache: write it out as it grows and drop
     *                      what is more than a few tens of MB behind its end ({@link WriteBehind}).
     * @throws IOException if the directory is missing or the file cannot be opened for writing.
     */
    public FileSink(
        final Path path,
        final EventFormat format,
        final long rotateBytes,
        final int keep,
        final int batchCapacity,
        final String name,
        final boolean dropCache) throws IOException
    {
        super(format, name, batchCapacity);
        if (rotateBytes < 0)
        {
            throw new IllegalArgumentException("rotateBytes must be >= 0: " + rotateBytes);
        }
        if (keep < 0 || keep > MAX_KEEP)
        {
            throw new IllegalArgumentException("keep must be in 0.." + MAX_KEEP + ": " + keep);
        }

        this.path = path;
        this.rotateBytes = rotateBytes;
        this.keep = keep;
        this.dropCache = dropCache;
        this.rotatedPaths = new Path[keep];
        final String fileName = path.getFileName().toString();
        for (int i = 0; i < keep; i++)
        {
            rotatedPaths[i] = path.resolveSibling(fileName + "." + (i + 1));
        }

        // Never made here: run as root, a mistyped path would create directories anywhere.
        final Path parent = path.toAbsolutePath().getParent();
        if (null != parent && !Files.isDirectory(parent))
        {
            throw new NoSuchFileException(parent.toString(), null,
                Files.exists(parent) ? "not a directory" : "no such directory (httpcap does not create directories)");
        }
        openFile();
    }

    /** @return the live file. */
    public Path path()
    {
        return path;
    }

    /** @return the size a file may reach before rotating; 0 if never. */
    public long rotateBytes()
    {
        return rotateBytes;
    }

    /** @return how many rotated files are kept besides the live one. */
    public int keep()
    {
        return keep;
    }

    /** @return whether the file is kept from filling the page cache ({@code cache=drop}). */
    public boolean dropsCache()
    {
        return dropCache;
    }

    /** @return bytes of the live file, from its start, dropped from the page cache so far (0: none, or not asked). */
    long droppedFromCache()
    {
        return null == writeBehind ? 0 : writeBehind.droppedTo();
    }

    /** @return how many times the file has been rotated. */
    public long rotations()
    {
        return (long)ROTATIONS.getAcquire(this);
    }

    /**
     * Close the file and open {@code PATH} again before the next write — after logrotate moved it
     * away, a new file is started. Any thread (SIGHUP); done on the sink's thread, so no write is
     * split between the two files.
     */
    public void reopen()
    {
        reopenRequested = true;
    }

    int write(final ByteBuffer src) throws IOException
    {
        if (reopenRequested)
        {
            reopenRequested = false;
            closeOutput();
        }
        // Reopened if closed underneath us, as an interrupt during a write does.
        final FileChannel channel = null != this.channel && this.channel.isOpen() ? this.channel : openFile();
        final int written = channel.write(src);
        fileBytes += written;
        if (null != writeBehind && fileBytes >= nextWriteBehind)
        {
            writeBehindUpTo(channel);
        }
        return written;
    }

    /**
     * Once a {@link WriteBehind#CHUNK} written: the advice up to the file's real size (smaller than what
     * this sink wrote after a copytruncate), and its failure, if any, shown from then on.
     */
    private void writeBehindUpTo(final FileChannel channel)
    {
        nextWriteBehind = fileBytes + WriteBehind.CHUNK;
        long size;
        try
        {
            size = channel.size();
        }
        catch (final IOException ex)
        {
            size = fileBytes;
        }
        writeBehind.written(size);
        if (null != writeBehind.failure())
        {
            writeBehindFailure = "cache=drop stopped: " + writeBehind.failure();
            closeWriteBehind();
        }
    }

    private void closeWriteBehind()
    {
        if (null != writeBehind)
        {
            writeBehind.close();
            writeBehind = null;
        }
    }

    /** @return why the page-cache advice ({@code cache=drop}) stopped, or null while it works or was not asked for. */
    @Override
    public String progress()
    {
        return writeBehindFailure;
    }

    void beforeEvent(final int length)
    {
        if (rotateBytes > 0)
        {
            final long used = fileBytes + pendingBytes();
            if (used > 0 && used + length + 1 > rotateBytes)
            {
                rotate();
            }
        }
    }

    void closeOutput() throws IOException
    {
        final FileChannel channel = this.channel;
        this.channel = null;
        closeWriteBehind();
        if (null != channel)
        {
            channel.close();
        }
    }

    private FileChannel openFile() throws IOException
    {
        closeWriteBehind();
        final FileChannel channel = FileChannel.open(
            path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        this.channel = channel;
        fileBytes = channel.size();
        nextWriteBehind = fileBytes + WriteBehind.CHUNK;
        writeBehind = dropCache ? WriteBehind.open(path, fileBytes) : null;
        return channel;
    }

    private void rotate()
    {
        flush();
        try
        {
            closeOutput();
        }
        catch (final IOException ex)
        {
            recordError(ex);
        }

        try
        {
            shiftFiles();
        }
        catch (final IOException | RuntimeException ex)
        {
            recordError(ex);
        }
        ROTATIONS.setRelease(this, rotations + 1);
        startNewOutput();
        fileBytes = 0;

        try
        {
            openFile();
        }
        catch (final IOException ex)
        {
            // Left closed: the next write tries again and counts its events failed if it cannot.
            recordError(ex);
        }
    }

    private void shiftFiles() throws IOException
    {
        if (0 == keep)
        {
            Files.deleteIfExists(path);
            return;
        }

        Files.deleteIfExists(rotatedPaths[keep - 1]);
        for (int i = keep - 1; i > 0; i--)
        {
            if (Files.exists(rotatedPaths[i - 1]))
            {
                Files.move(rotatedPaths[i - 1], rotatedPaths[i], StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (Files.exists(path))
        {
            Files.move(path, rotatedPaths[0], StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
