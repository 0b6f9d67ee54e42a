package dev.httpcap.sinks;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileSinkTest
{
    @TempDir
    Path dir;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);

    /** Event {@code seq}: its number, then padding to a length that varies with {@code seq}. */
    private static String event(final int seq, final int length)
    {
        final StringBuilder sb = new StringBuilder(length).append("{\"seq\":").append(seq).append(",\"p\":\"");
        while (sb.length() < length - 2)
        {
            sb.append('x');
        }
        return sb.append("\"}").toString();
    }

    private static int lengthOf(final int seq)
    {
        return 20 + (seq * 37) % 180;
    }

    private void offer(final EventSink sink, final String event)
    {
        final int length = buffer.putStringWithoutLengthAscii(0, event);
        sink.onEvent(buffer, 0, length);
    }

    /** @return the live file and its rotated predecessors, oldest first. */
    private static List<Path> filesOldestFirst(final Path path) throws IOException
    {
        final List<Path> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(path.getParent()))
        {
            listing.filter(p -> p.getFileName().toString().startsWith(path.getFileName() + "."))
                .sorted(Comparator.comparingInt(
                    (Path p) -> Integer.parseInt(p.getFileName().toString().substring(path.getFileName().toString().length() + 1)))
                    .reversed())
                .forEach(files::add);
        }
        if (Files.exists(path))
        {
            files.add(path);
        }
        return files;
    }

    private static List<String> lines(final List<Path> files) throws IOException
    {
        final List<String> lines = new ArrayList<>();
        for (final Path file : files)
        {
            lines.addAll(Files.readAllLines(file, StandardCharsets.US_ASCII));
        }
        return lines;
    }

    @Test
    void shouldCreateTheFileWhenOpenedButNeverItsDirectories() throws IOException
    {
        final Path path = dir.resolve("events.ndjson");
        try (FileSink sink = new FileSink(path, EventFormat.JSON, 0, 10))
        {
            assertTrue(Files.exists(path), "the file exists from open, before any event");
            offer(sink, "{}");
        }
        assertEquals("{}\n", Files.readString(path));

        final Path deep = dir.resolve("a/b/c/events.ndjson");
        final NoSuchFileException ex = assertThrows(NoSuchFileException.class, () -> new FileSink(deep, EventFormat.JSON, 0, 10));
        assertEquals(dir.resolve("a/b/c").toString(), ex.getFile());
        assertEquals("no such directory (httpcap does not create directories)", ex.getReason());
        assertFalse(Files.exists(dir.resolve("a")), "no directory was made");
    }

    @Test
    void shouldStartTheFileAfreshWhenReopenedAfterLogrotateMovedIt() throws IOException
    {
        final Path path = dir.resolve("events.ndjson");
        final Path moved = dir.resolve("events.ndjson-20261206");
        try (FileSink sink = new FileSink(path, EventFormat.JSON, 0, 10))
        {
            offer(sink, "{\"n\":1}");
            sink.flush();
            Files.move(path, moved);
            offer(sink, "{\"n\":2}");
            sink.flush();
            sink.reopen();
            offer(sink, "{\"n\":3}");
            sink.flush();
            // Reopening a file that was not moved appends to it.
            sink.reopen();
            offer(sink, "{\"n\":4}");
        }
        assertEquals("{\"n\":1}\n{\"n\":2}\n", Files.readString(moved), "written before the reopen: into the moved file");
        assertEquals("{\"n\":3}\n{\"n\":4}\n", Files.readString(path));
    }

    @Test
    void shouldAppendWhenFileAlreadyExists() throws IOException
    {
        final Path path = dir.resolve("events.ndjson");
        Files.writeString(path, "{\"old\":1}\n");
        try (FileSink sink = new FileSink(path, EventFormat.JSON, 0, 10))
        {
            offer(sink, "{\"new\":2}");
        }
        assertEquals("{\"old\":1}\n{\"new\":2}\n", Files.readString(path));
    }

    @Test
    void shouldRotateWithoutSplittingOrLosingEventsWhenFileWouldExceedLimit() throws IOException
    {
        final Path path = dir.resolve("events.ndjson");
        final long rotateBytes = 1000;
        final int events = 2000;
        final FileSink sink = new FileSink(path, EventFormat.JSON, rotateBytes, FileSink.MAX_KEEP, 256, "file:" + path, true);
        for (int seq = 0; seq < events; seq++)
        {
            offer(sink, event(seq, lengthOf(seq)));
            if (seq % 7 == 6)
            {
                sink.flush();
            }
        }
        sink.close();

        final List<Path> files = filesOldestFirst(path);
        assertEquals(sink.rotations() + 1, files.size());
        assertTrue(files.size() > 100, "rotated " + sink.rotations() + " times");

        for (int i = 0; i < files.size(); i++)
        {
            final byte[] content = Files.readAllBytes(files.get(i));
            assertTrue(content.length > 0 && content.length <= rotateBytes, files.get(i) + ": " + content.length);
            assertEquals('\n', content[content.length - 1], files.get(i) + " ends inside an event");
            if (i + 1 < files.size())
            {
                final String firstOfNext = Files.readAllLines(files.get(i + 1)).getFirst();
                assertTrue(content.length + firstOfNext.length() + 1 > rotateBytes, "rotated before it had to");
            }
        }

        final List<String> lines = lines(files);
        assertEquals(events, lines.size());
        for (int seq = 0; seq < events; seq++)
        {
            assertEquals(event(seq, lengthOf(seq)), lines.get(seq));
        }
        assertEquals(events, sink.eventsWritten());
        assertEquals(0, sink.eventsFailed());
    }

    @Test
    void shouldDeleteOldestFilesWhenKeepExceeded() throws IOException
    {
        final Path path = dir.resolve("events.ndjson");
        final int events = 2000;
        try (FileSink sink = new FileSink(path, EventFormat.JSON, 500, 3))
        {
            for (int seq = 0; seq < events; seq++)
            {
                offer(sink, event(seq, lengthOf(seq)));
            }
            assertTrue(sink.rotations() > 10);
        }

        final List<Path> files = filesOldestFirst(path);
        assertEquals(
            List.of(dir.resolve("events.ndjson.3"), dir.resolve("events.ndjson.2"), dir.resolve("events.ndjson.1"), path),
            files);

        final List<String> lines = lines(files);
        final int firstKept = events - lines.size();
        for (int i = 0; i < lines.size(); i++)
        {
            assertEquals(event(firstKept + i, lengthOf(firstKept + i)), lines.get(i), "the newest events, in order");
        }
    }

    @Test
    void shouldStartAfreshWhenKeepIsZero() throws IOException
    {
        final Path path = dir.resolve("events.ndjson");
        try (FileSink sink = new FileSink(path, EventFormat.TEXT, 30, 0))
        {
            offer(sink, "first line of text");
            offer(sink, "second line of text");
            assertEquals(1, sink.rotations());
        }
        assertEquals(List.of(path), filesOldestFirst(path));
        assertEquals("second line of text\n", Files.readString(path));
    }

    @Test
    void shouldGiveEventItsOwnFileWhenLargerThanRotateLimit() throws IOException
    {
        final Path path = dir.resolve("events.ndjson");
        final String large = event(1, 5000);
        try (FileSink sink = new FileSink(path, EventFormat.JSON, 100, 10, 1024, "big", true))
        {
            offer(sink, event(0, 50));
            offer(sink, large);
            offer(sink, event(2, 50));
        }

        final List<Path> files = filesOldestFirst(path);
        assertEquals(3, files.size());
        assertEquals(event(0, 50) + "\n", Files.readString(files.get(0)));
        assertEquals(large + "\n", Files.readString(files.get(1)));
        assertEquals(event(2, 50) + "\n", Files.readString(files.get(2)));
    }

    @Test
    void shouldCountRotationInExistingFileWhenAppending() throws IOException
    {
        final Path path = dir.resolve("events.ndjson");
        Files.writeString(path, "x".repeat(90) + "\n");
        try (FileSink sink = new FileSink(path, EventFormat.JSON, 100, 10))
        {
            offer(sink, "{\"fits\":\"not\"}");
        }
        assertEquals("x".repeat(90) + "\n", Files.readString(dir.resolve("events.ndjson.1")));
        assertEquals("{\"fits\":\"not\"}\n", Files.readString(path));
    }

    @Test
    void shouldThrowAtOpenWhenPathIsDirectory() throws IOException
    {
        final Path path = dir.resolve("taken");
        Files.createDirectory(path);
        assertThrows(IOException.class, () -> new FileSink(path, EventFormat.JSON, 0, 10));
    }

    @Test
    void shouldThrowAtOpenWhenParentIsFile() throws IOException
    {
        final Path file = dir.resolve("plain");
        Files.writeString(file, "");
        assertThrows(IOException.class, () -> new FileSink(file.resolve("events.ndjson"), EventFormat.JSON, 0, 10));
    }

    @Test
    void shouldCountFailedNotThrowWhenNewFileCannotBeOpenedAfterRotation() throws IOException
    {
        final Path sub = Files.createDirectory(dir.resolve("sub"));
        final Path path = sub.resolve("events.ndjson");
        final FileSink sink = new FileSink(path, EventFormat.JSON, 100, 10, 1024, "file:" + path, true);
        offer(sink, event(0, 60));
        sink.flush();

        Files.delete(path);
        Files.delete(sub);
        offer(sink, event(1, 60));
        offer(sink, event(2, 20));
        sink.flush();
        offer(sink, event(3, 20));
        sink.close();

        assertEquals(1, sink.rotations());
        assertEquals(1, sink.eventsWritten());
        assertEquals(3, sink.eventsFailed());
        assertTrue(sink.lastError().contains("events.ndjson"), sink.lastError());
        assertFalse(Files.exists(sub));
    }

    @Test
    void shouldWriteAndKeepInterruptWhenThreadInterruptedBeforeFlush() throws IOException
    {
        final Path path = dir.resolve("events.ndjson");
        try (FileSink sink = new FileSink(path, EventFormat.JSON, 0, 10))
        {
            offer(sink, "{\"before\":1}");
            Thread.currentThread().interrupt();
            sink.flush();
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
            offer(sink, "{\"after\":2}");
            sink.flush();
            assertTrue(Thread.interrupted());

            assertEquals(2, sink.eventsWritten());
            assertEquals(0, sink.eventsFailed());
        }
        assertEquals("{\"before\":1}\n{\"after\":2}\n", Files.readString(path));
    }
}
