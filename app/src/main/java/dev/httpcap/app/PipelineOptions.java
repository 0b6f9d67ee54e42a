package dev.httpcap.app;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.sun.management.OperatingSystemMXBean;

import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.Option.Type;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.app.cli.Suggest;
import dev.httpcap.common.Frames;
import dev.httpcap.decoders.http.HeaderRules;
import dev.httpcap.decoders.http.HeaderSelection;
import dev.httpcap.decoders.http.HttpConfig;
import dev.httpcap.decoders.tcp.TcpFlowTracker;
import dev.httpcap.pipeline.BackPressure;
import dev.httpcap.pipeline.Pipeline;
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
            "file:PATH[?rotate-mb=N&keep=K&format=json|text] (and &cache=drop|keep: the page cache; live drops), " +
            "kafka://HOST:PORT[,HOST:PORT]/TOPIC[?OPTIONS]").repeatable();
    static final Option WORKERS = Option.value("--workers", "N", Type.INT,
        "worker threads (shards of the flow table)").defaultValue(DEFAULTS.workers);
    static final Option FILTER = Option.value("--filter", "EXPR", Type.STRING,
        "tcpdump-style capture filter, compiled by libpcap");
    static final Option BACK_PRESSURE = Option.value("--back-pressure", "POLICY", Type.CHOICE,
        "when workers or sinks fall behind: block (the default: nothing is lost; live, the kernel ring buffers and " +
            "only the kernel drops, counted) or drop (count and go on)").choices(choices());
    static final Option MAX_FLOWS = Option.value("--max-flows", "N", Type.INT,
        "connections held per worker before the oldest is evicted").defaultValue(DEFAULTS.maxFlows);
    static final Option FLOW_TIMEOUT = Option.value("--flow-timeout", "SECONDS", Type.LONG,
        "close a connection idle this long (packet time)").defaultValue(DEFAULTS.flowTimeoutSeconds);
    static final Option RING_SLOTS = Option.value("--ring-slots", "N", Type.INT,
        "packet ring size, a power of two").defaultValue(DEFAULTS.ringSlots);
    static final Option SLOT_BYTES = Option.value("--slot-bytes", "N", Type.INT,
        "bytes per ring slot (bigger frames span slots)").defaultValue(DEFAULTS.slotBytes);
    static final Option EVENT_BUFFER_KB = Option.value("--event-buffer-kb", "KB", Type.INT,
        "encoded events waiting for the sinks (the workers' hand-off), a power of two >= 64")
        .defaultValue(DEFAULTS.eventBufferKb);
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
    static final Option REDACT_HEADERS = Option.value("--redact-headers", "NAME[,NAME...]", Type.STRING,
        "more header fields whose values are redacted (x-api-key,x-auth-token); repeatable").repeatable();
    static final Option BODY_BYTES = Option.value("--body-bytes", "N", Type.INT,
        "show the first N body bytes of each request and response (de-chunked; with --decode-body, decoded)")
        .defaultValue(DEFAULTS.bodyBytes);
    static final Option DECODE_BODY = Option.flag("--decode-body",
        "inflate captured bodies sent with Content-Encoding gzip or deflate");
    static final Option BODY_ENCODING = Option.value("--body-encoding", "ENC", Type.CHOICE,
        "how bodies are written: auto (text when UTF-8, else base64 in body.content_base64; the default), " +
            "text (bytes that are not UTF-8 become U+FFFD) or base64").choices(bodyEncodings());
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
    static final Option METRICS_LISTEN = Option.value("--metrics-listen", "HOST:PORT", Type.STRING,
        "serve /metrics (Prometheus), /healthz and /readyz on this address, e.g. 127.0.0.1:9100");
    static final Option MAX_PIPELINED = Option.value("--max-pipelined", "N", Type.INT,
        "requests one connection may have waiting for their responses; past it the oldest is reported " +
            "without its response (tagged pipeline_overflow)").defaultValue(DEFAULTS.maxPipelined);
    static final Option MAX_TRANSACTIONS = Option.value("--max-transactions", "N", Type.INT,
        "transactions each worker holds open at once (all connections); past it the oldest waiting request of " +
            "a connection is reported early (tagged decoder_overload)").defaultValue(DEFAULTS.maxTransactions);
    static final Option LINE_BUFFER_MB = Option.value("--line-buffer-mb", "MB", Type.INT,
        "memory each worker may use for lines cut by a packet boundary (one buffer per connection at most); " +
            "past it such lines are counted and their messages tagged decoder_overload").defaultValue(DEFAULTS.lineBufferMb);
    static final Option WS_PAYLOAD_BYTES = Option.value("--ws-payload-bytes", "N", Type.INT,
        "payload bytes of each WebSocket message kept (text is cut on a character boundary)")
        .defaultValue(DEFAULTS.wsPayloadBytes);
    static final Option MAX_EVENT_KB = Option.value("--max-event-kb", "KB", Type.INT,
        "largest event (JSON or line); a larger one is cut to fit, bodies first, and tagged event_truncated")
        .defaultValue(DEFAULTS.maxEventKb);

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
        SLOT_BYTES, EVENT_BUFFER_KB, REASSEMBLY_WINDOW_KB, REASSEMBLY_WINDOWS, FLOWS, NO_HTTP, HEADERS, NO_REDACT,
        REDACT_HEADERS, BODY_BYTES, DECODE_BODY, METRICS_LISTEN, BODY_ENCODING, HTTP_PORTS, NO_HTTP_DETECT, MAX_LINE_BYTES,
        MAX_HEADER_BYTES, MAX_HEADERS, MAX_PIPELINED, MAX_TRANSACTIONS, LINE_BUFFER_MB, WS_PAYLOAD_BYTES, MAX_EVENT_KB,
        KAFKA_KEY, KAFKA_ACKS, KAFKA_COMPRESSION, KAFKA_BATCH_KB, KAFKA_LINGER_MS, KAFKA_PROP, KAFKA_DELIVERY, SPILL_DIR,
        SPILL_MAX_MB, SPILL_FSYNC_MS, KAFKA_CLOSE_SECONDS);

    List<String> sinkSpecs = new ArrayList<>();
    int workers = DEFAULT_WORKERS;
    String filter;
    BackPressure backPressure;
    int maxFlows = 100_000;
    long flowTimeoutSeconds = 300;
    int ringSlots = 16_384;
    int slotBytes = 2_048;
    int eventBufferKb = 8 * 1024;
    int reassemblyWindowKb = 128;
    int reassemblyWindows = 256;
    boolean flows;
    boolean noHttp;
    String headers = "default";
    boolean noRedact;
    List<String> redactHeaders = new ArrayList<>();
    int bodyBytes;
    boolean decodeBody;
    HttpConfig.BodyEncoding bodyEncoding = HttpConfig.BodyEncoding.AUTO;
    int[] httpPorts;
    boolean noHttpDetect;
    int maxLineBytes = 8 * 1024;
    int maxHeaderBytes = 32 * 1024;
    int maxHeaders = 100;
    int wsPayloadBytes = 256;
    int maxPipelined = 64;
    int maxTransactions = 131_072;
    int lineBufferMb = 32;
    int maxEventKb = 1000;
    String metricsListen;
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

    private static String[] bodyEncodings()
    {
        final HttpConfig.BodyEncoding[] values = HttpConfig.BodyEncoding.values();
        final String[] names = new String[values.length];
        for (int i = 0; i < values.length; i++)
        {
            names[i] = values[i].name().toLowerCase(java.util.Locale.ROOT);
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
        eventBufferKb = args.intValue(EVENT_BUFFER_KB, eventBufferKb);
        reassemblyWindowKb = args.intValue(REASSEMBLY_WINDOW_KB, reassemblyWindowKb);
        reassemblyWindows = args.intValue(REASSEMBLY_WINDOWS, reassemblyWindows);
        flows = args.flag(FLOWS, flows);
        noHttp = args.flag(NO_HTTP, noHttp);
        headers = args.string(HEADERS, headers);
        noRedact = args.flag(NO_REDACT, noRedact);
        redactHeaders = new ArrayList<>();
        for (final String list : args.strings(REDACT_HEADERS))
        {
            for (final String name : list.split(",", -1))
            {
                redactHeaders.add(name.strip());
            }
        }
        bodyBytes = args.intValue(BODY_BYTES, bodyBytes);
        decodeBody = args.flag(DECODE_BODY, decodeBody);
        final String encoding = args.choice(BODY_ENCODING, null);
        bodyEncoding = encoding != null ? HttpConfig.BodyEncoding.valueOf(encoding.toUpperCase(java.util.Locale.ROOT)) :
            bodyEncoding;
        httpPorts = args.isSet(HTTP_PORTS) ? args.ints(HTTP_PORTS) : httpPorts;
        noHttpDetect = args.flag(NO_HTTP_DETECT, noHttpDetect);
        maxLineBytes = args.intValue(MAX_LINE_BYTES, maxLineBytes);
        maxHeaderBytes = args.intValue(MAX_HEADER_BYTES, maxHeaderBytes);
        maxHeaders = args.intValue(MAX_HEADERS, maxHeaders);
        wsPayloadBytes = args.intValue(WS_PAYLOAD_BYTES, wsPayloadBytes);
        maxPipelined = args.intValue(MAX_PIPELINED, maxPipelined);
        maxTransactions = args.intValue(MAX_TRANSACTIONS, maxTransactions);
        lineBufferMb = args.intValue(LINE_BUFFER_MB, lineBufferMb);
        maxEventKb = args.intValue(MAX_EVENT_KB, maxEventKb);
        metricsListen = args.string(METRICS_LISTEN, metricsListen);
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
            .headers(headerSelection(headers))
            .redact(!noRedact)
            .redactNames(redactHeaders)
            .decodeBody(decodeBody)
            .bodyEncoding(bodyEncoding)
            .detectOnAnyPort(!noHttpDetect)
            // A line cut by a packet boundary needs a buffer only until its next packet: at most
            // one per direction of each connection held, within the memory given.
            .lineBuffers((int)Math.min(1 << 24, 2L * maxFlows));
        // The decoder's checks speak of its own units; each message is prefixed with the option
        // (so that a value from --config is traced to its file and line).
        named(BODY_BYTES, () -> http.bodyBytes(bodyBytes));
        named(MAX_LINE_BYTES, () -> http.maxLineBytes(maxLineBytes));
        named(MAX_HEADER_BYTES, () -> http.maxHeaderBytes(maxHeaderBytes));
        named(MAX_HEADERS, () -> http.maxHeaders(maxHeaders));
        named(MAX_PIPELINED, () -> http.maxPipelined(maxPipelined));
        named(MAX_TRANSACTIONS, () -> http.maxTransactions(maxTransactions));
        check(lineBufferMb >= 1, LINE_BUFFER_MB, "must be at least 1", lineBufferMb);
        named(LINE_BUFFER_MB, () -> http.lineBufferBytes((long)lineBufferMb << 20));
        named(WS_PAYLOAD_BYTES, () -> http.wsPayloadBytes(wsPayloadBytes));
        if (httpPorts != null)
        {
            named(HTTP_PORTS, () -> http.ports(httpPorts));
        }
        return http;
    }

    /**
     * {@code --headers}: a keyword mistyped ({@code nope}, {@code defualt}) is not taken for a
     * field name, which would quietly select a header no message has; a name list ending in a
     * comma ({@code nope,}) selects such a field on purpose.
     *
     * @throws IllegalArgumentException with a one-line message for a bad value.
     */
    static HeaderSelection headerSelection(final String spec)
    {
        final String trimmed = spec.strip();
        if (trimmed.endsWith(",") && trimmed.length() > 1)
        {
            return HeaderSelection.parse(trimmed.substring(0, trimmed.length() - 1));
        }
        if (trimmed.indexOf(',') < 0)
        {
            final List<String> keywords = List.of("none", "default", "all");
            final String close = Suggest.closest(trimmed, keywords);
            if (close != null && !keywords.contains(trimmed.toLowerCase(java.util.Locale.ROOT)))
            {
                throw new IllegalArgumentException("--headers '" + trimmed + "': did you mean '" + close +
                    "'? (to select a header field of that name, write it followed by a comma: '" + trimmed + ",')");
            }
        }
        return HeaderSelection.parse(trimmed);
    }

    /**
     * What a reload may change in a running pipeline: the header fields kept and the values
     * redacted ({@code --headers}, {@code --no-redact}, {@code --redact-headers}); null with
     * {@code --no-http}.
     *
     * @throws IllegalArgumentException with a one-line message for a bad value.
     */
    HeaderRules headerRules()
    {
        final HttpConfig http = httpConfig();
        return http == null ? null : HeaderRules.of(http);
    }

    /** {@code --redact-headers} names checked now, not when the workers start. */
    private static HttpConfig checked(final HttpConfig http)
    {
        if (http != null)
        {
            try
            {
                HeaderRules.of(http);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("--redact-headers: " + ex.getMessage(), ex);
            }
        }
        return http;
    }

    /** @throws IllegalArgumentException with a one-line message for a bad value. */
    PipelineConfig config(final BackPressure defaultBackPressure)
    {
        final BackPressure policy = backPressure != null ? backPressure : defaultBackPressure;
        // Checked here in the options' own units, each message naming its option.
        check(workers >= 1 && workers <= 256, WORKERS, "must be between 1 and 256", workers);
        check(ringSlots >= 64 && Integer.bitCount(ringSlots) == 1, RING_SLOTS, "must be a power of two >= 64", ringSlots);
        check(slotBytes >= 128 && slotBytes % 64 == 0, SLOT_BYTES, "must be a multiple of 64, at least 128", slotBytes);
        check(eventBufferKb >= 64 && eventBufferKb <= 1 << 20 && Integer.bitCount(eventBufferKb) == 1, EVENT_BUFFER_KB,
            "must be a power of two from 64 to 1048576", eventBufferKb);
        check(maxFlows >= 1 && maxFlows <= TcpFlowTracker.MAX_FLOWS, MAX_FLOWS, "must be 1 to " + TcpFlowTracker.MAX_FLOWS, maxFlows);
        check(flowTimeoutSeconds >= 1, FLOW_TIMEOUT, "must be a number of seconds >= 1", flowTimeoutSeconds);
        check(reassemblyWindowKb >= 1 && reassemblyWindowKb <= 1 << 20 && Integer.bitCount(reassemblyWindowKb) == 1,
            REASSEMBLY_WINDOW_KB, "must be a power of two from 1 to 1048576", reassemblyWindowKb);
        check(reassemblyWindows >= 1 && (long)reassemblyWindows * reassemblyWindowKb * 1024 <= Integer.MAX_VALUE,
            REASSEMBLY_WINDOWS, "must be at least 1, and times --reassembly-window-kb under 2 GiB", reassemblyWindows);
        return new PipelineConfig()
            .workers(workers)
            .ringSlots(ringSlots)
            .slotBytes(slotBytes)
            .eventRingBytes(eventBufferKb * 1024)
            .packetBackPressure(policy)
            .eventBackPressure(policy)
            .maxFlowsPerWorker(maxFlows)
            .flowIdleTimeoutNanos(TimeUnit.SECONDS.toNanos(flowTimeoutSeconds))
            .reassemblyWindowBytes(reassemblyWindowKb * 1024)
            .reassemblyWindows(reassemblyWindows)
            .maxEventBytes(maxEventBytes())
            .filter(filter)
            .http(checked(httpConfig()))
            .flowEvents(flows || noHttp);
    }

    /**
     * What the options make before the first packet must fit, or the run stops before any output is
     * opened with what it needs and what to change, instead of the JVM's OutOfMemoryError (exit 3) or a
     * failed allocation while the pipeline starts: each packet ring's slots ({@code --ring-slots} x
     * {@code --slot-bytes}, off the heap, reserved whole though only what is copied into is touched)
     * under 2 GiB and, all rings, within half the machine's memory; the workers' flow tables
     * ({@code lanes} x {@code --workers} of them, ~3 MiB each at the default {@code --max-flows}) and the
     * rings' events (~200 bytes a slot) within half the heap, the other half left to the connections' own
     * state. A table too large to make is judged by its arrays alone.
     *
     * @param lanes     packet rings, each with its workers: {@code --fanout}'s sockets, else 1.
     * @param ringSlots each ring's slots as it will be made (live may lower {@code --ring-slots}).
     * @param probe     whether to make a worker and a slot to measure them (not while a running capture
     *                  reloads its configuration: the workers could not change then, and the heap holds theirs).
     * @throws IllegalArgumentException with that message.
     */
    static void checkMemory(final PipelineConfig config, final int lanes, final int ringSlots, final boolean probe)
    {
        final String rings = lanes > 1 ? "the " + lanes + " packet rings" : "the packet ring";
        final long ringBytes = (long)ringSlots * config.slotBytes();
        if (ringBytes + Frames.MAX_FRAME_LENGTH > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException(RING_SLOTS.longName() + " " + ringSlots + " x " + SLOT_BYTES.longName() + " " +
                config.slotBytes() + " is " + mib(ringBytes) + " MiB of packet ring, 2 GiB at most: fewer " +
                RING_SLOTS.longName() + " or a smaller " + SLOT_BYTES.longName());
        }
        final long machine = ManagementFactory.getOperatingSystemMXBean() instanceof final OperatingSystemMXBean os ?
            os.getTotalMemorySize() : -1;
        if (machine > 0 && ringBytes * lanes > machine / 2)
        {
            throw new IllegalArgumentException(rings + " of " + RING_SLOTS.longName() + " " + ringSlots + " x " +
                SLOT_BYTES.longName() + " " + config.slotBytes() + (lanes > 1 ? " each take " + mib(ringBytes * lanes) +
                " MiB in all" : " take " + mib(ringBytes) + " MiB") + ", more than half of this machine's " + mib(machine) +
                " MiB of memory: " + (lanes > 1 ? "fewer " + LiveCommand.FANOUT.longName() + " sockets, " : "") + "fewer " + RING_SLOTS.longName() +
                " or a smaller " + SLOT_BYTES.longName());
        }
        final long maxHeap = Runtime.getRuntime().maxMemory();
        if (!probe || maxHeap == Long.MAX_VALUE)
        {
            return;
        }
        final long slot = Pipeline.slotHeapBytes();
        final long ringHeap = Math.max(0, slot) * ringSlots * lanes;
        final long workers = (long)lanes * config.workers();
        final long least = TcpFlowTracker.tableBytes(config.maxFlowsPerWorker());
        // The arrays alone first: a table too large for the heap cannot be made to measure it.
        final long each = least * workers + ringHeap > maxHeap / 2 ? least : Pipeline.workerHeapBytes(config);
        if (each < 0 || each * workers + ringHeap <= maxHeap / 2)
        {
            return;
        }
        final long tables = each * workers;
        final String whose = workers == 1 ? "one worker's flow table (" : "the flow tables of " +
            (lanes > 1 ? lanes + " sockets x " + config.workers() + " worker" + (config.workers() == 1 ? "" : "s") :
                workers + " workers") + " (" + String.format(Locale.ROOT, "%.1f", each / 1048576.0) + " MiB each, ";
        final List<String> remedies = new ArrayList<>();
        if (config.workers() > 1)
        {
            remedies.add("fewer " + WORKERS.longName() + " (more than one per CPU does not help)");
        }
        if (lanes > 1)
        {
            remedies.add("fewer " + LiveCommand.FANOUT.longName() + " sockets");
        }
        if (tables * 4 >= tables + ringHeap)
        {
            remedies.add("a smaller " + MAX_FLOWS.longName());
        }
        if (ringHeap * 4 >= tables + ringHeap)
        {
            remedies.add("fewer " + RING_SLOTS.longName());
        }
        remedies.add("or a larger heap (HTTPCAP_JAVA_OPTS=-Xmx...)");
        final boolean namesRing = ringHeap * 8 >= tables;
        throw new IllegalArgumentException("about " + mib(namesRing ? tables + ringHeap : tables) + " MiB of heap for " + whose +
            "at " + MAX_FLOWS.longName() + " " + config.maxFlowsPerWorker() + ")" + (namesRing ? " and " + rings + " (" +
                mib(ringHeap) + " MiB" + (lanes > 1 ? " in all, " : " for ") + RING_SLOTS.longName() + " " + ringSlots +
                (lanes > 1 ? " each)" : ")") : "") +
            " is more than half of the " + mib(maxHeap) + " MiB this JVM may use: " + String.join(", ", remedies));
    }

    private static long mib(final long bytes)
    {
        return Math.round(bytes / 1048576.0);
    }

    /** @throws IllegalArgumentException "OPTION EXPECTED: VALUE" unless {@code ok}. */
    private static void check(final boolean ok, final Option option, final String expected, final long value)
    {
        if (!ok)
        {
            throw new IllegalArgumentException(option.longName() + " " + expected + ": " + value);
        }
    }

    /** Runs a setter whose check does not know the option, and puts the option's name before its message. */
    private static void named(final Option option, final Runnable set)
    {
        try
        {
            set.run();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(option.longName() + ": " + ex.getMessage(), ex);
        }
    }

    /** @throws IllegalArgumentException with a one-line message for a bad value. */
    private int maxEventBytes()
    {
        final int min = PipelineConfig.MIN_MAX_EVENT_BYTES / 1024;
        final int max = PipelineConfig.MAX_MAX_EVENT_BYTES / 1024;
        if (maxEventKb < min || maxEventKb > max)
        {
            throw new IllegalArgumentException("--max-event-kb must be between " + min + " and " + max + ": " + maxEventKb);
        }
        return maxEventKb * 1024;
    }

    /**
     * @return the {@code --metrics-listen} endpoint serving {@code pipeline}'s counters, or null
     * without the option. Ready while the pipeline reads and every sink can take events.
     * @throws IllegalStateException when its address cannot be bound.
     */
    MetricsEndpoint startMetrics(final Pipeline pipeline, final List<EventSink> sinks)
    {
        if (metricsListen == null)
        {
            return null;
        }
        try
        {
            return MetricsEndpoint.start(metricsListen, pipeline, () ->
            {
                final List<String> reasons = new ArrayList<>();
                if (!pipeline.isRunning())
                {
                    reasons.add("not capturing");
                }
                for (final EventSink sink : sinks)
                {
                    final String why = sink.notReady();
                    if (why != null)
                    {
                        reasons.add(sink.name() + ": " + why);
                    }
                }
                return reasons;
            });
        }
        catch (final java.io.IOException ex)
        {
            throw new IllegalStateException("cannot listen on " + metricsListen + " for --metrics-listen: " + ex.getMessage(), ex);
        }
    }

    /**
     * Open every {@code --sink} into {@code sinks} (so the caller closes what was opened if one fails).
     *
     * @param dropFileCache whether {@code file:} sinks without {@code cache=} drop their file from the page cache
     *                      behind its end ({@code live}: it writes for as long as it runs).
     *
     * @throws IllegalArgumentException for a malformed spec (a usage error, exit 2).
     * @throws IllegalStateException    for a well-formed one that cannot be opened: a missing directory,
     *                                  no permission (a failed run, exit 1).
     */
    void openSinks(final List<EventSink> sinks, final boolean dropFileCache)
    {
        final KafkaSinkConfig kafka = kafkaDefaults();
        for (final String spec : sinkSpecs.isEmpty() ? List.of("stdout") : sinkSpecs)
        {
            try
            {
                sinks.add(SinkSpecs.open(spec, kafka, line -> System.err.println("httpcap: " + line), dropFileCache));
            }
            catch (final IllegalArgumentException ex)
            {
                if (ex.getCause() instanceof java.io.IOException)
                {
                    throw new IllegalStateException(ex.getMessage(), ex);
                }
                throw ex;
            }
        }
    }

    /**
     * Every {@code --sink}'s grammar, nothing opened ({@code config check}, and before a capture starts).
     *
     * @throws IllegalArgumentException naming {@code --sink}.
     */
    void checkSinks()
    {
        final KafkaSinkConfig kafka = kafkaDefaults();
        for (final String spec : sinkSpecs)
        {
            try
            {
                SinkSpecs.check(spec, kafka);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("--sink: " + ex.getMessage(), ex);
            }
        }
        // Two file sinks on one file would write every event into it twice, interleaved.
        final Map<Path, String> files = new HashMap<>();
        for (final String spec : sinkSpecs)
        {
            final Path file = SinkSpecs.filePath(spec);
            if (file != null)
            {
                final String earlier = files.putIfAbsent(file.toAbsolutePath().normalize(), spec);
                if (earlier != null)
                {
                    throw new IllegalArgumentException(
                        "--sink: '" + spec + "' writes to the same file as '" + earlier + "': every event would be written twice");
                }
            }
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
