package dev.httpcap.sinks;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
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
        // What the kernel keeps is up to it (memory pressure); that nothing was dropped by httpcap
        // shows as most of the file resident right after writing it.
        final long resident = residentBytes(file, 0, FILE_BYTES);
        assertTrue(resident > FILE_BYTES / 2, "most of the file cached, but only " + resident + " bytes are");
    }

    @Test
    void shouldLoseNothingOnTmpfs() throws Throwable
    {
        final Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && "tmpfs".equals(Files.getFileStore(shm).type()), "no tmpfs at /dev/shm");
        file = fileOn(shm);
        final long events = writeEvents(file, true);
        assertEquals(FILE_BYTES, Files.size(file));
        assertEventsIntact(file, events);
    }

    @Test
    void shouldLeaveAnythingButARegularFileAlone()
    {
        assertEquals(null, WriteBehind.open(Path.of("/dev/null"), 0));
    }

    /** A directory on a file system with a page cache to leave: the temp dir, or /var/tmp when that is tmpfs. */
    private static Path diskDirectory() throws IOException
    {
        for (final Path dir : new Path[] {Path.of(System.getProperty("java.io.tmpdir")), Path.of("/var/tmp")})
        {
            if (Files.isDirectory(dir) && !"tmpfs".equals(Files.getFileStore(dir).type()))
            {
                return dir;
            }
        }
        assumeTrue(false, "no directory off tmpfs to write to");
        return null;
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
        final long events = FILE_BYTES / EVENT_LENGTH;
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
        assertEquals(events, sink.eventsWritten());
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
