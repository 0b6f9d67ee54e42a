package dev.httpcap.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Option;

import dev.httpcap.decoders.http.HeaderSelection;
import dev.httpcap.decoders.http.HttpConfig;
import dev.httpcap.pipeline.BackPressure;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.KafkaKey;
import dev.httpcap.sinks.KafkaSinkConfig;
import dev.httpcap.sinks.SinkSpecs;

/** The options every command that runs a pipeline shares: sinks, workers, bounds and policies. */
final class PipelineOptions
{
    @Option(names = "--sink", paramLabel = "SPEC",
        description = "where events go; repeat for several: stdout (readable lines, the default), stdout:json, " +
            "file:PATH[?rotate-mb=N&keep=K&format=json|text], kafka://HOST:PORT[,HOST:PORT]/TOPIC[?OPTIONS]")
    List<String> sinkSpecs = new ArrayList<>();

    @Option(names = "--workers", paramLabel = "N", description = "worker threads (shards of the flow table); default ${DEFAULT-VALUE}")
    int workers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));

    @Option(names = "--filter", paramLabel = "EXPR", description = "tcpdump-style capture filter, compiled by libpcap")
    String filter;

    @Option(names = "--back-pressure", paramLabel = "POLICY",
        description = "when workers or sinks fall behind: block (nothing is lost; the default for files) or drop " +
            "(count and go on; the default for live capture)")
    BackPressure backPressure;

    @Option(names = "--max-flows", paramLabel = "N", description = "connections held per worker before the oldest is evicted; default ${DEFAULT-VALUE}")
    int maxFlows = 100_000;

    @Option(names = "--flow-timeout", paramLabel = "SECONDS", description = "close a connection idle this long (packet time); default ${DEFAULT-VALUE}")
    long flowTimeoutSeconds = 300;

    @Option(names = "--ring-slots", paramLabel = "N", description = "packet ring size, a power of two; default ${DEFAULT-VALUE}")
    int ringSlots = 16_384;

    @Option(names = "--slot-bytes", paramLabel = "N", description = "bytes per ring slot (bigger frames span slots); default ${DEFAULT-VALUE}")
    int slotBytes = 2_048;

    @Option(names = "--reassembly-window-kb", paramLabel = "KB",
        description = "bytes (KiB, a power of two) one direction of a connection may hold out of order; default ${DEFAULT-VALUE}")
    int reassemblyWindowKb = 128;

    @Option(names = "--reassembly-windows", paramLabel = "N",
        description = "reassembly windows per worker (memory = windows x window); default ${DEFAULT-VALUE}")
    int reassemblyWindows = 256;

    @Option(names = "--flows", description = "also write one record per TCP connection (event.dataset \"flow\")")
    boolean flows;

    @Option(names = "--no-http", description = "do not decode HTTP (with --flows: connection records only)")
    boolean noHttp;

    @Option(names = "--headers", paramLabel = "WHICH",
        description = "header fields in each event: none, default (${DEFAULT-VALUE}: host, accept, content-type, " +
            "content-length, content-encoding, transfer-encoding, location, referer, x-forwarded-for, x-request-id), " +
            "all, or name,name,...")
    String headers = "default";

    @Option(names = "--no-redact",
        description = "keep the values of authorization, proxy-authorization, cookie and set-cookie (redacted by default)")
    boolean noRedact;

    @Option(names = "--body-bytes", paramLabel = "N",
        description = "capture the first N body bytes of each request and response (de-chunked); default ${DEFAULT-VALUE}")
    int bodyBytes;

    @Option(names = "--decode-body", description = "inflate captured bodies sent with Content-Encoding gzip or deflate")
    boolean decodeBody;

    @Option(names = "--http-ports", paramLabel = "PORTS", split = ",",
        description = "server ports decoded as HTTP; default 80,8080,8000,3000,5000,8008,8081,9200")
    List<Integer> httpPorts;

    @Option(names = "--no-http-detect",
        description = "decode only --http-ports (by default HTTP on any other port is found from a connection's first bytes)")
    boolean noHttpDetect;

    @Option(names = "--max-line-bytes", paramLabel = "N",
        description = "longest request, status or header line kept; default ${DEFAULT-VALUE}")
    int maxLineBytes = 8 * 1024;

    @Option(names = "--max-header-bytes", paramLabel = "N",
        description = "header bytes per message kept for the event (then tagged headers_truncated); default ${DEFAULT-VALUE}")
    int maxHeaderBytes = 32 * 1024;

    @Option(names = "--max-headers", paramLabel = "N",
        description = "header fields per message kept for the event; default ${DEFAULT-VALUE}")
    int maxHeaders = 100;

    @Option(names = "--ws-payload-bytes", paramLabel = "N",
        description = "payload bytes of each WebSocket message kept (text is cut on a character boundary); default ${DEFAULT-VALUE}")
    int wsPayloadBytes = 256;

    /** @return the HTTP decoder's options, or null with {@code --no-http}. */
    HttpConfig httpConfig()
    {
        if (noHttp)
        {
            return null;
        }
        final HttpConfig http = new HttpConfig()
            .headers(HeaderSelection.parse(headers))
            .redact(!noRedact)
            .bodyBytes(bodyBytes)
            .decodeBody(decodeBody)
            .detectOnAnyPort(!noHttpDetect)
            .maxLineBytes(maxLineBytes)
            .maxHeaderBytes(maxHeaderBytes)
            .maxHeaders(maxHeaders)
            .wsPayloadBytes(wsPayloadBytes);
        if (httpPorts != null)
        {
            http.ports(httpPorts.stream().mapToInt(Integer::intValue).toArray());
        }
        return http;
    }

    /** @throws IllegalArgumentException with a one-line message for a bad value. */
    PipelineConfig config(final BackPressure defaultBackPressure)
    {
        final BackPressure policy = backPressure != null ? backPressure : defaultBackPressure;
        return new PipelineConfig()
            .workers(workers)
            .ringSlots(ringSlots)
            .slotBytes(slotBytes)
            .packetBackPressure(policy)
            .eventBackPressure(policy)
            .maxFlowsPerWorker(maxFlows)
            .flowIdleTimeoutNanos(TimeUnit.SECONDS.toNanos(flowTimeoutSeconds))
            .reassemblyWindowBytes(reassemblyWindowKb * 1024)
            .reassemblyWindows(reassemblyWindows)
            .filter(filter)
            .http(httpConfig())
            .flowEvents(flows || noHttp);
    }

    /** Open every {@code --sink} into {@code sinks} (so the caller closes what was opened if one fails). */
    void openSinks(final List<EventSink> sinks)
    {
        final KafkaSinkConfig kafka = kafkaDefaults();
        for (final String spec : sinkSpecs.isEmpty() ? List.of("stdout") : sinkSpecs)
        {
            sinks.add(SinkSpecs.open(spec, kafka, line -> System.err.println("httpcap: " + line)));
        }
    }

    // ---- Kafka sinks: defaults for every --sink kafka://...; a spec's ?options override them. ----

    @Option(names = "--kafka-key", paramLabel = "KEY",
        description = "record key: community_id (one connection's events in order in one partition; the default), " +
            "host (url.domain) or none")
    String kafkaKey = "community_id";

    @Option(names = "--kafka-acks", paramLabel = "ACKS", description = "all (the default; idempotent producer), 1 or 0")
    String kafkaAcks = "all";

    @Option(names = "--kafka-compression", paramLabel = "CODEC", description = "lz4 (the default), zstd, snappy, gzip or none")
    String kafkaCompression = "lz4";

    @Option(names = "--kafka-batch-kb", paramLabel = "KB", description = "producer batch size; default ${DEFAULT-VALUE}")
    int kafkaBatchKb = 256;

    @Option(names = "--kafka-linger-ms", paramLabel = "MS", description = "producer linger; default ${DEFAULT-VALUE}")
    int kafkaLingerMs = 5;

    @Option(names = "--kafka-prop", paramLabel = "KEY=VALUE",
        description = "any producer property, e.g. security.protocol=SASL_SSL or ssl.truststore.location=...; repeatable")
    List<String> kafkaProps = new ArrayList<>();

    @Option(names = "--spill-dir", paramLabel = "DIR",
        description = "where Kafka sinks spill events the brokers cannot take (one directory per topic and brokers); " +
            "default ${DEFAULT-VALUE}")
    Path spillDir = Path.of("httpcap-spill");

    @Option(names = "--spill-max-mb", paramLabel = "MB",
        description = "disk space each Kafka sink's spill may use; beyond it events are dropped and counted (0: no spill); " +
            "default ${DEFAULT-VALUE}")
    long spillMaxMb = 1024;

    @Option(names = "--kafka-close-seconds", paramLabel = "S",
        description = "at the end, how long to wait for the brokers before spilling what is left; default ${DEFAULT-VALUE}")
    long kafkaCloseSeconds = 10;

    /** @throws IllegalArgumentException with a one-line message for a bad value. */
    KafkaSinkConfig kafkaDefaults()
    {
        if (spillMaxMb < 0 || spillMaxMb > Long.MAX_VALUE >> 20 || kafkaCloseSeconds < 0 || kafkaBatchKb <= 0 ||
            kafkaBatchKb > 1 << 20)
        {
            throw new IllegalArgumentException(
                "--spill-max-mb and --kafka-close-seconds must be >= 0, --kafka-batch-kb in 1..1048576");
        }
        final KafkaSinkConfig config = new KafkaSinkConfig()
            .key(KafkaKey.parse(kafkaKey))
            .acks(kafkaAcks)
            .compression(kafkaCompression)
            .batchBytes(kafkaBatchKb * 1024)
            .lingerMs(kafkaLingerMs)
            .spillRoot(spillDir)
            .spillMaxBytes(spillMaxMb << 20)
            .closeTimeoutMs(kafkaCloseSeconds * 1000);
        kafkaProps.forEach(config::producerProperty);
        return config;
    }
}
