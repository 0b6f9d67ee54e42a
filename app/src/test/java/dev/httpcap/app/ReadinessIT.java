package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * /readyz against a real Kafka broker: ready while the broker takes the events, not ready once the
 * broker is gone and the spill passes its threshold, ready again when the broker is back. httpcap
 * reads a capture from a pipe that the test keeps open, so that it captures all along.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReadinessIT
{
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @Test
    void readyzFollowsTheBrokers(@TempDir final Path dir) throws Exception
    {
        final int metricsPort;
        try (ServerSocket socket = new ServerSocket(0))
        {
            metricsPort = socket.getLocalPort();
        }
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka")))
        {
            broker.createTopic("ready-test", 1);
            final Path stderr = dir.resolve("httpcap.stderr");
            final Process httpcap = new ProcessBuilder(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "read", "-",
                "--sink", "kafka://" + broker.bootstrap() + "/ready-test?unready-spill-mb=0&spill-dir=" + dir.resolve("spill"),
                "--metrics-listen", "127.0.0.1:" + metricsPort, "--progress", "never")
                .redirectError(stderr.toFile()).redirectOutput(dir.resolve("httpcap.stdout").toFile()).start();
            final String url = "http://127.0.0.1:" + metricsPort;
            try (OutputStream pipe = httpcap.getOutputStream())
            {
                final byte[] first = connections(5);
                pipe.write(first);
                pipe.flush();
                waitFor(url, 200, "\"ready\"", stderr);
                waitForAcknowledged(url, 5, stderr);

                broker.kill();
                final byte[] more = connections(20);
                pipe.write(Arrays.copyOfRange(more, 24, more.length)); // records only: the header was sent
                pipe.flush();
                final String notReady = waitFor(url, 503, "brokers " + broker.bootstrap() + " away", stderr);
                assertTrue(notReady.contains("\"not ready\""), notReady);
                assertTrue(get(url + "/metrics").body().contains("httpcap_sink_spilled_total{sink=\"kafka://"), "sink counters");

                broker.restart();
                waitFor(url, 200, "\"ready\"", stderr);
                waitForAcknowledged(url, 25, stderr);
                assertEquals(200, get(url + "/healthz").statusCode());
            }
            assertTrue(httpcap.waitFor(90, TimeUnit.SECONDS), "httpcap did not end with its input");
            final String report = Files.readString(stderr);
            assertEquals(0, httpcap.exitValue(), report);
            assertTrue(report.contains("25 delivered"), report);
        }
    }

    private static byte[] connections(final int count) throws IOException
    {
        final TestPcap pcap = new TestPcap();
        for (int i = 0; i < count; i++)
        {
            pcap.connection(80, "GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n", OK);
        }
        final Path file = Files.createTempFile("readiness", ".pcap");
        try
        {
            pcap.write(file);
            return Files.readAllBytes(file);
        }
        finally
        {
            Files.delete(file);
        }
    }

    private static HttpResponse<String> get(final String url) throws IOException, InterruptedException
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static void waitForAcknowledged(final String url, final long events, final Path log) throws Exception
    {
        final Pattern acknowledged = Pattern.compile("(?m)^httpcap_sink_acknowledged_total\\{[^}]*\\} (\\S+)$");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String last = "";
        while (System.nanoTime() < deadline)
        {
            final Matcher m = acknowledged.matcher(get(url + "/metrics").body());
            if (m.find())
            {
                last = m.group(1);
                if ((long)Double.parseDouble(last) == events)
                {
                    return;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the brokers never acknowledged " + events + " events; last: " + last + "\n" +
            ItSupport.tail(Files.readString(log), 30));
    }

    /** @return the /readyz body once it answers {@code status} with {@code text} in it. */
    private static String waitFor(final String url, final int status, final String text, final Path log) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String last = "";
        while (System.nanoTime() < deadline)
        {
            try
            {
                final HttpResponse<String> response = get(url + "/readyz");
                last = response.statusCode() + " " + response.body();
                if (response.statusCode() == status && response.body().contains(text))
                {
                    return response.body();
                }
            }
            catch (final IOException ex)
            {
                last = ex.toString(); // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("/readyz never answered " + status + " with '" + text + "'; last: " + last + "\n" +
            ItSupport.tail(Files.readString(log), 30));
    }
}
