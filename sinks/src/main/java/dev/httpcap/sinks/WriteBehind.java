package dev.httpcap.sinks;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.httpcap.common.NativeCalls;

/**
 * Keeps a file being appended to from filling the page cache: each {@link #CHUNK} written is sent to
 * the disk at once ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}), and the chunk {@link #WINDOW}
 * behind the end, written out by then, is dropped from the cache ({@code posix_fadvise(DONTNEED)}).
 * <p>
 * Without it, a file sink writing hundreds of MB/s fills every free page with its own file within
 * a minute; from then on each page it writes must first be reclaimed from someone else's cache,
 * and the sink thread, the workers and the sender of the packets all slow down (measured in
 * perf/README.md: 800,000 packets/s of small frames, lossless while memory was free, kernel drops
 * once the page cache had filled it). With it the sink holds at most {@code WINDOW + CHUNK} of its
 * file in the cache, and writes at the disk's speed: when the disk is slower than the events, the
 * wait for the chunk behind is the sink's back-pressure, as the kernel's dirty-page throttling
 * would be, only before gigabytes of dirty pages have piled up.
 * <p>
 * Advice only: the calls go through a second, read-only descriptor of the same file, opened just
 * after the sink's own; where a call is missing or fails (a file system without it) the file is
 * written as before and the advice stops. Files on tmpfs keep their pages (they are the file).
 */
final class WriteBehind implements AutoCloseable
{
    /** Bytes sent to the disk at a time. */
    static final long CHUNK = 8L << 20;
    /** How far behind the end of the file its pages are dropped from the cache. */
    static final long WINDOW = 64L << 20;

    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final int SYNC_FILE_RANGE_WAIT_AFTER = 4;
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final long PAGE = 4096;

    private static final MethodHandle OPEN = NativeCalls.libcOrNull("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
        Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = NativeCalls.libcOrNull("close",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SYNC_FILE_RANGE = NativeCalls.libcOrNull("sync_file_range",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT));
    private static final MethodHandle POSIX_FADVISE = NativeCalls.libcOrNull("posix_fadvise",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT));

    private int fd;
    /** Bytes before this offset have been sent to the disk. */
    private long sentTo;
    /** Bytes before this offset have been dropped from the cache. */
    private long droppedTo;

    private WriteBehind(final int fd, final long start)
    {
        this.fd = fd;
        this.sentTo = start;
        this.droppedTo = start;
    }

    /**
     * @param path  the file just opened for appending.
     * @param start its size then: what was there before is left alone.
     * @return the advice for it, or null when {@code path} is not a regular file (a pipe, a device)
     * or the calls are missing here.
     */
    static WriteBehind open(final Path path, final long start)
    {
        if (null == OPEN || null == CLOSE || null == SYNC_FILE_RANGE || null == POSIX_FADVISE
            || !Files.isRegularFile(path))
        {
            return null;
        }
        try (Arena arena = Arena.ofConfined())
        {
            final int fd = (int)OPEN.invokeExact(arena.allocateFrom(path.toString()), O_RDONLY | O_CLOEXEC, 0);
            return fd < 0 ? null : new WriteBehind(fd, start & ~(PAGE - 1));
        }
        catch (final Throwable ex)
        {
            return null;
        }
    }

    /**
     * The file now ends at {@code end}: send the chunks completed since the last call to the disk,
     * and drop those more than {@link #WINDOW} behind from the cache (waiting for their write first).
     */
    void written(final long end)
    {
        while (fd >= 0 && end - sentTo >= CHUNK)
        {
            if (!call(SYNC_FILE_RANGE, sentTo, CHUNK, SYNC_FILE_RANGE_WRITE))
            {
                return;
            }
            sentTo += CHUNK;
            while (fd >= 0 && sentTo - droppedTo > WINDOW)
            {
                if (call(SYNC_FILE_RANGE, droppedTo, CHUNK,
                    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)
                    && call(POSIX_FADVISE, droppedTo, CHUNK, POSIX_FADV_DONTNEED))
                {
                    droppedTo += CHUNK;
                }
            }
        }
    }

    /** @return bytes of the file, from the start, that have been dropped from the cache. */
    long droppedTo()
    {
        return droppedTo;
    }

    /** @return false after closing the descriptor, when the call failed: the advice stops. */
    private boolean call(final MethodHandle function, final long offset, final long length, final int flags)
    {
        int rc;
        try
        {
            rc = (int)function.invokeExact(fd, offset, length, flags);
        }
        catch (final Throwable ex)
        {
            rc = -1;
        }
        if (0 != rc)
        {
            close();
            return false;
        }
        return true;
    }

    @Override
    public void close()
    {
        final int fd = this.fd;
        this.fd = -1;
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
