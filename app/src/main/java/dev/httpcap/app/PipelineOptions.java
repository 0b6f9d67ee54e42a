package dev.httpcap.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.Option.Type;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.decoders.http.HeaderSelection;
import dev.httpcap.decoders.http.HttpConfig;
import dev.httpcap.pipeline.BackPressure;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.KafkaKey;
import dev.httpcap.sinks.KafkaSinkConfig;
import dev.httpcap.sinks.SinkSpecs;

/**
 * The options every command that runs a pipeline shares: sinks, workers, bounds and policies. Each
 * option is a row of {@link #OPTIONS} (in help order) and a field holding its default until
 * {@link #apply} reads the command line.
 */
final class PipelineOptions
{
    static final int DEFAULT_WORKERS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
    private static final PipelineOptions DEFAULTS = new PipelineOptions();

    static final Option SINK = Option.value("--sink", "SPEC", Type.STRING,
        "where events go; repeat for several: stdout (readable lines, the default), stdout:json, " +
            "file:PATH[?rotate-mb=N&keep=K&format=json|text], kafka://HOST:PORT[,HOST:PORT]/TOPIC[?OPTIONS]").repeatable();
    static final Option WORKERS = Option.value("--workers", "N", Type.INT,
        "worker threads (shards of the flow table)").defaultValue(DEFAULTS.workers);
    static final Option FILTER = Option.value("--filter", "EXPR", Type.STRING,
        "tcpdump-style capture filter, compiled by libpcap");
    static final Option BACK_PRESSURE = Option.value("--back-pressure", "POLICY", Type.CHOICE,
        "when workers or sinks fall behind: block (nothing is lost; the default for files) or drop " +
            "(count and go on; the default for live capture)").choices(choices());
    static final Option MAX_FLOWS = Option.value("--max-flows", "N", Type.INT,
        "connections held per worker before the oldest is evicted").defaultValue(DEFAULTS.maxFlows);
    static final Option FLOW_TIMEOUT = Option.value("--flow-timeout", "SECONDS", Type.LONG,
        "close a connection idle this long (packet time)").defaultValue(DEFAULTS.flowTimeoutSeconds);
    static final Option RING_SLOTS = Option.value("--ring-slots", "N", Type.INT,
        "packet ring size, a power of two").defaultValue(DEFAULTS.ringSlots);
    static final Option SLOT_BYTES = Option.value("--slot-bytes", "N", Type.INT,
        "bytes per ring slot (bigger frames span slots)").defaultValue(DEFAULTS.slotBytes);
    static final Option REASSEMBLY_WINDOW_KB = Option.value("--reassembly-window-kb", "KB", Type.INT,
        "bytes (KiB, a power of two) one direction of a connection may hold out of order")
        .defaultValue(DEFAULTS.reassemblyWindowKb);
    static final Option REASSEMBLY_WINDOWS = Option.value("--reassembly-windows", "N", Type.INT,
        "reassembly windows per worker (memory = windows x window)").defaultValue(DEFAULTS.reassemblyWindows);
    static final Option FLOWS = Option.flag("--flows",
        "also write one record per TCP connection (event.dataset \"flow\")");
    static final Option NO_HTTP = Option.flag("--no-http",
        "do not decode HTTP (with --flows: connection records only)");
    static final Option HEADERS = Option.value("--headers", "WHICH", Type.STRING,
        "header fields in each event: none, default (the default: host, accept, content-type, " +
            "content-length, content-encoding, transfer-encoding, location, referer, x-forwarded-for, x-request-id), " +
            "all, or name,name,...");
    static final Option NO_REDACT = Option.flag("--no-redact",
        "keep the values of authorization, proxy-authorization, cookie and set-cookie (redacted by default)");
    static final Option BODY_BYTES = Option.value("--body-bytes", "N", Type.INT,
        "capture the first N body bytes of each request and response (de-chunked)").defaultValue(DEFAULTS.bodyBytes);
    static final Option DECODE_BODY = Option.flag("--decode-body",
        "inflate captured bodies sent with Content-Encoding gzip or deflate");
    static final Option HTTP_PORTS = Option.value("--http-ports", "PORT[,PORT...]", Type.INT_LIST,
        "server ports decoded as HTTP; default 80,8080,8000,3000,5000,8008,8081,9200");
    static final Option NO_HTTP_DETECT = Option.flag("--no-http-detect",
        "decode only --http-ports (by default HTTP on any other port is found from a connection's first bytes)");
    static final Option MAX_LINE_BYTES = Option.value("--max-line-bytes", "N", Type.INT,
        "longest request, status or header line kept").defaultValue(DEFAULTS.maxLineBytes);
    static final Option MAX_HEADER_BYTES = Option.value("--max-header-bytes", "N", Type.INT,
        "header bytes per message kept for the event (then tagged headers_truncated)").defaultValue(DEFAULTS.maxHeaderBytes);
    static final Option MAX_HEADERS = Option.value("--max-headers", "N", Type.INT,
        "header fields per message kept for the event").defaultValue(DEFAULTS.maxHeaders);
    static final Option WS_PAYLOAD_BYTES = Option.value("--ws-payload-bytes", "N", Type.INT,
        "payload bytes of each WebSocket message kept (text is cut on a character boundary)")
        .defaultValue(DEFAULTS.wsPayloadBytes);

    // ---- Kafka sinks: defaults for every --sink kafka://...; a spec's ?options override them. ----

    static final Option KAFKA_KEY = Option.value("--kafka-key", "KEY", Type.STRING,
        "record key: community_id (one connection's events in order in one partition; the default), " +
            "host (url.domain) or none");
    static final Option KAFKA_ACKS = Option.value("--kafka-acks", "ACKS", Type.STRING,
        "all (the default; idempotent producer), 1 or 0");
    static final Option KAFKA_COMPRESSION = Option.value("--kafka-compression", "CODEC", Type.STRING,
        "lz4 (the default), zstd, snappy, gzip or none");
    static final Option KAFKA_BATCH_KB = Option.value("--kafka-batch-kb", "KB", Type.INT,
        "producer batch size").defaultValue(DEFAULTS.kafkaBatchKb);
    static final Option KAFKA_LINGER_MS = Option.value("--kafka-linger-ms", "MS", Type.INT,
        "producer linger").defaultValue(DEFAULTS.kafkaLingerMs);
    static final Option KAFKA_PROP = Option.value("--kafka-prop", "KEY=VALUE", Type.STRING,
        "any producer property, e.g. security.protocol=SASL_SSL or ssl.truststore.location=...; repeatable").repeatable();
    static final Option KAFKA_DELIVERY = Option.value("--kafka-delivery", "MODE", Type.STRING,
        "exactly-once (the default: transactions; consumers read with isolation.level=read_committed) or " +
            "at-least-once (no transactions; a crash may send an event twice, with the same event.id)");
    static final Option SPILL_DIR = Option.value("--spill-dir", "DIR", Type.STRING,
        "each Kafka sink's write-ahead log of events on their way to the brokers (one directory per topic and brokers)")
        .defaultValue(DEFAULTS.spillDir);
    static final Option SPILL_MAX_MB = Option.value("--spill-max-mb", "MB", Type.LONG,
        "disk space each Kafka sink's spill may use; beyond it events are dropped and counted")
        .defaultValue(DEFAULTS.spillMaxMb);
    static final Option SPILL_FSYNC_MS = Option.value("--spill-fsync-ms", "MS", Type.LONG,
        "at most this long between fsyncs of the spill: what a power loss can take (0: after every batch)")
        .defaultValue(DEFAULTS.spillFsyncMs);
    static final Option KAFKA_CLOSE_SECONDS = Option.value("--kafka-close-seconds", "S", Type.LONG,
        "at the end, how long to wait for the brokers; what is left stays in the spill for the next start").defaultValue(DEFAULTS.kafkaCloseSeconds);

    /** Every option, in help order. */
    static final List<Option> OPTIONS = List.of(SINK, WORKERS, FILTER, BACK_PRESSURE, MAX_FLOWS, FLOW_TIMEOUT, RING_SLOTS,
        SLOT_BYTES, REASSEMBLY_WINDOW_KB, REASSEMBLY_WINDOWS, FLOWS, NO_HTTP, HEADERS, NO_REDACT, BODY_BYTES, DECODE_BODY,
        HTTP_PORTS, NO_HTTP_DETECT, MAX_LINE_BYTES, MAX_HEADER_BYTES, MAX_HEADERS, WS_PAYLOAD_BYTES, KAFKA_KEY, KAFKA_ACKS,
        KAFKA_COMPRESSION, KAFKA_BATCH_KB, KAFKA_LINGER_MS, KAFKA_PROP, KAFKA_DELIVERY, SPILL_DIR, SPILL_MAX_MB, SPILL_FSYNC_MS,
        KAFKA_CLOSE_SECONDS);

    List<String> sinkSpecs = new ArrayList<>();
    int workers = DEFAULT_WORKERS;
    String filter;
    BackPressure backPressure;
    int maxFlows = 100_000;
    long flowTimeoutSeconds = 300;
    int ringSlots = 16_384;
    int slotBytes = 2_048;
    int reassemblyWindowKb = 128;
    int reassemblyWindows = 256;
    boolean flows;
    boolean noHttp;
    String headers = "default";
    boolean noRedact;
    int bodyBytes;
    boolean decodeBody;
    int[] httpPorts;
    boolean noHttpDetect;
    int maxLineBytes = 8 * 1024;
    int maxHeaderBytes = 32 * 1024;
    int maxHeaders = 100;
    int wsPayloadBytes = 256;
    String kafkaKey = "community_id";
    String kafkaAcks = "all";
    String kafkaCompression = "lz4";
    int kafkaBatchKb = 256;
    int kafkaLingerMs = 5;
    List<String> kafkaProps = new ArrayList<>();
    Path spillDir = Path.of("httpcap-spill");
    long spillMaxMb = 1024;
    long spillFsyncMs = 1000;
    String kafkaDelivery = "exactly-once";
    long kafkaCloseSeconds = 10;

    private static String[] choices()
    {
        final BackPressure[] values = BackPressure.values();
        final String[] names = new String[values.length];
        for (int i = 0; i < values.length; i++)
        {
            names[i] = values[i].name();
        }
        return names;
    }

    /** Take the values given on the command line (the fields keep their defaults otherwise). */
    PipelineOptions apply(final ParsedArgs args)
    {
        sinkSpecs = args.strings(SINK);
        workers = args.intValue(WORKERS, workers);
        filter = args.string(FILTER, filter);
        final String policy = args.choice(BACK_PRESSURE, null);
        backPressure = policy != null ? BackPressure.valueOf(policy) : backPressure;
        maxFlows = args.intValue(MAX_FLOWS, maxFlows);
        flowTimeoutSeconds = args.longValue(FLOW_TIMEOUT, flowTimeoutSeconds);
        ringSlots = args.intValue(RING_SLOTS, ringSlots);
        slotBytes = args.intValue(SLOT_BYTES, slotBytes);
        reassemblyWindowKb = args.intValue(REASSEMBLY_WINDOW_KB, reassemblyWindowKb);
        reassemblyWindows = args.intValue(REASSEMBLY_WINDOWS, reassemblyWindows);
        flows = args.flag(FLOWS, flows);
        noHttp = args.flag(NO_HTTP, noHttp);
        headers = args.string(HEADERS, headers);
        noRedact = args.flag(NO_REDACT, noRedact);
        bodyBytes = args.intValue(BODY_BYTES, bodyBytes);
        decodeBody = args.flag(DECODE_BODY, decodeBody);
        httpPorts = args.isSet(HTTP_PORTS) ? args.ints(HTTP_PORTS) : httpPorts;
        noHttpDetect = args.flag(NO_HTTP_DETECT, noHttpDetect);
        maxLineBytes = args.intValue(MAX_LINE_BYTES, maxLineBytes);
        maxHeaderBytes = args.intValue(MAX_HEADER_BYTES, maxHeaderBytes);
        maxHeaders = args.intValue(MAX_HEADERS, maxHeaders);
        wsPayloadBytes = args.intValue(WS_PAYLOAD_BYTES, wsPayloadBytes);
        kafkaKey = args.string(KAFKA_KEY, kafkaKey);
        kafkaAcks = args.string(KAFKA_ACKS, kafkaAcks);
        kafkaCompression = args.string(KAFKA_COMPRESSION, kafkaCompression);
        kafkaBatchKb = args.intValue(KAFKA_BATCH_KB, kafkaBatchKb);
        kafkaLingerMs = args.intValue(KAFKA_LINGER_MS, kafkaLingerMs);
        kafkaProps = args.strings(KAFKA_PROP);
        spillDir = args.isSet(SPILL_DIR) ? Path.of(args.string(SPILL_DIR, null)) : spillDir;
        spillMaxMb = args.longValue(SPILL_MAX_MB, spillMaxMb);
        spillFsyncMs = args.longValue(SPILL_FSYNC_MS, spillFsyncMs);
        kafkaDelivery = args.string(KAFKA_DELIVERY, kafkaDelivery);
        kafkaCloseSeconds = args.longValue(KAFKA_CLOSE_SECONDS, kafkaCloseSeconds);
        return this;
    }

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
            http.ports(httpPorts);
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

    /** @throws IllegalArgumentException with a one-line message for a bad value. */
    KafkaSinkConfig kafkaDefaults()
    {
        if (spillMaxMb <= 0 || spillMaxMb > Long.MAX_VALUE >> 20 || kafkaCloseSeconds < 0 || kafkaBatchKb <= 0 ||
            kafkaBatchKb > 1 << 20 || spillFsyncMs < 0)
        {
            throw new IllegalArgumentException("--spill-max-mb must be > 0, --kafka-close-seconds and " +
                "--spill-fsync-ms >= 0, --kafka-batch-kb in 1..1048576");
        }
        final KafkaSinkConfig config = new KafkaSinkConfig()
            .key(KafkaKey.parse(kafkaKey))
            .acks(kafkaAcks)
            .compression(kafkaCompression)
            .batchBytes(kafkaBatchKb * 1024)
            .lingerMs(kafkaLingerMs)
            .spillRoot(spillDir)
            .spillMaxBytes(spillMaxMb << 20)
            .fsyncMs(spillFsyncMs)
            .delivery(KafkaSinkConfig.Delivery.parse(kafkaDelivery))
            .closeTimeoutMs(kafkaCloseSeconds * 1000);
        kafkaProps.forEach(config::producerProperty);
        return config;
    }
}
