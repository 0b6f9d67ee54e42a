package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server scrapes a live httpcap every second while curl fetches from a web
 * server on loopback: what Prometheus stored equals httpcap's final report, and promtool accepts
 * the endpoint's output. /healthz and /readyz answer as documented.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MetricsIT
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int REQUESTS = 40;

    @Test
    void prometheusScrapesTheSameCountsAsTheFinalReport(@TempDir final Path dir) throws Exception
    {
        ItSupport.requireRoot();
        ItSupport.requireTools("prometheus", "promtool", "curl", "python3");
        final int webPort = ItSupport.freePort();
        final int metricsPort = ItSupport.freePort();
        final int prometheusPort = ItSupport.freePort();
        Files.writeString(dir.resolve("index.html"), "<html>" + "x".repeat(2000) + "</html>\n");

        final List<Process> processes = new ArrayList<>();
        try
        {
            final Process web = new ProcessBuilder("python3", "-m", "http.server", "--bind", "127.0.0.1",
                Integer.toString(webPort)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("web.log").toFile()).start();
            processes.add(web);
            final Path events = dir.resolve("events.ndjson");
            final Path httpcapErr = dir.resolve("httpcap.stderr");
            final Process httpcap = ItSupport.httpcapProcess("live",
                "--interface", "lo", "--filter", "tcp port " + webPort, "--http-ports", Integer.toString(webPort),
                "--sink", "file:" + events, "--metrics-listen", "127.0.0.1:" + metricsPort, "--stats-interval", "1")
                .redirectError(httpcapErr.toFile()).redirectOutput(dir.resolve("httpcap.stdout").toFile())
                .start();
            processes.add(httpcap);
            httpcap.getOutputStream().close();
            final String metricsUrl = "http://127.0.0.1:" + metricsPort;
            waitFor(() -> get(metricsUrl + "/readyz").statusCode() == 200, "httpcap ready", httpcapErr);
            final HttpResponse<String> healthz = get(metricsUrl + "/healthz");
            assertEquals(200, healthz.statusCode());
            assertTrue(healthz.body().contains("\"alive\""), healthz.body());

            final Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: httpcap
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(metricsPort));
            final Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            processes.add(prometheus);
            final String api = "http://127.0.0.1:" + prometheusPort + "/api/v1/query?query=";
            waitFor(() -> query(api, "up{job=\"httpcap\"}") == 1, "Prometheus scraping httpcap", dir.resolve("prometheus.log"));

            for (int i = 0; i < REQUESTS; i++)
            {
                final ItSupport.Result curl = ItSupport.run("curl-" + i, List.of("curl", "-s", "-o", "/dev/null",
                    "http://127.0.0.1:" + webPort + "/index.html?i=" + i), null, dir, Duration.ofSeconds(30), Map.of());
                assertEquals(0, curl.exitCode(), curl::describe);
            }
            // Every transaction scraped, then two more scrapes with nothing moving.
            waitFor(() -> query(api, "sum(httpcap_http_transactions_total)") == REQUESTS, "transactions scraped", httpcapErr);
            final double packetsSeen = query(api, "sum(httpcap_packets_read_total)");
            final String lastScrape = "max(timestamp(up{job=\"httpcap\"}))";
            final double seenAt = query(api, lastScrape);
            waitFor(() -> query(api, lastScrape) >= seenAt + 2, "two more scrapes", dir.resolve("prometheus.log"));
            assertEquals(packetsSeen, query(api, "sum(httpcap_packets_read_total)"), "packets moved after the traffic ended");

            final String exposition = get(metricsUrl + "/metrics").body();
            Files.writeString(dir.resolve("metrics.txt"), exposition);
            final ItSupport.Result promtool = ItSupport.run("promtool", List.of("sh", "-c",
                "promtool check metrics < " + dir.resolve("metrics.txt")), null, dir, Duration.ofSeconds(30), Map.of());
            assertEquals(0, promtool.exitCode(), promtool::describe);
            assertTrue(exposition.contains("httpcap_capture_to_written_latency_seconds_bucket"), exposition);
            assertTrue(get(metricsUrl + "/metrics").headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));

            final long scrapedPackets = (long)query(api, "sum(httpcap_packets_read_total)");
            final long scrapedDrops = (long)query(api, "sum(httpcap_packets_dropped_total)");
            final long scrapedEvents = (long)query(api, "sum(httpcap_events_emitted_total)");
            final long scrapedEventDrops = (long)query(api, "sum(httpcap_events_dropped_total)");
            final long scrapedWritten = (long)query(api, "sum(httpcap_sink_events_written_total)");
            final long scrapedKernel = (long)query(api, "sum(httpcap_kernel_packets_total)");
            final long scrapedKernelDrops = (long)query(api, "sum(httpcap_kernel_drops_total)");
            final long scrapedFlows = (long)query(api, "sum(httpcap_flows_ended_total) + sum(httpcap_flows_active)");

            httpcap.destroy(); // SIGTERM: drain and report
            assertTrue(httpcap.waitFor(60, TimeUnit.SECONDS), "httpcap did not stop");
            final String stderr = Files.readString(httpcapErr);
            final FinalReport report = FinalReport.parse(stderr);
            assertEquals(report.read(), scrapedPackets, stderr);
            assertEquals(report.dropped(), scrapedDrops, stderr);
            assertEquals(report.eventsWritten(), scrapedWritten, stderr);
            assertEquals(report.eventsWritten() + report.eventsDropped(), scrapedEvents + scrapedEventDrops, stderr);
            assertEquals(REQUESTS, scrapedEvents);
            final Matcher kernel = Pattern.compile("kernel: (\\d+) packets captured, (\\d+) dropped").matcher(stderr);
            assertTrue(kernel.find(), stderr);
            assertEquals(Long.parseLong(kernel.group(1)), scrapedKernel, stderr);
            assertEquals(Long.parseLong(kernel.group(2)), scrapedKernelDrops, stderr);
            // Every connection is held or ended, as the report's flows line counts them at the end.
            assertEquals(REQUESTS, scrapedFlows);
            assertEquals(REQUESTS, report.flowReasons().values().stream().mapToLong(Long::longValue).sum(), stderr);
        }
        finally
        {
            for (final Process p : processes)
            {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS))
                {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static double query(final String api, final String promql) throws IOException, InterruptedException
    {
        final HttpResponse<String> response = get(api + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        final JsonNode result = MAPPER.readTree(response.body()).at("/data/result");
        return result.isArray() && !result.isEmpty() ? result.get(0).at("/value/1").asDouble() : Double.NaN;
    }

    private static HttpResponse<String> get(final String url) throws IOException, InterruptedException
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    interface Check
    {
        boolean ok() throws Exception;
    }

    private static void waitFor(final Check check, final String what, final Path log) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            try
            {
                if (check.ok())
                {
                    return;
                }
            }
            catch (final IOException ex)
            {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for " + what + "\n" + ItSupport.tail(Files.readString(log), 30));
    }

}
