package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -HUP} on a running {@code httpcap live --config FILE}, as logrotate and
 * {@code systemctl reload} send it: the file sink starts a new file where the old one was moved
 * away, and the reloadable keys of the file (headers, redact-headers, stats-interval) apply to the
 * next request without a restart; a key that needs a restart is named, and a broken file changes
 * nothing. Real traffic: curl against Python's http.server on loopback, captured with AF_PACKET.
 */
class ReloadOnHangupIT
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path events;
    private Path stderr;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldReopenFileSinksAndApplyTheReloadableKeysOnSighup() throws Exception
    {
        ItSupport.requireRoot();
        ItSupport.requireTools("curl", "python3");
        final int port;
        try (ServerSocket probe = new ServerSocket(0))
        {
            port = probe.getLocalPort();
        }
        events = dir.resolve("events.ndjson");
        stderr = dir.resolve("httpcap.stderr");
        final Path config = dir.resolve("httpcap.yaml");
        final String common = "interface: lo\nfilter: tcp port " + port + "\nsink: [\"file:" + events + "\"]\n";
        Files.writeString(config, common + "headers: host\nstats-interval: 0\n");

        final Process server = new ProcessBuilder("python3", "-m", "http.server", Integer.toString(port), "--bind", "127.0.0.1")
            .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
        final ProcessBuilder builder = new ProcessBuilder(ItSupport.repoRoot().resolve("bin/httpcap").toString(),
            "live", "--config", config.toString())
            .directory(dir.toFile())
            .redirectOutput(dir.resolve("httpcap.stdout").toFile())
            .redirectError(stderr.toFile());
        builder.environment().put("HTTPCAP_NO_BUILD", "1");
        final Process httpcap = builder.start();
        try
        {
            await(() -> stderrText().contains("httpcap: capturing on lo"), "httpcap to start capturing");
            await(() -> curl(port) == 0, "the server to answer");
            await(() -> lines(events) == 1, "the first event");

            // logrotate: move the file away, then SIGHUP; the config now keeps more and redacts x-api-key.
            Files.move(events, dir.resolve("events.ndjson.1"));
            Files.writeString(config, common + "headers: host,user-agent,x-api-key\nredact-headers: x-api-key\n" +
                "stats-interval: 1\nworkers: 3\n");
            hangup(httpcap);
            await(() -> stderrText().contains("read again"), "the reload");
            final String reloaded = stderrText();
            assertTrue(reloaded.contains("httpcap: SIGHUP: 1 file sink(s) reopened; " + config + " read again: " +
                "headers host,user-agent,x-api-key, redacted: the credentials and x-api-key, statistics every 1 s; " +
                "changed, but applied only by a restart: workers"), reloaded);
            assertFalse(reloaded.contains("stats:"), "no statistics line before the reload (stats-interval 0)\n" + reloaded);

            assertEquals(0, curl(port));
            await(() -> lines(events) == 1, "the second event, in a new file");
            await(() -> stderrText().contains("stats:"), "a statistics line every second after the reload");

            // A broken file: nothing changes.
            Files.writeString(config, common + "headers: all\nstats-interval: soon\n");
            hangup(httpcap);
            await(() -> stderrText().contains("not applied"), "the failed reload");
            assertTrue(stderrText().contains(config + " not applied, nothing else changed: " + config +
                ":5: key 'stats-interval': 'soon' is not a number"), stderrText());
            assertEquals(0, curl(port));
            await(() -> lines(events) == 2, "the third event");

            httpcap.toHandle().destroy();
            assertTrue(httpcap.waitFor(60, TimeUnit.SECONDS), "httpcap did not stop on SIGTERM");
            assertEquals(0, httpcap.exitValue(), stderrText());
        }
        finally
        {
            httpcap.destroyForcibly();
            server.destroyForcibly();
        }

        final List<String> before = Files.readAllLines(dir.resolve("events.ndjson.1"));
        final List<String> after = Files.readAllLines(events);
        assertEquals(1, before.size(), before::toString);
        assertEquals(2, after.size(), after::toString);
        assertEquals("{\"host\":\"127.0.0.1:" + port + "\"}", headers(before.get(0)).toString());
        for (final String line : after)
        {
            final JsonNode headers = headers(line);
            assertEquals(List.of("host", "user-agent", "x-api-key"), iterable(headers));
            assertEquals("[redacted]", headers.get("x-api-key").asText());
            assertTrue(headers.get("user-agent").asText().startsWith("curl/"), line);
        }
        for (final Path file : List.of(events, dir.resolve("events.ndjson.1")))
        {
            assertFalse(Files.readString(file).contains("s3cret"), file + " holds the key");
        }
        assertTrue(stderrText().contains("events: 3 written, 0 dropped"), stderrText());
    }

    private static JsonNode headers(final String event) throws IOException
    {
        return JSON.readTree(event).at("/http/request/headers");
    }

    private static List<String> iterable(final JsonNode object)
    {
        final List<String> names = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static void hangup(final Process process) throws IOException, InterruptedException
    {
        // The JVM's pid (bin/httpcap execs java).
        assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start().waitFor());
    }

    private int curl(final int port)
    {
        try
        {
            return new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-H", "X-Api-Key: s3cret",
                "http://127.0.0.1:" + port + "/").inheritIO().start().waitFor();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private String stderrText()
    {
        try
        {
            return Files.readString(stderr);
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    private static long lines(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("timed out waiting for " + what + "\n" + stderrText());
            }
            Thread.sleep(100);
        }
    }
}
