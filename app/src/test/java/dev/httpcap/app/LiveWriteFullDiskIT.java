package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code live --write} onto a full disk ({@code /dev/full}: every write fails with ENOSPC) while curl
 * fetches from a web server on loopback: the recording stops and says why on the statistics line while
 * the capture runs, and again in the final report; the capture itself goes on, every transaction written.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LiveWriteFullDiskIT
{
    private static final int REQUESTS = 3;
    private static final String WHY = "recording stopped: /dev/full: No space left on device";

    @Test
    void shouldSayTheRecordingStoppedWhileTheCaptureGoesOn(@TempDir final Path dir) throws Exception
    {
        ItSupport.requireRoot();
        ItSupport.requireTools("curl", "python3");
        final int webPort = ItSupport.freePort();
        // 3 MiB a response: the recorder's 1 MiB buffer goes to the file during the first one.
        Files.write(dir.resolve("big.bin"), new byte[3 << 20]);
        final Path events = dir.resolve("events.ndjson");
        final Path httpcapErr = dir.resolve("httpcap.stderr");
        final Process web = new ProcessBuilder("python3", "-m", "http.server", "--bind", "127.0.0.1",
            Integer.toString(webPort)).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("web.log").toFile()).start();
        Process httpcap = null;
        try
        {
            final ProcessBuilder live = ItSupport.httpcapProcess("live",
                "--interface", "lo", "--filter", "tcp port " + webPort, "--http-ports", Integer.toString(webPort),
                "--write", "/dev/full", "--sink", "file:" + events, "--stats-interval", "0.2")
                .redirectError(httpcapErr.toFile()).redirectOutput(dir.resolve("httpcap.stdout").toFile());
            live.environment().put("LC_ALL", "C"); // strerror's text in English
            httpcap = live.start();
            httpcap.getOutputStream().close();
            ItSupport.awaitLine(httpcapErr, "httpcap: capturing on lo");
            for (int i = 0; i < REQUESTS; i++)
            {
                final ItSupport.Result curl = ItSupport.run("curl-" + i, List.of("curl", "-sf", "--noproxy", "*", "-o", "/dev/null",
                    "--retry", "20", "--retry-connrefused", "--retry-delay", "0",
                    "http://127.0.0.1:" + webPort + "/big.bin?i=" + i), null, dir, Duration.ofSeconds(30), Map.of());
                assertEquals(0, curl.exitCode(), curl::describe);
            }
            // While it runs: the statistics line carries it, as a sink's trouble.
            final String line = ItSupport.awaitLine(httpcapErr, ", write: " + WHY);
            assertTrue(line.startsWith("stats: "), line);

            httpcap.destroy(); // SIGTERM: drain and report
            assertTrue(httpcap.waitFor(60, TimeUnit.SECONDS), "httpcap did not stop");
            final String stderr = Files.readString(httpcapErr);
            assertEquals(0, httpcap.exitValue(), stderr);
            assertTrue(stderr.lines().anyMatch(l -> l.matches("write: \\d+ packets in 1 file\\(s\\); " + WHY)), stderr);
            final FinalReport report = FinalReport.parse(stderr);
            assertEquals(0L, report.dropped(), stderr);
            assertEquals(0L, report.eventsDropped(), stderr);
            // The capture went on: every fetch is an event, the ones after the recording stopped too.
            assertEquals(REQUESTS, Files.readAllLines(events).stream()
                .filter(event -> event.contains("\"/big.bin?i=")).count(), stderr);
        }
        finally
        {
            for (final Process p : new Process[] {httpcap, web})
            {
                if (p != null)
                {
                    p.destroy();
                    if (!p.waitFor(10, TimeUnit.SECONDS))
                    {
                        p.destroyForcibly();
                    }
                }
            }
        }
    }
}
