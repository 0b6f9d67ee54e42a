package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM while {@code bin/httpcap read -} waits on a pipe that its writer keeps open (as with
 * {@code tcpdump -w - | httpcap read -}): the capture stops at once, the open connections are
 * closed, the sinks flushed and the report printed — nothing read so far is lost.
 */
class StopOnSignalIT
{
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldDrainFlushAndReportWhenStoppedWhileWaitingOnAPipe(@TempDir final Path dir) throws Exception
    {
        final Path root = ItSupport.repoRoot();
        final Path out = dir.resolve("stdout");
        final Path err = dir.resolve("stderr");
        final ProcessBuilder builder = new ProcessBuilder(List.of(root.resolve("bin/httpcap").toString(),
            "read", "-", "--flows", "--sink", "stdout:json", "--progress", "always"))
            .directory(root.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
        builder.environment().put("HTTPCAP_NO_BUILD", "1");
        final Process process = builder.start();
        try (OutputStream pipe = process.getOutputStream())
        {
            pipe.write(Files.readAllBytes(root.resolve("samples/demo.pcap")));
            pipe.flush();

            // The progress line says when every packet has been read; the pipe stays open.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(err).contains("46 packets"))
            {
                if (System.nanoTime() > deadline || !process.isAlive())
                {
                    fail("httpcap did not read the sample from the pipe:\n" + Files.readString(err));
                }
                process.waitFor(50, TimeUnit.MILLISECONDS);
            }

            // Process.destroy() would also close our end of the pipe; the handle only sends SIGTERM.
            process.toHandle().destroy();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "httpcap did not stop after SIGTERM");
        }
        finally
        {
            process.destroyForcibly();
        }

        final String stderr = Files.readString(err);
        assertEquals(0, process.exitValue(), stderr);
        assertTrue(stderr.contains("httpcap: stopping"), stderr);
        assertTrue(stderr.contains("packets: 46 read, 46 decoded, 0 dropped"), stderr);
        assertTrue(stderr.contains("flows: 4 (fin=4 "), stderr);
        final List<String> events = Files.readAllLines(out);
        final List<String> flows = events.stream().filter(line -> line.contains("\"dataset\":\"flow\"")).toList();
        final List<String> http = events.stream().filter(line -> line.contains("\"dataset\":\"http\"")).toList();
        assertEquals(4, flows.size(), String.join("\n", events));
        assertEquals(5, http.size(), "the sample's five requests and responses\n" + String.join("\n", events));
        assertEquals(events.size(), flows.size() + http.size(), String.join("\n", events));
        flows.forEach(line -> assertTrue(line.contains("\"reason\":\"fin\""), line));
    }
}
