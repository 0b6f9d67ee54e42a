package dev.httpcap.sinks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SinkSpecsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldOpenTextStdoutWhenSpecIsStdout()
    {
        try (EventSink sink = SinkSpecs.open("stdout"))
        {
            assertInstanceOf(StdoutSink.class, sink);
            assertEquals(EventFormat.TEXT, sink.format());
            assertEquals("stdout", sink.name());
        }
    }

    @Test
    void shouldOpenJsonStdoutWhenSpecIsStdoutJson()
    {
        try (EventSink sink = SinkSpecs.open("stdout:json"))
        {
            assertInstanceOf(StdoutSink.class, sink);
            assertEquals(EventFormat.JSON, sink.format());
            assertEquals("stdout:json", sink.name());
        }
    }

    @Test
    void shouldOpenJsonFileWithDefaultsWhenNoOptions()
    {
        final Path path = dir.resolve("events.ndjson");
        final String spec = "file:" + path;
        try (EventSink sink = SinkSpecs.open(spec))
        {
            final FileSink file = assertInstanceOf(FileSink.class, sink);
            assertEquals(EventFormat.JSON, file.format());
            assertEquals(spec, file.name());
            assertEquals(path, file.path());
            assertEquals(0, file.rotateBytes());
            assertEquals(FileSink.DEFAULT_KEEP, file.keep());
        }
        assertTrue(Files.exists(path));
    }

    @Test
    void shouldApplyOptionsWhenGiven()
    {
        final Path path = dir.resolve("events.log");
        try (EventSink sink = SinkSpecs.open("file:" + path + "?rotate-mb=5&keep=3&format=text"))
        {
            final FileSink file = assertInstanceOf(FileSink.class, sink);
            assertEquals(EventFormat.TEXT, file.format());
            assertEquals(5L * 1024 * 1024, file.rotateBytes());
            assertEquals(3, file.keep());
            assertFalse(file.dropsCache(), "the page cache is left to the kernel unless the caller says otherwise");
        }
        try (EventSink sink = SinkSpecs.open("file:" + path + "?format=json&keep=0&cache=drop"))
        {
            final FileSink file = assertInstanceOf(FileSink.class, sink);
            assertEquals(EventFormat.JSON, file.format());
            assertEquals(0, file.keep());
            assertTrue(file.dropsCache());
        }
    }

    @Test
    void shouldDropTheFileCacheByDefaultOnlyWhenTheCallerSaysSoAndTheSpecDoesNotSayOtherwise()
    {
        final Path path = dir.resolve("events.ndjson");
        final KafkaSinkConfig kafka = new KafkaSinkConfig();
        for (final String query : new String[] {"", "?cache=keep", "?cache=drop"})
        {
            for (final boolean byDefault : new boolean[] {false, true})
            {
                try (EventSink sink = SinkSpecs.open("file:" + path + query, kafka, line -> { }, byDefault))
                {
                    final boolean expected = query.isEmpty() ? byDefault : query.endsWith("drop");
                    assertEquals(expected, assertInstanceOf(FileSink.class, sink).dropsCache(), query + " " + byDefault);
                }
            }
        }
    }

    @Test
    void shouldSayWhatIsAcceptedWhenSinkUnknown()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> SinkSpecs.open("kafak://x"));
        assertEquals(
            "unknown sink 'kafak://x': expected stdout, stdout:json, file:PATH[?rotate-mb=N&keep=K&format=json|text&cache=drop|keep] " +
                "or kafka://HOST:PORT[,HOST:PORT]/TOPIC[?key=...&acks=...]",
            ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", " ", "STDOUT", "stdout:", "stdout:xml", "stdout:json ", "file", "file:", "file:?keep=1",
        "file:x.ndjson?", "file:x.ndjson?keep", "file:x.ndjson?keep=", "file:x.ndjson?keep=-1",
        "file:x.ndjson?keep=1001", "file:x.ndjson?keep=two", "file:x.ndjson?rotate-mb=1.5",
        "file:x.ndjson?rotate-mb=99999999999999999999", "file:x.ndjson?rotate-mb=9007199254740992",
        "file:x.ndjson?format=xml", "file:x.ndjson?format=JSON", "file:x.ndjson?colour=red",
        "file:x.ndjson?cache=none", "file:x.ndjson?cache=keep&cache=drop",
        "file:x.ndjson?keep=1&keep=2", "file:x.ndjson?keep=1&", "file:x.ndjson?keep=1?rotate-mb=1",
        "file:x\0y.ndjson"})
    void shouldRejectWithOneLineMessageWhenSpecInvalid(final String spec)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SinkSpecs.open(spec));
        final String message = ex.getMessage();
        assertFalse(message.contains("\n"), message);
        assertTrue(message.contains("expected " + SinkSpecs.ACCEPTED) || message.contains("file options are"), message);
        assertFalse(Files.exists(Path.of("x.ndjson")), "nothing is created for a bad spec");
    }

    @Test
    void shouldRejectAtOpenWhenFileUnwritable() throws IOException
    {
        final Path plain = dir.resolve("plain");
        Files.writeString(plain, "");
        final String spec = "file:" + plain.resolve("events.ndjson");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SinkSpecs.open(spec));
        assertTrue(ex.getMessage().startsWith("cannot open sink '" + spec + "': "), ex.getMessage());
        assertTrue(ex.getMessage().contains(plain.toString()), ex.getMessage());
        assertFalse(ex.getMessage().contains("\n"));
        assertInstanceOf(IOException.class, ex.getCause());

        final IllegalArgumentException dirEx =
            assertThrows(IllegalArgumentException.class, () -> SinkSpecs.open("file:" + dir));
        assertTrue(dirEx.getMessage().contains("Is a directory"), dirEx.getMessage());
    }

    @Test
    void shouldCheckASpecAsOpenWouldWithoutOpeningAnything()
    {
        final Path path = dir.resolve("never/created.ndjson");
        for (final String good : new String[] {"stdout", "stdout:json", "file:" + path + "?rotate-mb=1&keep=2&format=text",
            "kafka://127.0.0.1:9/topic?acks=1"})
        {
            SinkSpecs.check(good, new KafkaSinkConfig());
        }
        assertFalse(java.nio.file.Files.exists(dir.resolve("never")), "nothing created");
        for (final String bad : new String[] {"", "stdout:xml", "file:", "file:x?keep=lots", "file:x?rotate", "kafka://nohost/t",
            "kafka://h:1/t?acks=2"})
        {
            final IllegalArgumentException checked = assertThrows(IllegalArgumentException.class,
                () -> SinkSpecs.check(bad, new KafkaSinkConfig()), bad);
            final IllegalArgumentException opened = assertThrows(IllegalArgumentException.class,
                () -> SinkSpecs.open(bad, new KafkaSinkConfig(), line -> { }).close(), bad);
            assertEquals(opened.getMessage(), checked.getMessage(), bad);
        }
    }
}
