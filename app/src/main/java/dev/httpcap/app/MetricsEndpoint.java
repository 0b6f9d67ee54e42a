package dev.httpcap.app;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;

import dev.httpcap.pipeline.CounterRegistry;
import dev.httpcap.pipeline.Pipeline;

/**
 * {@code --metrics-listen}: {@code /metrics} in the Prometheus text format (OpenMetrics when the
 * scraper asks for it), rendered by the official client from the pipeline's
 * {@link CounterRegistry} at each scrape — the same counters the report prints, read in place —
 * plus the capture-to-written latency as a histogram; {@code /healthz} (the process answers) and
 * {@code /readyz} (capturing, and every sink able to take events), each a status code and a short
 * JSON body. Served by the JDK's HTTP server on one daemon thread: nothing on the capture path.
 */
final class MetricsEndpoint implements AutoCloseable
{
    /** Histogram bounds of the latency, in seconds: 100 µs to 60 s. */
    private static final double[] LATENCY_BOUNDS_SECONDS = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsEndpoint(final HttpServer server, final ExecutorService executor)
    {
        this.server = server;
        this.executor = executor;
    }

    /**
     * @param listen    {@code HOST:PORT} ({@code [::1]:9100} for IPv6; port 0 for any free one).
     * @param readiness why the service is not ready, or an empty list when it is.
     * @throws IOException when the address cannot be bound.
     */
    static MetricsEndpoint start(final String listen, final Pipeline pipeline, final Supplier<List<String>> readiness)
        throws IOException
    {
        final InetSocketAddress address = parse(listen);
        final PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new RegistryCollector(pipeline));
        final HttpServer server = HttpServer.create(address, 16);
        final ExecutorService executor = Executors.newSingleThreadExecutor(r ->
        {
            final Thread thread = new Thread(r, "httpcap-metrics");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", new MetricsHandler(PrometheusProperties.get(), registry));
        server.createContext("/healthz", exchange -> respond(exchange, 200, "{\"status\":\"alive\"}"));
        server.createContext("/readyz", exchange ->
        {
            final List<String> reasons = readiness.get();
            final StringBuilder body = new StringBuilder(reasons.isEmpty() ? "{\"status\":\"ready\"" : "{\"status\":\"not ready\"");
            body.append(",\"reasons\":[");
            for (int i = 0; i < reasons.size(); i++)
            {
                body.append(i == 0 ? "" : ",").append('"').append(jsonEscape(reasons.get(i))).append('"');
            }
            respond(exchange, reasons.isEmpty() ? 200 : 503, body.append("]}").toString());
        });
        server.start();
        return new MetricsEndpoint(server, executor);
    }

    /** @return the port it listens on (the one chosen, with port 0). */
    int port()
    {
        return server.getAddress().getPort();
    }

    @Override
    public void close()
    {
        server.stop(0);
        executor.shutdownNow();
    }

    static InetSocketAddress parse(final String listen)
    {
        final int colon = listen.lastIndexOf(':');
        if (colon < 0)
        {
            throw new IllegalArgumentException("--metrics-listen wants HOST:PORT, e.g. 127.0.0.1:9100, not '" + listen + "'");
        }
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try
        {
            port = Integer.parseInt(listen.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--metrics-listen: '" + listen.substring(colon + 1) + "' is not a port");
        }
        if (port < 0 || port > 65_535)
        {
            throw new IllegalArgumentException("--metrics-listen: port " + port + " is outside 0..65535");
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    private static void respond(final HttpExchange exchange, final int status, final String json) throws IOException
    {
        final byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(body);
        }
    }

    private static String jsonEscape(final String s)
    {
        final StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\')
            {
                out.append('\\').append(c);
            }
            else if (c < 0x20)
            {
                out.append(String.format("\\u%04x", (int)c));
            }
            else
            {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The pipeline's registry, as the Prometheus client's snapshots, made at each scrape. */
    private static final class RegistryCollector implements MultiCollector
    {
        private final Pipeline pipeline;
        private final long[] boundsNanos = new long[LATENCY_BOUNDS_SECONDS.length];

        RegistryCollector(final Pipeline pipeline)
        {
            this.pipeline = pipeline;
            for (int i = 0; i < boundsNanos.length; i++)
            {
                boundsNanos[i] = (long)(LATENCY_BOUNDS_SECONDS[i] * 1e9);
            }
        }

        @Override
        public MetricSnapshots collect()
        {
            final List<MetricSnapshot> snapshots = new ArrayList<>();
            for (final CounterRegistry.Family family : pipeline.counters().families())
            {
                final String name = "httpcap_" + family.name();
                final List<String> labelNames = family.labelNames();
                if (family.type() == CounterRegistry.Type.COUNTER)
                {
                    final CounterSnapshot.Builder counter = CounterSnapshot.builder().name(name).help(family.help());
                    for (final CounterRegistry.Series series : family.series())
                    {
                        counter.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                            .labels(Labels.of(labelNames, series.labelValues())).value(series.value() * family.exportScale()).build());
                    }
                    snapshots.add(counter.build());
                }
                else
                {
                    final GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name(name).help(family.help());
                    for (final CounterRegistry.Series series : family.series())
                    {
                        gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .labels(Labels.of(labelNames, series.labelValues())).value(series.value() * family.exportScale()).build());
                    }
                    snapshots.add(gauge.build());
                }
            }
            snapshots.add(latency());
            return new MetricSnapshots(snapshots);
        }

        private MetricSnapshot latency()
        {
            final long[] cumulative = new long[boundsNanos.length + 1];
            final double sumNanos = pipeline.latencyHistogram(boundsNanos, cumulative);
            final double[] bounds = new double[LATENCY_BOUNDS_SECONDS.length + 1];
            final long[] counts = new long[bounds.length];
            long previous = 0;
            for (int i = 0; i < bounds.length; i++)
            {
                bounds[i] = i < LATENCY_BOUNDS_SECONDS.length ? LATENCY_BOUNDS_SECONDS[i] : Double.POSITIVE_INFINITY;
                counts[i] = cumulative[i] - previous;
                previous = cumulative[i];
            }
            return HistogramSnapshot.builder()
                .name("httpcap_capture_to_written_latency_seconds")
                .help("time from the capture of the packet that completed an event to the sink flush that wrote it")
                .unit(Unit.SECONDS)
                .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
                    .sum(sumNanos / 1e9)
                    .build())
                .build();
        }
    }
}
