package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code live --user nobody}, looked at from outside through /proc while it captures: every thread
 * runs as nobody with no capabilities and no_new_privs; the threads httpcap starts after giving up
 * root (capture, workers, sink, statistics) have an empty capability bounding set.
 */
class PrivilegeDropIT
{
    @TempDir
    Path dir;

    private static String field(final String status, final String name)
    {
        return status.lines().filter(line -> line.startsWith(name + ":")).map(line -> line.substring(name.length() + 1).strip())
            .findFirst().orElse("?");
    }

    private static String read(final Path file) throws IOException
    {
        try (InputStream in = Files.newInputStream(file))
        {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldLeaveNoWayBackToPrivilegeAfterUser() throws Exception
    {
        ItSupport.requireRoot();
        final Path stderr = dir.resolve("stderr");
        final ProcessBuilder builder = new ProcessBuilder(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "live", "-i", "lo",
            "--user", "nobody", "--duration", "30", "--stats-interval", "1", "--sink", "file:" + dir.resolve("events.ndjson"))
            .directory(dir.toFile()).redirectError(stderr.toFile()).redirectOutput(dir.resolve("stdout").toFile());
        builder.environment().put("HTTPCAP_NO_BUILD", "1");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        final Process process = builder.start();
        final List<String> threads = new ArrayList<>();
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(stderr).contains("stats:"))
            {
                if (System.nanoTime() > deadline || !process.isAlive())
                {
                    fail("httpcap did not start capturing\n" + Files.readString(stderr));
                }
                Thread.sleep(100);
            }
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task")))
            {
                for (final Path task : tasks.toList())
                {
                    final String status = read(task.resolve("status"));
                    final String name = field(status, "Name");
                    threads.add(name);
                    assertEquals("65534\t65534\t65534\t65534", field(status, "Uid"), name);
                    assertEquals("0000000000000000", field(status, "CapEff"), name);
                    assertEquals("0000000000000000", field(status, "CapPrm"), name);
                    assertEquals("1", field(status, "NoNewPrivs"), name);
                    if (name.startsWith("httpcap-"))
                    {
                        assertEquals("0000000000000000", field(status, "CapBnd"), name);
                    }
                }
            }
        }
        finally
        {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
            process.destroyForcibly();
        }
        assertTrue(threads.containsAll(List.of("httpcap-capture", "httpcap-sink", "httpcap-stats")), threads::toString);
        assertTrue(threads.stream().anyMatch(name -> name.startsWith("httpcap-worker")), threads::toString);
        assertTrue(Files.readString(stderr).contains("httpcap: running as user nobody (uid 65534, gid 65534; no capabilities, " +
            "bounding set empty, no_new_privs on every thread)"), Files.readString(stderr));
    }
}
