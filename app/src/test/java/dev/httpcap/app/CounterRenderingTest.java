package dev.httpcap.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.ForwardingPacketSource;
import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.pipeline.PipelineReport;
import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.NullSink;

/** A counter is added in one place, the registry, and shows in the final report, the statistics line and /metrics. */
class CounterRenderingTest
{
    @TempDir
    Path dir;

    @Test
    void shouldShowACounterRegisteredOnceInTheReportTheStatsLineAndTheMetrics() throws Exception
    {
        final Path pcap = dir.resolve("one.pcap");
        new TestPcap().connection(80, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .write(pcap);
        final Pipeline pipeline = new Pipeline(new PipelineConfig(), List.of(new NullSink(EventFormat.JSON)));
        final AtomicLong lost = new AtomicLong(7);
        // The one place: nothing below names the counter but the assertions.
        pipeline.counters().anomaly("test_widgets_lost", "widgets a test lost", "worker").add(lost::get, "0");

        // The file, kept running after its end until the statistics line and a scrape have been seen.
        final CountDownLatch release = new CountDownLatch(1);
        final PacketSource held = new ForwardingPacketSource(CaptureFiles.open(pcap.toString()))
        {
            @Override
            public int poll(final PacketHandler handler, final int limit)
            {
                return source.poll(handler, limit);
            }

            @Override
            public boolean isDone()
            {
                return source.isDone() && release.getCount() == 0;
            }
        };
        final ByteArrayOutputStream stats = new ByteArrayOutputStream();
        final AtomicBoolean done = new AtomicBoolean();
        final StatsPrinter printer = new StatsPrinter(new PrintStream(stats, true, UTF_8), pipeline, List.of(), () -> null, 20_000_000L,
            done);
        final Thread statsThread = new Thread(printer, "test-stats");
        statsThread.start();
        final FutureTask<PipelineReport> run = new FutureTask<>(() -> pipeline.run(held));
        new Thread(run, "test-pipeline").start();
        final String scrape;
        try (MetricsEndpoint metrics = MetricsEndpoint.start("127.0.0.1:0", pipeline, List::of))
        {
            final long deadline = System.nanoTime() + 20_000_000_000L;
            while (!stats.toString(UTF_8).contains("anomalies:") && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            scrape = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        }
        finally
        {
            release.countDown();
        }
        final PipelineReport report = run.get(30, SECONDS);
        done.set(true);
        statsThread.join(5_000);

        assertTrue(stats.toString(UTF_8).contains(", anomalies: test_widgets_lost +7 (7)"), stats.toString(UTF_8));
        assertTrue(scrape.contains("httpcap_test_widgets_lost_total{worker=\"0\"} 7"), scrape);
        assertTrue(report.lines().contains("counters: test_widgets_lost=7"), String.join("\n", report.lines()));
        // The pipeline's own counters still have their lines, and are not repeated on the line of others.
        assertTrue(report.lines().contains("events: 1 written, 0 dropped"), String.join("\n", report.lines()));
    }
}
