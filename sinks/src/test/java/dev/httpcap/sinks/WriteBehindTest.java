package dev.httpcap.sinks;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import dev.httpcap.common.NativeCalls;
import dev.httpcap.common.WriteBehind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The file sink's pages leave the page cache behind the end of the file ({@code cache=drop}, the
 * default), are kept with {@code cache=keep}, and no byte is lost either way, on disk or on tmpfs.
 * Residency is read with {@code mincore(2)} on a mapping of the file.
 */
class WriteBehindTest
{
    private static final int EVENT_LENGTH = 1024;
    /** Enough for several chunks past the window. */
    private static final long FILE_BYTES = WriteBehind.WINDOW + 12 * WriteBehind.CHUNK;
    private static final long PAGE = 4096;
    private static final MethodHandle MINCORE = NativeCalls.libc("mincore",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[EVENT_LENGTH]);
    private Path file;

    @AfterEach
    void deleteFile() throws IOException
    {
        if (null != file)
        {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void shouldDropPagesBehindTheEndOfAFileOnDiskWithoutLosingAByte() throws Throwable
    {
        file = fileOn(diskDirectory());
        final long events = writeEvents(file, true);
        assertEquals(FILE_BYTES, Files.size(file));
        final long behind = (FILE_BYTES - WriteBehind.WINDOW - WriteBehind.CHUNK) & ~(WriteBehind.CHUNK - 1);
        final long residentBehind = residentBytes(file, 0, behind);
        assertTrue(residentBehind <= behind / 20,
            "at most 5% of the first " + behind + " bytes still cached, but " + residentBehind + " are");
        assertTrue(residentBytes(file, FILE_BYTES - WriteBehind.CHUNK, WriteBehind.CHUNK) > 0,
            "the end of the file is still cached");
        assertEventsIntact(file, events);
    }

    @Test
    void shouldKeepPagesWhenAskedTo() throws Throwable
    {
        file = fileOn(diskDirectory());
        try (FileSink sink = new FileSink(file, EventFormat.JSON, 0, 0, 64 * 1024, "file:" + file, false))
        {
            writeEvents(sink);
            assertEquals(0, sink.droppedFromCache());
        }
        // What the kernel then keeps is up to it (memory pressure): not asserted.
    }

    @Test
    void shouldLeaveWhatTheFileHeldBeforeAndDropOnlyWhatFollows() throws Throwable
    {
        file = fileOn(diskDirectory());
        final long before = (10L << 20) + 100;
        final byte[] old = new byte[(int)before];
        Arrays.fill(old, (byte)'o');
        Files.write(file, old);
        final long events;
        try (FileSink sink = new FileSink(file, EventFormat.JSON, 0, 0, 64 * 1024, "file:" + file, true))
        {
            events = writeEvents(sink);
            final long dropped = sink.droppedFromCache();
            assertTrue(dropped >= before + FILE_BYTES - WriteBehind.WINDOW - 2 * WriteBehind.CHUNK, "dropped to " + dropped);
            assertEquals(null, sink.progress());
        }
        try (InputStream in = Files.newInputStream(file))
        {
            assertTrue(Arrays.equals(old, in.readNBytes((int)before)), "what was there before is unchanged");
        }
        assertEquals(before + FILE_BYTES, Files.size(file));
        final Path rest = fileOn(file.getParent());
        try
        {
            try (FileChannel in = FileChannel.open(file); FileChannel out = FileChannel.open(rest, StandardOpenOption.WRITE))
            {
                in.transferTo(before, FILE_BYTES, out);
            }
            assertEventsIntact(rest, events);
        }
        finally
        {
            Files.deleteIfExists(rest);
        }
    }

    @Test
    void shouldStartAgainFromTheStartWhenTheFileIsTruncatedUnderTheSink() throws Throwable
    {
        file = fileOn(diskDirectory());
        try (FileSink sink = new FileSink(file, EventFormat.JSON, 0, 0, 64 * 1024, "file:" + file, true))
        {
            writeEvents(sink);
            // logrotate's copytruncate: the sink's descriptor appends at the new end, 0.
            try (FileChannel other = FileChannel.open(file, StandardOpenOption.WRITE))
            {
                other.truncate(0);
            }
            writeEvents(sink);
        }
        assertEquals(FILE_BYTES, Files.size(file));
        final long behind = FILE_BYTES - WriteBehind.WINDOW - 2 * WriteBehind.CHUNK;
        final long residentBehind = residentBytes(file, 0, behind);
        assertTrue(residentBehind <= behind / 20,
            "at most 5% of the first " + behind + " bytes after the truncation still cached, but " + residentBehind + " are");
    }

    @Test
    void shouldKeepNoDescriptorOfARotatedFile() throws Throwable
    {
        final Path dir = Files.createTempDirectory(diskDirectory(), "httpcap-write-behind");
        try
        {
            final long open;
            try (FileSink sink = new FileSink(dir.resolve("events.ndjson"), EventFormat.JSON, 1 << 20, 1, 64 * 1024, "x", true))
            {
                writeEvents(sink, 1 << 10);
                open = openDescriptors();
                writeEvents(sink, 20 << 10);
                assertTrue(sink.rotations() >= 20, "rotations " + sink.rotations());
                assertEquals(open, openDescriptors(), "descriptors open before and after 20 rotations");
            }
        }
        finally
        {
            try (var files = Files.list(dir))
            {
                for (final Path p : files.toList())
                {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    private static long openDescriptors() throws IOException
    {
        try (var fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.count();
        }
    }

    @Test
    void shouldLoseNothingOnTmpfs() throws Throwable
    {
        final Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && "tmpfs".equals(Files.getFileStore(shm).type()), "no tmpfs at /dev/shm");
        assumeTrue(Files.getFileStore(shm).getUsableSpace() > 2 * FILE_BYTES, "/dev/shm too small");
        file = fileOn(shm);
        final long events = writeEvents(file, true);
        assertEquals(FILE_BYTES, Files.size(file));
        assertEventsIntact(file, events);
    }

    @Test
    void shouldLeaveAnythingButARegularFileAlone() throws Exception
    {
        assertEquals(null, WriteBehind.open(Path.of("/dev/null"), 0));
        final Path fifo = Path.of(System.getProperty("java.io.tmpdir"), "httpcap-write-behind-" + ProcessHandle.current().pid());
        try
        {
            assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "no mkfifo");
            assertEquals(null, WriteBehind.open(fifo, 0), "a FIFO is left alone, and opening it does not wait for a reader");
        }
        finally
        {
            Files.deleteIfExists(fifo);
        }
    }

    /**
     * A directory on a file system whose page cache the sink's calls reach (not tmpfs, whose pages are
     * the file, nor overlayfs, where the pages are the layer's below and dropping them is best effort):
     * the temp dir, or /var/tmp.
     */
    private static Path diskDirectory() throws IOException
    {
        for (final Path dir : new Path[] {Path.of(System.getProperty("java.io.tmpdir")), Path.of("/var/tmp")})
        {
            final String type = Files.isDirectory(dir) ? Files.getFileStore(dir).type() : "tmpfs";
            if (!"tmpfs".equals(type) && !"overlay".equals(type))
            {
                return dir;
            }
        }
        return Assumptions.abort("no directory off tmpfs and overlayfs to write to");
    }

    private static Path fileOn(final Path dir) throws IOException
    {
        return Files.createTempFile(dir, "httpcap-write-behind", ".ndjson");
    }

    private long writeEvents(final Path path, final boolean dropCache) throws IOException
    {
        try (FileSink sink = new FileSink(path, EventFormat.JSON, 0, 0, 64 * 1024, "file:" + path, dropCache))
        {
            final long events = writeEvents(sink);
            assertEquals(dropCache, sink.droppedFromCache() > 0, "dropped " + sink.droppedFromCache());
            return events;
        }
    }

    /** {@link #FILE_BYTES} of events of {@link #EVENT_LENGTH} bytes with the newline, numbered in their first 12 bytes. */
    private long writeEvents(final FileSink sink)
    {
        return writeEvents(sink, FILE_BYTES / EVENT_LENGTH);
    }

    private long writeEvents(final FileSink sink, final long events)
    {
        final long writtenBefore = sink.eventsWritten();
        final byte[] body = new byte[EVENT_LENGTH - 1];
        Arrays.fill(body, (byte)'x');
        for (long seq = 0; seq < events; seq++)
        {
            final byte[] number = String.format("%012d", seq).getBytes();
            System.arraycopy(number, 0, body, 0, number.length);
            buffer.putBytes(0, body);
            sink.onEvent(buffer, 0, body.length);
        }
        sink.flush();
        assertEquals(events, sink.eventsWritten() - writtenBefore);
        assertEquals(0, sink.eventsFailed());
        return events;
    }

    private static void assertEventsIntact(final Path path, final long events) throws IOException
    {
        final byte[] line = new byte[EVENT_LENGTH];
        try (InputStream in = Files.newInputStream(path))
        {
            for (long seq = 0; seq < events; seq++)
            {
                assertEquals(EVENT_LENGTH, in.readNBytes(line, 0, EVENT_LENGTH), "event " + seq);
                assertEquals(String.format("%012d", seq), new String(line, 0, 12), "event " + seq);
                assertEquals('\n', line[EVENT_LENGTH - 1], "event " + seq);
            }
            assertEquals(-1, in.read());
        }
    }

    /** @return bytes of [offset, offset + length) of the file in the page cache (whole pages). */
    private static long residentBytes(final Path path, final long offset, final long length) throws Throwable
    {
        try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, offset, length, arena);
            final long pages = (length + PAGE - 1) / PAGE;
            final MemorySegment vector = arena.allocate(pages);
            assertEquals(0, (int)MINCORE.invokeExact(mapping, length, vector));
            long resident = 0;
            for (long i = 0; i < pages; i++)
            {
                resident += vector.get(ValueLayout.JAVA_BYTE, i) & 1;
            }
            return resident * PAGE;
        }
    }
}
