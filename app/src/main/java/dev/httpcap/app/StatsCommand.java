package dev.httpcap.app;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.httpcap.app.analysis.HtmlReport;
import dev.httpcap.app.analysis.KafkaInput;
import dev.httpcap.app.analysis.NdjsonInput;
import dev.httpcap.app.analysis.PacketIntervals;
import dev.httpcap.app.analysis.StatsCollector;
import dev.httpcap.app.analysis.StatsReport;
import dev.httpcap.app.analysis.StatsPublisher;
import dev.httpcap.app.analysis.StatsTap;
import dev.httpcap.app.analysis.StatsSnapshot;
import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.Parameter;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.capture.AfPacketSource;
import dev.httpcap.capture.BpfCompiler;
import dev.httpcap.capture.BpfProgram;
import dev.httpcap.capture.LinkTypes;
import dev.httpcap.capture.CaptureFileException;
import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.common.Frames;
import dev.httpcap.pipeline.BackPressure;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.pipeline.PipelineReport;
import dev.httpcap.sinks.EventSink;

/**
 * {@code httpcap stats FILE}: the statistics of a capture (decoded by the usual pipeline, whose
 * events are added up in-process) or of an NDJSON file of httpcap events, as text, JSON or HTML.
 */
final class StatsCommand
{
    private static final int LINKTYPE_ETHERNET = 1;
    /**
     * A worker per CPU but the capture thread's (no sink thread runs), at most 4: on 2 CPUs a second
     * worker made the whole run slower, not faster (perf/README.md, "stats and follow against tshark").
     */
    static final int STATS_WORKERS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() - 1));
    /** stats' own {@code --workers}: its default differs from read's and live's, and the help says so. */
    static final Option WORKERS = Option.value("--workers", "N", Option.Type.INT,
        "worker threads (shards of the flow table); default: one per CPU less one for the capture thread, " +
            "1 to 4 (" + STATS_WORKERS + " here)");
    /** --interface: the kernel ring (copy mode: its blocks go back at once), block size and retire timeout. */
    private static final int LIVE_RING_MB = 64;
    private static final int LIVE_BLOCK_KB = 1024;
    private static final int LIVE_RETIRE_MS = 20;

    static final Parameter FILE = Parameter.optional("FILE",
        "pcap or pcapng file, an NDJSON file of httpcap events, or '-' for standard input (either); not with --from");
    static final Option FROM = Option.value("--from", "kafka://HOST:PORT/TOPIC", Option.Type.STRING,
        "read the events a Kafka sink wrote to TOPIC (from its start to its end when reading began) instead of FILE; " +
            "--kafka-prop options apply to the consumer");
    static final Option FROM_TIMEOUT = Option.value("--from-timeout", "SECONDS", Option.Type.LONG,
        "with --from or --stats-sink: give up on the brokers after this long").defaultValue(120);
    static final Option STATS_SINK = Option.value("--stats-sink", "kafka://HOST:PORT/TOPIC", Option.Type.STRING,
        "also publish this run's statistics as one mergeable snapshot to TOPIC; stats --from merges the snapshots " +
            "of every agent into one report");
    static final Option INTERFACE = Option.value("--interface", "IF", Option.Type.STRING,
        "capture live on this interface (AF_PACKET; needs CAP_NET_RAW) instead of FILE, until --duration or SIGINT")
        .shortName("-i");
    static final Option DURATION = Option.value("--duration", "SECONDS", Option.Type.DOUBLE,
        "with --interface: stop after this many seconds (default: at SIGINT/SIGTERM)");
    static final Option FORMAT = Option.value("--format", "FORMAT", Option.Type.CHOICE,
        "text (aligned tables), json (every row) or html (one self-contained page with plots)")
        .choices("text", "json", "html").defaultValue("text");
    static final Option TOP = Option.value("--top", "N", Option.Type.INT,
        "rows shown of each long table in text output (0: all)").defaultValue(10);
    static final Option INTERVAL = Option.value("--interval", "SECONDS", Option.Type.DOUBLE,
        "width of the I/O intervals (tshark's io,stat); text output merges them to at most 40 rows unless given")
        .defaultValue(1);
    static final Option OUTPUT = Option.value("--output", "PATH", Option.Type.STRING,
        "write the report to PATH instead of standard output").shortName("-o");

    private final String file;
    private final PipelineOptions options;
    private final String format;
    private final int top;
    private final double intervalSeconds;
    private final boolean intervalFixed;
    private final String output;
    private final String from;
    private final long fromTimeoutSeconds;
    private final String statsSink;
    private final String interfaceName;
    private final double durationSeconds;
    /** Where and how the capture file was damaged (reading stopped there), or null. */
    private String damage;
    /** A stop signal came: reading a pipe, it may well fall inside a record (as read, not a failure). */
    private volatile boolean stopRequested;

    StatsCommand(final ParsedArgs args)
    {
        file = args.positional(0);
        options = new PipelineOptions().apply(args);
        options.workers = args.intValue(WORKERS, STATS_WORKERS);
        format = args.choice(FORMAT, "text");
        top = args.intValue(TOP, 10);
        intervalSeconds = args.doubleValue(INTERVAL, 1);
        intervalFixed = args.isSet(INTERVAL);
        output = args.string(OUTPUT, null);
        from = args.string(FROM, null);
        fromTimeoutSeconds = args.longValue(FROM_TIMEOUT, 120);
        statsSink = args.string(STATS_SINK, null);
        interfaceName = args.string(INTERFACE, null);
        durationSeconds = args.doubleValue(DURATION, 0);
    }

    /** @return the worker threads this run will use. */
    int workers()
    {
        return options.workers;
    }

    static CommandSpec spec()
    {
        final List<Option> pipeline = new ArrayList<>(PipelineOptions.OPTIONS);
        pipeline.set(pipeline.indexOf(PipelineOptions.WORKERS), WORKERS);
        return new CommandSpec("httpcap stats",
            "Statistics of a capture or of httpcap's NDJSON events: tshark's HTTP, conversation and I/O tables, " +
                "latency percentiles, errors and bytes per host, endpoint and client, tags and the loss ledger.", true)
            .parameter(FILE)
            .options(List.of(FORMAT, TOP, INTERVAL, OUTPUT, FROM, FROM_TIMEOUT, STATS_SINK, INTERFACE, DURATION))
            .options(pipeline);
    }

    int call() throws Exception
    {
        final PrintStream err = System.err;
        if (!(intervalSeconds >= 0.001) || intervalSeconds > 86_400 * 365.0 || top < 0)
        {
            err.println("httpcap: --interval must be from 0.001 to 31536000 seconds, --top >= 0");
            return 2;
        }
        if ((file != null ? 1 : 0) + (from != null ? 1 : 0) + (interfaceName != null ? 1 : 0) != 1)
        {
            err.println("httpcap: stats needs FILE, --from kafka://HOST:PORT/TOPIC or --interface IF (one of them)");
            return 2;
        }
        if (durationSeconds < 0 || durationSeconds > 0 && interfaceName == null)
        {
            err.println("httpcap: --duration takes seconds > 0, with --interface");
            return 2;
        }
        try
        {
            // The report would replace the capture once read.
            InputGuard.refuse(InputGuard.regularInput(file), output != null ? Path.of(output) : null, "--output", output);
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 2;
        }
        final String unwritable = unwritableOutput();
        if (unwritable != null)
        {
            // Said before a long analysis, not after it.
            err.println("httpcap: cannot write the report to '" + output + "': " + unwritable);
            return 1;
        }
        final long intervalNanos = Math.round(intervalSeconds * 1e9);
        final StatsCollector collector = new StatsCollector(intervalNanos, Long.MIN_VALUE);
        final Map<String, Map<String, Long>> ledger = new LinkedHashMap<>();
        final StatsReport report;
        boolean published = true;
        if (from != null)
        {
            try
            {
                final KafkaInput kafka = new KafkaInput(from, options.kafkaProps);
                final Map<String, Map<String, Long>> merged = new LinkedHashMap<>();
                kafka.read(collector, merged, java.time.Duration.ofSeconds(fromTimeoutSeconds));
                ledger.put("kafka", kafka.ledger());
                ledger.putAll(merged);
                report = new StatsReport(from, "kafka", collector, null, ledger);
            }
            catch (final IllegalArgumentException ex)
            {
                err.println("httpcap: " + ex.getMessage());
                return 2;
            }
            catch (final IllegalStateException | org.apache.kafka.common.KafkaException ex)
            {
                err.println("httpcap: " + ex.getMessage());
                return 1;
            }
            return write(report);
        }
        if (interfaceName != null)
        {
            final PacketIntervals packets;
            try
            {
                packets = live(collector, ledger, intervalNanos);
            }
            catch (final IllegalArgumentException | IllegalStateException ex)
            {
                err.println("httpcap: " + ex.getMessage());
                return 2;
            }
            catch (final CaptureFileException ex)
            {
                err.println("httpcap: " + ex.getMessage());
                return 1;
            }
            if (packets == null)
            {
                return 1;
            }
            report = new StatsReport(interfaceName, "live", collector, packets, ledger);
            published = statsSink == null || publish(StatsSnapshot.encode(collector, packets, ledger));
            final int written = write(report);
            return published ? written : 1;
        }
        try (InputStream in = open())
        {
            if (isCapture(in))
            {
                final PacketIntervals packets;
                try
                {
                    packets = capture(in, collector, ledger, intervalNanos);
                }
                catch (final IllegalArgumentException | IllegalStateException ex)
                {
                    err.println("httpcap: " + ex.getMessage());
                    return 2;
                }
                if (packets == null)
                {
                    return 1;
                }
                report = new StatsReport(name(), "capture", collector, packets, ledger);
                published = statsSink == null || publish(StatsSnapshot.encode(collector, packets, ledger));
            }
            else
            {
                final NdjsonInput ndjson = new NdjsonInput();
                ndjson.read(in, collector);
                ledger.put("input", ndjson.ledger());
                if (ndjson.events() == 0 && ndjson.notJson() > 0)
                {
                    // Text that is neither a capture nor events (a README, a log): say so, not an empty report.
                    damage = "'" + name() + "' holds no httpcap events: none of its " + ndjson.notJson() +
                        " non-blank lines is one, and it is not a pcap or pcapng capture";
                }
                report = new StatsReport(name(), "ndjson", collector, null, ledger);
                published = statsSink == null || publish(StatsSnapshot.encode(collector, null, ledger));
            }
        }
        catch (final CaptureFileException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 1;
        }
        catch (final IOException ex)
        {
            err.println("httpcap: cannot read '" + file + "': " + ex.getMessage());
            return 1;
        }

        // The report is written even when the snapshot could not be published; the exit status says so.
        final int written = write(report);
        if (damage != null)
        {
            // As read (and tcpdump): what could be read is in the report, but a damaged file is not a success.
            err.println("httpcap: " + damage);
            if (!stopRequested)
            {
                return 1;
            }
        }
        return published ? written : 1;
    }

    /** Send one snapshot to --stats-sink and wait for the broker's acknowledgement. @return whether it was acknowledged. */
    private boolean publish(final byte[] snapshot)
    {
        try (StatsPublisher publisher = new StatsPublisher(statsSink, options.kafkaProps,
            java.time.Duration.ofSeconds(fromTimeoutSeconds)))
        {
            publisher.send(snapshot, 0);
            publisher.flush();
            if (publisher.published() == 1)
            {
                return true;
            }
            System.err.println("httpcap: --stats-sink " + statsSink + ": the snapshot was not delivered: " + publisher.lastError());
            return false;
        }
        catch (final IllegalArgumentException | org.apache.kafka.common.KafkaException ex)
        {
            System.err.println("httpcap: " + ex.getMessage());
            return false;
        }
    }

    /** Writes the report; @return 0, or 1 with a one-line message when {@code --output} cannot be written. */
    private int write(final StatsReport report)
    {
        try
        {
            return writeReport(report);
        }
        catch (final IOException ex)
        {
            System.err.println("httpcap: cannot write the report to '" + output + "': " + IoErrors.describe(ex));
            return 1;
        }
    }

    /** @return why {@code --output} cannot be written (before any input is read), or null when it may be. */
    private String unwritableOutput()
    {
        if (output == null)
        {
            return null;
        }
        final Path path = Path.of(output).toAbsolutePath();
        if (Files.isDirectory(path))
        {
            return "it is a directory";
        }
        final Path parent = path.getParent();
        return parent != null && !Files.isDirectory(parent) ?
            parent + ": no such directory (httpcap does not create directories)" : null;
    }

    private int writeReport(final StatsReport report) throws IOException
    {
        if ("json".equals(format))
        {
            // Bytes as built (tens of MB for a big capture's conversations): no String in between.
            if (output != null)
            {
                final Path path = Path.of(output);
                try (java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(path), 1 << 16))
                {
                    report.writeJson(out);
                }
                catch (final IOException | RuntimeException ex)
                {
                    // Streamed: a failure midway (a full disk) would leave a cut report that looks like one.
                    if (Files.isRegularFile(path))
                    {
                        Files.deleteIfExists(path);
                    }
                    throw ex;
                }
            }
            else
            {
                report.writeJson(System.out);
                System.out.flush();
            }
            return 0;
        }
        final String text = switch (format)
        {
            case "html" -> HtmlReport.render(report);
            default -> report.text(top, intervalFixed);
        };
        if (output != null)
        {
            Files.writeString(Path.of(output), text, StandardCharsets.UTF_8);
        }
        else
        {
            System.out.print(text);
            System.out.flush();
        }
        return 0;
    }

    private String name()
    {
        return "-".equals(file) ? "standard input" : file;
    }

    private InputStream open() throws IOException, CaptureFileException
    {
        if ("-".equals(file))
        {
            return new BufferedInputStream(System.in, 1 << 16);
        }
        final Path path = Path.of(file);
        if (Files.isDirectory(path))
        {
            throw new CaptureFileException("'" + file + "' is a directory, not a capture or NDJSON file");
        }
        if (!Files.isReadable(path))
        {
            throw new CaptureFileException("cannot read '" + file + "': " + (Files.exists(path) ? "permission denied" : "no such file"));
        }
        return new BufferedInputStream(Files.newInputStream(path), 1 << 16);
    }

    /** A pcap or pcapng magic number; anything else is read as NDJSON. */
    private static boolean isCapture(final InputStream in) throws IOException
    {
        in.mark(8);
        final byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length < 4)
        {
            return false;
        }
        final int m = (magic[0] & 0xff) << 24 | (magic[1] & 0xff) << 16 | (magic[2] & 0xff) << 8 | (magic[3] & 0xff);
        return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 || m == 0x0a0d0d0a;
    }

    /** Run the pipeline over the capture; @return its per-interval frame counts, or null when it failed. */
    private PacketIntervals capture(final InputStream in, final StatsCollector collector,
        final Map<String, Map<String, Long>> ledger, final long intervalNanos) throws Exception
    {
        final PipelineConfig config = config();
        if (config.filter() != null)
        {
            BpfCompiler.compile(config.filter(), LINKTYPE_ETHERNET, Frames.MAX_FRAME_LENGTH);
        }
        // A file is mapped; anything else (standard input, a named pipe) was opened once already, by open(),
        // and is read on from there.
        try (PacketSource source = Files.isRegularFile(Path.of(file)) && !"-".equals(file) ? CaptureFiles.open(file) :
            CaptureFiles.open(in, name()))
        {
            final PacketIntervals packets = run(config, source, null, collector, ledger, intervalNanos);
            damage = source.fileCounters().damage();
            return packets;
        }
    }

    /**
     * {@code --interface}: capture live (AF_PACKET, the capture filter run by the kernel, payloads
     * copied into the packet ring) until {@code --duration} or a signal, then drain.
     */
    private PacketIntervals live(final StatsCollector collector, final Map<String, Map<String, Long>> ledger,
        final long intervalNanos) throws Exception
    {
        final PipelineConfig config = config().clockTickNanos(TimeUnit.SECONDS.toNanos(1));
        final BpfProgram kernelFilter = config.filter() != null ?
            BpfCompiler.compile(config.filter(), LinkTypes.ETHERNET, Frames.MAX_FRAME_LENGTH) : null;
        config.filter(null);
        try (AfPacketSource capture = new AfPacketSource(interfaceName, LIVE_RING_MB << 20, LIVE_BLOCK_KB << 10,
            LIVE_RETIRE_MS, kernelFilter, true))
        {
            final LiveSource.Control control = new LiveSource.Control(0, (long)(durationSeconds * 1e9),
                TimeUnit.MILLISECONDS.toNanos(2L * LIVE_RETIRE_MS + 50));
            try (LiveSource source = new LiveSource(capture, null, control, false))
            {
                System.err.println("httpcap: capturing on " + interfaceName + " (AF_PACKET, TPACKET_V3, " + LIVE_RING_MB +
                    " MiB ring" + (kernelFilter != null ? ", filter '" + options.filter + "'" : "") + ")" +
                    (durationSeconds > 0 ? " for " + durationSeconds + " s" : "; SIGINT to stop"));
                final PacketIntervals packets = run(config, source, control, collector, ledger, intervalNanos);
                if (packets != null)
                {
                    final Map<String, Long> kernel = new LinkedHashMap<>();
                    kernel.put("captured", capture.kernelPackets());
                    kernel.put("dropped", capture.kernelDrops());
                    kernel.put("interface_dropped", capture.interfaceDrops());
                    kernel.put("loopback_outgoing_skipped", capture.outgoingSkipped());
                    ledger.put("kernel", kernel);
                }
                return packets;
            }
        }
    }

    private PipelineConfig config()
    {
        // Stats need the connection records (conv,tcp) and the Host header (http_req/http_srv trees).
        options.flows = true;
        options.headers = switch (options.headers)
        {
            case "all" -> "all";
            case "none", "default" -> "host";
            default -> options.headers + ",host";
        };
        final PipelineConfig config = options.config(BackPressure.BLOCK);
        PipelineOptions.checkMemory(config, 1, config.ringSlots(), true);
        return config;
    }

    /** @param control a live capture's (stopped at a signal), or null: a file's (the pipeline stops). */
    private PacketIntervals run(final PipelineConfig config, final PacketSource source, final LiveSource.Control control,
        final StatsCollector collector, final Map<String, Map<String, Long>> ledger, final long intervalNanos) throws Exception
    {
        // Each worker adds its events up itself (no JSON, no hand-off); the collectors are merged at the end.
        final StatsTap[] taps = new StatsTap[config.workers()];
        final StatsCollector[] collectors = new StatsCollector[taps.length + 1];
        collectors[0] = collector;
        for (int i = 0; i < taps.length; i++)
        {
            taps[i] = new StatsTap(new StatsCollector(intervalNanos, Long.MIN_VALUE));
            collectors[i + 1] = taps[i].collector();
        }
        config.eventTaps(i -> taps[i]);
        final List<EventSink> sinks = new ArrayList<>();
        final PrintStream err = System.err;
        try
        {
            if (!options.sinkSpecs.isEmpty())
            {
                options.openSinks(sinks, false);
            }
            final PacketIntervals packets = new PacketIntervals(source, intervalNanos, collectors);
            final Pipeline pipeline = new Pipeline(config, sinks);
            final AtomicInteger signals = new AtomicInteger();
            Signals.onInterrupt(() ->
            {
                if (signals.incrementAndGet() > 1)
                {
                    Runtime.getRuntime().halt(130);
                }
                stopRequested = true;
                if (control != null)
                {
                    control.stop();
                }
                else
                {
                    pipeline.requestStop();
                }
            });
            final PipelineReport run = pipeline.run(packets);
            if (run.failure() != null)
            {
                run.lines().forEach(err::println);
                err.println("httpcap: " + (run.failure().getMessage() != null ? run.failure().getMessage() : run.failure()));
                return null;
            }
            long analysed = 0;
            for (final StatsTap tap : taps)
            {
                collector.merge(tap.collector());
                analysed += tap.events();
            }
            ledger(run, analysed, packets, ledger);
            return packets;
        }
        finally
        {
            for (final EventSink sink : sinks)
            {
                sink.close();
            }
        }
    }

    /** The loss ledger of a run: every packet, connection and event accounted for ({@code packets} may be null: live). */
    static void ledger(final PipelineReport run, final long analysed, final PacketIntervals packets,
        final Map<String, Map<String, Long>> ledger)
    {
        final Map<String, Long> frames = new LinkedHashMap<>();
        frames.put("read", run.packetsRead());
        frames.put("decoded", run.decoded());
        if (run.filtered() > 0)
        {
            frames.put("filtered", run.filtered()); // as read's report: read = decoded + filtered + dropped
        }
        frames.put("dropped", run.dropped());
        frames.putAll(run.drops());
        if (packets != null)
        {
            frames.put("wire_bytes", packets.wireBytes());
        }
        ledger.put("packets", frames);
        if (!run.fileAnomalies().isEmpty())
        {
            ledger.put("file", run.fileAnomalies());
        }
        final Map<String, Long> flows = new LinkedHashMap<>(run.flows());
        flows.put("midstream", run.midstreamFlows());
        ledger.put("flows", flows);
        ledger.put("reassembly", run.reassembly());
        ledger.put("http", run.http());
        final Map<String, Long> events = new LinkedHashMap<>();
        events.put("emitted", run.eventsEmitted());
        events.put("dropped", run.eventsDropped());
        events.put("analysed", analysed);
        ledger.put("events", events);
        if (run.workerErrors() > 0)
        {
            ledger.put("errors", Map.of("worker_errors", run.workerErrors()));
        }
    }
}
