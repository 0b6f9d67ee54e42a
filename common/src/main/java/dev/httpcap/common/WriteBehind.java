package dev.httpcap.common;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps a file being appended to from filling the page cache (the file sink's {@code cache=drop},
 * {@code live --write}): each {@link #CHUNK} written is sent to
 * the disk at once ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, and {@code posix_fadvise(DONTNEED)},
 * which starts the write where the first call cannot reach the pages, as on overlayfs), and the
 * chunk {@link #WINDOW} behind the end, written out by then, is dropped from the cache
 * ({@code posix_fadvise(POSIX_FADV_DONTNEED)} after waiting for its write).
 * <p>
 * Without it, a file sink writing hundreds of MB/s fills every free page with its own file within
 * a minute; from then on each page it writes must first be reclaimed from someone else's cache,
 * and the sink thread, the workers and the capture thread all slow down (measured in
 * perf/README.md, "The page cache": 800,000 packets/s of small frames, lossless while memory was
 * free, kernel drops once the page cache had filled it). A recording ({@code --write}) written by
 * the capture thread itself fills it the same way. With it the writer holds about
 * {@code WINDOW + CHUNK} of its file in the cache, and writes at the disk's speed: when the disk is
 * slower than the data, the wait for the chunk behind is the writer's back-pressure, as the
 * kernel's dirty-page throttling would be, only before gigabytes of dirty pages have piled up.
 * <p>
 * Advice only, through a second descriptor of the same file, opened (write-only, non-blocking)
 * just after the writer's own, and used only if it is a regular file. Where a call is missing, the
 * file is written as before; where one fails, {@link #failure()} says why, the advice stops, and the
 * writer reports it. Files on tmpfs keep their pages (they are the file). Only on Linux x86-64 and
 * aarch64, whose flag values these are.
 */
public final class WriteBehind implements AutoCloseable
{
    /** Bytes sent to the disk at a time. */
    public static final long CHUNK = 8L << 20;
    /** How far behind the end of the file its pages are dropped from the cache. */
    public static final long WINDOW = 64L << 20;

    private static final int O_WRONLY = 1;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final int SYNC_FILE_RANGE_WAIT_AFTER = 4;
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final long PAGE = 4096;

    private static final boolean SUPPORTED = "Linux".equals(System.getProperty("os.name"))
        && ("amd64".equals(System.getProperty("os.arch")) || "aarch64".equals(System.getProperty("os.arch")));
    private static final MethodHandle OPEN = !SUPPORTED ? null : NativeCalls.libcOrNull("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
        Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = !SUPPORTED ? null : NativeCalls.libcOrNull("close",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SYNC_FILE_RANGE = !SUPPORTED ? null : NativeCalls.libcOrNull("sync_file_range",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT), NativeCalls.CAPTURE_ERRNO);
    /** Returns the error number itself (0: done), not -1 and errno. */
    private static final MethodHandle POSIX_FADVISE = !SUPPORTED ? null : NativeCalls.libcOrNull("posix_fadvise",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT));

    private final Arena arena = Arena.ofAuto();
    private final MemorySegment callState = arena.allocate(NativeCalls.CALL_STATE);
    private int fd;
    /** Bytes before this offset have been sent to the disk. */
    private long sentTo;
    /** Bytes before this offset have been dropped from the cache. */
    private long droppedTo;
    /** Volatile: the stats line reads it from its own thread. */
    private volatile String failure;

    private WriteBehind(final int fd, final long start)
    {
        this.fd = fd;
        restart(start);
    }

    /**
     * @param path  the file just opened for appending.
     * @param start its size then: what was there before is left alone.
     * @return the advice for it, or null when {@code path} is not a regular file (a pipe, a device),
     * cannot be opened again, or the calls are missing here.
     */
    public static WriteBehind open(final Path path, final long start)
    {
        if (null == OPEN || null == CLOSE || null == SYNC_FILE_RANGE || null == POSIX_FADVISE || !Files.isRegularFile(path))
        {
            return null;
        }
        int fd = -1;
        try (Arena arena = Arena.ofConfined())
        {
            // Non-blocking: should the path have become a FIFO since it was checked, open does not wait for a reader.
            fd = (int)OPEN.invokeExact(arena.allocateFrom(path.toString()), O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
            if (fd >= 0 && Files.isRegularFile(Path.of("/proc/self/fd/" + fd)))
            {
                final WriteBehind writeBehind = new WriteBehind(fd, start);
                fd = -1;
                return writeBehind;
            }
            return null;
        }
        catch (final Throwable ex)
        {
            return null;
        }
        finally
        {
            closeDescriptor(fd);
        }
    }

    /**
     * The file now ends at {@code end}: send the chunks completed since the last call to the disk,
     * and drop those more than {@link #WINDOW} behind from the cache (waiting for their write first).
     * An end before what was already sent (the file truncated under the writer, logrotate's
     * copytruncate) starts again from the start of the file: what follows the truncation is not known.
     */
    public void written(final long end)
    {
        if (end < sentTo)
        {
            restart(0);
        }
        while (fd >= 0 && end - sentTo >= CHUNK)
        {
            if (!syncFileRange(sentTo, SYNC_FILE_RANGE_WRITE) || !dontNeed(sentTo))
            {
                return;
            }
            sentTo += CHUNK;
            while (fd >= 0 && sentTo - droppedTo > WINDOW)
            {
                if (syncFileRange(droppedTo, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)
                    && dontNeed(droppedTo))
                {
                    droppedTo += CHUNK;
                }
            }
        }
    }

    /** @return bytes of the file, from the start, that have been dropped from the cache. */
    public long droppedTo()
    {
        return droppedTo;
    }

    /** @return why the advice stopped (a call failed: the descriptor is closed), e.g. "posix_fadvise at byte 0 failed (errno 5)", or null. */
    public String failure()
    {
        return failure;
    }

    private void restart(final long offset)
    {
        sentTo = offset & ~(PAGE - 1);
        droppedTo = sentTo;
    }

    private boolean syncFileRange(final long offset, final int flags)
    {
        int rc;
        try
        {
            rc = (int)SYNC_FILE_RANGE.invokeExact(callState, fd, offset, CHUNK, flags);
            if (0 != rc)
            {
                rc = NativeCalls.errno(callState);
            }
        }
        catch (final Throwable ex)
        {
            rc = -1;
        }
        return succeeded("sync_file_range", offset, rc);
    }

    private boolean dontNeed(final long offset)
    {
        int rc;
        try
        {
            rc = (int)POSIX_FADVISE.invokeExact(fd, offset, CHUNK, POSIX_FADV_DONTNEED);
        }
        catch (final Throwable ex)
        {
            rc = -1;
        }
        return succeeded("posix_fadvise", offset, rc);
    }

    /** @return whether {@code error} is 0; if not, the advice stops and {@link #failure()} says why. */
    private boolean succeeded(final String call, final long offset, final int error)
    {
        if (0 == error)
        {
            return true;
        }
        failure = call + " at byte " + offset + " failed (errno " + error + ")";
        close();
        return false;
    }

    @Override
    public void close()
    {
        final int fd = this.fd;
        this.fd = -1;
        closeDescriptor(fd);
    }

    private static void closeDescriptor(final int fd)
    {
        if (fd >= 0)
        {
            try
            {
                final int ignored = (int)CLOSE.invokeExact(fd);
            }
            catch (final Throwable ex)
            {
                // Nothing to do about a descriptor that would not close.
            }
        }
    }
}
