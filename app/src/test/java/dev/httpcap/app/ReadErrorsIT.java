package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A file httpcap cannot read ends the run with a non-zero exit and one {@code httpcap: ...} line on stderr. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ReadErrorsIT
{
    @Test
    void missingFile(@TempDir final Path dir) throws IOException, InterruptedException
    {
        expectOneLineError(dir, dir.resolve("no-such-file.pcap"));
    }

    @Test
    void textFileIsNotAPcap(@TempDir final Path dir) throws IOException, InterruptedException
    {
        final Path file = dir.resolve("notes.pcap");
        Files.writeString(file, "GET / HTTP/1.1\r\nHost: example\r\n\r\nthis is not a capture file\n".repeat(20),
            StandardCharsets.US_ASCII);
        expectOneLineError(dir, file);
    }

    @Test
    void emptyFileIsNotAPcap(@TempDir final Path dir) throws IOException, InterruptedException
    {
        final Path file = dir.resolve("empty.pcap");
        Files.createFile(file);
        expectOneLineError(dir, file);
    }

    @Test
    void unreadableFile(@TempDir final Path dir) throws IOException, InterruptedException
    {
        assumeFalse(ItSupport.isRoot(), "root reads any file; unreadable files are only testable as another user");
        final Path file = dir.resolve("secret.pcap");
        Files.copy(ItSupport.repoRoot().resolve("samples/demo.pcap"), file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        expectOneLineError(dir, file);
    }

    private static void expectOneLineError(final Path dir, final Path file) throws IOException, InterruptedException
    {
        final ItSupport.Result run = ItSupport.httpcap("httpcap", List.of("read", file.toString(), "--sink", "stdout:json"),
            null, dir, Duration.ofMinutes(1));
        assertNotEquals(0, run.exitCode(), () -> "httpcap read of " + file + " should fail\n" + run.describe());
        final List<String> lines = run.stderrText().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), () -> "expected exactly one line on stderr\n" + run.describe());
        assertTrue(lines.getFirst().startsWith("httpcap: "),
            () -> "the error line should start with 'httpcap: '\n" + run.describe());
        System.out.println("[ReadErrorsIT] " + file.getFileName() + " -> exit " + run.exitCode() + ": " + lines.getFirst());
    }
}
