package dev.httpcap.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import dev.httpcap.app.analysis.StatsPublisher;
import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.ConfigFile;
import dev.httpcap.app.cli.Option.Type;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.capture.AfPacketSource;
import dev.httpcap.capture.BpfCompiler;
import dev.httpcap.capture.BpfProgram;
import dev.httpcap.capture.CaptureFileException;
import dev.httpcap.capture.LibpcapSource;
import dev.httpcap.capture.LinkTypes;
import dev.httpcap.capture.LivePacketSource;
import dev.httpcap.capture.RotatingPcapWriter;
import dev.httpcap.common.Frames;
import dev.httpcap.decoders.event.Observer;
import dev.httpcap.pipeline.BackPressure;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.pipeline.PipelineReport;
import dev.httpcap.sinks.EventSink;

/**
 * {@code httpcap live --interface IF}: capture from a Linux interface and write its events. Two
 * engines: AF_PACKET with a TPACKET_V3 ring (the default, the fast path; {@code --fanout K} spreads
 * the interface over K sockets, capture threads and pipelines) or libpcap through pcap4j (portable).
 * Either way the filter runs in the kernel.
 * <p>
 * Order of start-up: the capture sockets are opened first (they need root or CAP_NET_RAW), then
 * {@code --user} gives up root, and only then are the {@code --write} files and the sinks opened —
 * as the unprivileged user, so a path on the command line can never make root overwrite a file it
 * should not, and the files belong to that user (tcpdump opens {@code -w} after {@code -Z} too).
 */
final class LiveCommand
{
    /**
     * The kernel ring is the live capture's buffer (the workers read frames in place in it, and a
     * full pipeline stops the capture thread taking blocks): big enough for a start under load,
     * while the JIT warms up (see README, "Sizing the kernel ring").
     */
    private static final int DEFAULT_BUFFER_MB = 256;
    private static final int DEFAULT_BLOCK_KB = 1024;
    private static final int DEFAULT_RETIRE_MS = 20;
    private static final double DEFAULT_STATS_INTERVAL_SECONDS = 10;
    private static final int DEFAULT_WRITE_KEEP = 10;
    private static final double DEFAULT_STATS_SINK_INTERVAL_SECONDS = 10;

    static final Option INTERFACE = Option.value("--interface", "IF", Type.STRING,
        "interface to capture on (see 'ip link')").shortName("-i").required();
    static final Option ENGINE = Option.value("--engine", "ENGINE", Type.STRING,
        "afpacket (AF_PACKET TPACKET_V3 ring; the default) or pcap (libpcap through pcap4j: portable, slower)");
    static final Option DURATION = Option.value("--duration", "SECONDS", Type.DOUBLE,
        "stop after this many seconds (default: until SIGINT/SIGTERM)");
    static final Option COUNT = Option.value("--count", "N", Type.LONG, "stop after N packets").shortName("-c");
    static final Option SNAPLEN = Option.value("--snaplen", "N", Type.INT,
        "bytes kept of each frame (the kernel cuts the rest)").shortName("-s").defaultValue(Frames.MAX_FRAME_LENGTH);
    static final Option PROMISC = Option.negatable("--promisc",
        "put the interface in promiscuous mode while capturing (the default; --no-promisc: only traffic to this host)");
    static final Option BUFFER_MB = Option.value("--buffer-mb", "MB", Type.INT,
        "kernel receive ring (afpacket, per socket: the live buffer; bytes/s x seconds of stall to absorb) " +
            "or buffer (pcap) size").defaultValue(DEFAULT_BUFFER_MB);
    static final Option BLOCK_KB = Option.value("--block-kb", "KB", Type.INT,
        "afpacket: ring block size, a power of two >= 128").defaultValue(DEFAULT_BLOCK_KB);
    static final Option RETIRE_MS = Option.value("--retire-ms", "MS", Type.INT,
        "afpacket: the kernel hands over a partly filled block after this long").defaultValue(DEFAULT_RETIRE_MS);
    static final Option ZERO_COPY = Option.negatable("--zero-copy",
        "afpacket: the workers read payloads in place in the kernel ring, whose blocks go back once read (the default; " +
            "--no-zero-copy: each payload is copied into the packet ring and its block goes back at once)");
    static final Option FANOUT = Option.value("--fanout", "K", Type.INT,
        "afpacket: K sockets in one PACKET_FANOUT group (flow hash), each with its own capture thread, ring " +
            "and --workers workers; the sinks are shared").defaultValue(1);
    static final Option CPUS = Option.value("--cpus", "SPEC", Type.STRING,
        "pin threads: none (the default) or e.g. capture=0,workers=1-3,sink=4 (threads of a kind take its CPUs in turn)");
    static final Option USER = Option.value("--user", "NAME", Type.STRING,
        "once the capture is open, drop root and run as this user (and its primary group), like tcpdump -Z; " +
            "--write files and sinks are then opened as that user").shortName("-Z");
    static final Option STATS_INTERVAL = Option.value("--stats-interval", "SECONDS", Type.DOUBLE,
        "print a statistics line on standard error this often (0: never)").defaultValue(DEFAULT_STATS_INTERVAL_SECONDS);
    static final Option STATS_SINK = Option.value("--stats-sink", "kafka://HOST:PORT/TOPIC", Type.STRING,
        "publish the statistics of each --stats-sink-interval as a mergeable snapshot to TOPIC (httpcap stats " +
            "--from kafka://HOST:PORT/TOPIC merges every agent's); --kafka-prop options apply to its producer");
    static final Option STATS_SINK_INTERVAL = Option.value("--stats-sink-interval", "SECONDS", Type.DOUBLE,
        "with --stats-sink: the window each snapshot covers").defaultValue(DEFAULT_STATS_SINK_INTERVAL_SECONDS);
    static final Option WRITE = Option.value("--write", "FILE", Type.STRING,
        "also record every captured frame to this pcap file, like tcpdump -w (with --fanout K: FILE-0 ... FILE-(K-1), " +
            "one per socket)").shortName("-w");
    static final Option WRITE_ROTATE_MB = Option.value("--write-rotate-mb", "MB", Type.LONG,
        "start FILE.1, FILE.2, ... when the file would pass this size (0: never)");
    static final Option WRITE_KEEP = Option.value("--write-keep", "N", Type.INT,
        "with --write-rotate-mb: finished files kept besides the one being written (older ones are deleted)")
        .defaultValue(DEFAULT_WRITE_KEEP);
    static final Option WRITE_CACHE = Option.value("--write-cache", "POLICY", Type.CHOICE,
        "drop: what --write wrote leaves the page cache a few tens of MB behind the end of the file, so a long " +
            "recording does not fill memory (like a file sink's cache=drop); keep: the kernel's default")
        .choices("drop", "keep").defaultValue("drop");

    static final List<Option> OPTIONS = List.of(INTERFACE, ENGINE, DURATION, COUNT, SNAPLEN, PROMISC, BUFFER_MB, BLOCK_KB,
        RETIRE_MS, ZERO_COPY, FANOUT, CPUS, USER, STATS_INTERVAL, STATS_SINK, STATS_SINK_INTERVAL, WRITE, WRITE_ROTATE_MB,
        WRITE_KEEP, WRITE_CACHE);

    final String interfaceName;
    final String engine;
    final double durationSeconds;
    final long count;
    final int snaplen;
    final boolean promiscuous;
    final int bufferMb;
    final int blockKb;
    final int retireMillis;
    final boolean zeroCopy;
    final int fanout;
    final String cpus;
    final String user;
    final double statsIntervalSeconds;
    final String statsSink;
    final double statsSinkIntervalSeconds;
    final Path writeFile;
    final long writeRotateMb;
    final int writeKeep;
    final boolean writeKeepGiven;
    final String writeCache;
    final boolean writeCacheGiven;
    final PipelineOptions options;
    /** The values as given (for where a bad one came from). */
    private final ParsedArgs args;

    LiveCommand(final ParsedArgs args)
    {
        this.args = args;
        interfaceName = args.string(INTERFACE, null);
        engine = args.string(ENGINE, "afpacket");
        durationSeconds = args.doubleValue(DURATION, 0);
        count = args.longValue(COUNT, 0);
        snaplen = args.intValue(SNAPLEN, Frames.MAX_FRAME_LENGTH);
        promiscuous = args.flag(PROMISC, true);
        bufferMb = args.intValue(BUFFER_MB, DEFAULT_BUFFER_MB);
        blockKb = args.intValue(BLOCK_KB, DEFAULT_BLOCK_KB);
        retireMillis = args.intValue(RETIRE_MS, DEFAULT_RETIRE_MS);
        zeroCopy = args.flag(ZERO_COPY, true);
        fanout = args.intValue(FANOUT, 1);
        cpus = args.string(CPUS, "none");
        user = args.string(USER, null);
        statsIntervalSeconds = args.doubleValue(STATS_INTERVAL, DEFAULT_STATS_INTERVAL_SECONDS);
        statsSink = args.string(STATS_SINK, null);
        statsSinkIntervalSeconds = args.doubleValue(STATS_SINK_INTERVAL, DEFAULT_STATS_SINK_INTERVAL_SECONDS);
        writeFile = args.isSet(WRITE) ? Path.of(args.string(WRITE, null)) : null;
        writeRotateMb = args.longValue(WRITE_ROTATE_MB, 0);
        writeKeep = args.intValue(WRITE_KEEP, DEFAULT_WRITE_KEEP);
        writeKeepGiven = args.isSet(WRITE_KEEP);
        writeCache = args.choice(WRITE_CACHE, "drop");
        writeCacheGiven = args.isSet(WRITE_CACHE);
        options = new PipelineOptions().apply(args);
    }

    static CommandSpec spec()
    {
        return new CommandSpec("httpcap live",
            "Capture live from a network interface (Linux AF_PACKET/TPACKET_V3, or libpcap) and write its events.", true)
            .options(OPTIONS)
            .options(PipelineOptions.OPTIONS)
            .options(List.of(ConfigFile.OPTION));
    }

    int call() throws Exception
    {
        final PrintStream err = System.err;
        final PipelineConfig config;
        final BpfProgram kernelFilter;
        final CpuSpec cpuSpec;
        final boolean pcap;
        try
        {
            pcap = validate();
            cpuSpec = CpuSpec.parse(cpus);
            // Block by default: a full ring stops the capture thread taking blocks, the kernel ring
            // buffers, and the only loss is the kernel's own, counted (PACKET_STATISTICS).
            config = options.config(BackPressure.BLOCK).clockTickNanos(TimeUnit.SECONDS.toNanos(1))
                .observer(Observer.live(interfaceName));
            // AF_PACKET: the filter's return value is the snap length, so a shorter snaplen with no
            // filter still needs a (match-everything) program.
            kernelFilter = pcap ? null : config.filter() != null ?
                BpfCompiler.compile(config.filter(), LinkTypes.ETHERNET, snaplen) :
                snaplen < Frames.MAX_FRAME_LENGTH ? BpfCompiler.compile("", LinkTypes.ETHERNET, snaplen) : null;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            err.println("httpcap: " + args.explain(ex.getMessage()));
            return 2;
        }
        return run(err, config, kernelFilter, cpuSpec, pcap);
    }

    /**
     * Every check of the options that needs no capture, no file and no privilege (also
     * {@code httpcap config check}).
     *
     * @return whether the engine is libpcap.
     * @throws IllegalArgumentException with a one-line message naming the option.
     */
    boolean validate()
    {
        return validate(true);
    }

    /**
     * @param probeHeap whether to make a worker to measure whether the workers fit the heap (not on a
     *                  reload: see {@link PipelineOptions#checkMemory}).
     * @return whether the engine is libpcap.
     * @throws IllegalArgumentException with a one-line message naming the option.
     */
    boolean validate(final boolean probeHeap)
    {
        final boolean pcap = switch (engine)
        {
            case "afpacket", "af_packet", "af-packet" -> false;
            case "pcap", "libpcap" -> true;
            default -> throw new IllegalArgumentException("--engine must be afpacket or pcap: " + engine);
        };
        if (blockKb < 128 || Integer.bitCount(blockKb) != 1)
        {
            throw new IllegalArgumentException("--block-kb must be a power of two of at least 128: " + blockKb);
        }
        if (bufferMb < 1 || bufferMb > 16 * 1024 || (long)bufferMb * 1024 < 2L * blockKb)
        {
            throw new IllegalArgumentException("--buffer-mb must hold at least two blocks (and be at most 16384): " + bufferMb);
        }
        if (snaplen < 64 || snaplen > Frames.MAX_FRAME_LENGTH)
        {
            throw new IllegalArgumentException("--snaplen must be between 64 and " + Frames.MAX_FRAME_LENGTH + ": " + snaplen);
        }
        if (fanout < 1 || fanout > 64)
        {
            throw new IllegalArgumentException("--fanout must be between 1 and 64: " + fanout);
        }
        if (fanout > 1 && pcap)
        {
            throw new IllegalArgumentException("--fanout needs --engine afpacket");
        }
        checkLimits();
        if (statsSink != null && !statsSink.matches("kafka://[^/?]+/[^/?]+"))
        {
            throw new IllegalArgumentException("--stats-sink takes kafka://HOST:PORT[,HOST:PORT]/TOPIC: " + statsSink);
        }
        if (!(statsSinkIntervalSeconds >= 0.1) || statsSinkIntervalSeconds > 86_400)
        {
            throw new IllegalArgumentException("--stats-sink-interval must be from 0.1 to 86400 seconds: " + statsSinkIntervalSeconds);
        }
        CpuSpec.parse(cpus);
        final PipelineConfig config = options.config(BackPressure.DROP);
        // Judged at the size it will have: zero copy lowers the ring to what the kernel ring holds.
        final int ringSlots = !pcap && zeroCopy ?
            ringSlotsFitting(config, AfPacketSource.smallestFramesHeld(bufferMb * 1024 * 1024, blockKb * 1024)) :
            config.ringSlots();
        PipelineOptions.checkMemory(config, fanout, ringSlots, probeHeap);
        options.checkSinks();
        if (config.filter() != null)
        {
            ReadCommand.checkFilter(config.filter(), snaplen);
        }
        return pcap;
    }

    private int run(final PrintStream err, final PipelineConfig config, final BpfProgram kernelFilter, final CpuSpec cpuSpec,
        final boolean pcap) throws Exception
    {
        if (!cpuSpec.none())
        {
            // Before --user: the native side is loaded while the process may still write where it must.
            final String unavailable = PinnedThreadFactory.unavailableReason();
            if (unavailable != null)
            {
                err.println("httpcap: thread pinning is not available here (" + unavailable + "); threads run unpinned");
            }
            else
            {
                final Consumer<String> warn = line -> err.println("httpcap: " + line);
                config.captureThreadFactory(new PinnedThreadFactory(cpuSpec.cpus(CpuSpec.CAPTURE), warn))
                    .workerThreadFactory(new PinnedThreadFactory(cpuSpec.cpus(CpuSpec.WORKERS), warn))
                    .sinkThreadFactory(new PinnedThreadFactory(cpuSpec.cpus(CpuSpec.SINK), warn));
            }
        }

        final List<LivePacketSource> captures = new ArrayList<>();
        final String description;
        try
        {
            if (pcap)
            {
                final LibpcapSource source = new LibpcapSource(
                    interfaceName, snaplen, promiscuous, bufferMb * 1024 * 1024, config.filter());
                captures.add(source);
                description = "libpcap via pcap4j, immediate mode, " + bufferMb + " MiB buffer, " +
                    (source.nanosecondTimestamps() ? "nanosecond" : "microsecond") + " timestamps";
            }
            else if (fanout > 1)
            {
                final List<AfPacketSource> sockets = AfPacketSource.openFanout(
                    fanout, interfaceName, bufferMb * 1024 * 1024, blockKb * 1024, retireMillis, kernelFilter, promiscuous);
                captures.addAll(sockets);
                description = "AF_PACKET, TPACKET_V3, fanout " + fanout + " (hash, group " + sockets.get(0).fanoutGroup() +
                    "), " + bufferMb + " MiB ring each";
            }
            else
            {
                captures.add(new AfPacketSource(
                    interfaceName, bufferMb * 1024 * 1024, blockKb * 1024, retireMillis, kernelFilter, promiscuous));
                description = "AF_PACKET, TPACKET_V3, " + bufferMb + " MiB ring";
            }
            if (!pcap && zeroCopy)
            {
                fitRingToKernelRing(config, (AfPacketSource)captures.get(0), err);
            }
        }
        catch (final CaptureFileException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 1;
        }

        final List<EventSink> sinks = new ArrayList<>();
        final List<LiveSource> sources = new ArrayList<>();
        LiveStats liveStats = null;
        try
        {
            if (user != null)
            {
                err.println("httpcap: " + PrivilegeDrop.dropTo(user));
            }
            final LiveSource.Control control = new LiveSource.Control(count, (long)(durationSeconds * 1e9),
                TimeUnit.MILLISECONDS.toNanos(2L * retireMillis + 50));
            for (int lane = 0; lane < captures.size(); lane++)
            {
                final LivePacketSource capture = captures.get(lane);
                RotatingPcapWriter recorder = null;
                if (writeFile != null)
                {
                    final Path file = captures.size() == 1 ? writeFile : lanePath(writeFile, lane);
                    try
                    {
                        // A VLAN tag the kernel took out is put back: 4 bytes more than the snap length.
                        recorder = new RotatingPcapWriter(file, capture.linkType(),
                            Math.min(snaplen + 4, Frames.MAX_FRAME_LENGTH), writeRotateMb * 1024 * 1024, writeKeep,
                            "drop".equals(writeCache));
                    }
                    catch (final IOException ex)
                    {
                        throw new IllegalStateException("--write: cannot write '" + file + "': " + IoErrors.describe(ex) +
                            (user != null ? " (as user " + user + ")" : ""), ex);
                    }
                }
                sources.add(new LiveSource(capture, recorder, control, zeroCopy));
            }
            // Taken before the sinks open, so a signal then still drains and reports.
            final AtomicInteger signals = new AtomicInteger();
            Signals.onInterrupt(() ->
            {
                if (signals.incrementAndGet() > 1)
                {
                    Runtime.getRuntime().halt(130);
                }
                err.println();
                err.println("httpcap: stopping: draining the capture and the pipeline (signal again to exit at once)");
                control.stop();
            });
            options.openSinks(sinks, true);
            // The kernel already filters; the pipeline need not run the program again.
            final Pipeline pipeline = new Pipeline(config.filter(null), sinks);
            if (statsSink != null)
            {
                liveStats = new LiveStats(new StatsPublisher(statsSink, options.kafkaProps,
                    Duration.ofSeconds(Math.max(10, options.kafkaCloseSeconds))), statsSinkIntervalSeconds, err);
                liveStats.attach(config, pipeline);
                Thread.ofPlatform().daemon().name("httpcap-stats-sink").start(liveStats);
            }
            err.println("httpcap: capturing on " + interfaceName + " (" + description +
                (snaplen < Frames.MAX_FRAME_LENGTH ? ", snaplen " + snaplen : "") +
                (promiscuous ? "" : ", not promiscuous") +
                (cpuSpec.none() ? "" : ", cpus " + cpuSpec) +
                (config.filter() != null ? ", filter '" + config.filter() + "'" : "") + ")");

            final AtomicBoolean done = new AtomicBoolean();
            // Started even with --stats-interval 0: a reload may turn it on.
            final StatsPrinter printer = new StatsPrinter(err, pipeline, captures,
                () -> recorderTrouble(sources), (long)(statsIntervalSeconds * 1e9), done);
            final Thread stats = Thread.ofPlatform().daemon().name("httpcap-stats").start(printer);
            final Reloader reloader = new Reloader(args, pipeline, sinks, printer, err);
            Signals.onHangup(reloader::reload);
            final PipelineReport report;
            final MetricsEndpoint metrics = options.startMetrics(pipeline, sinks);
            registerKernelCounters(pipeline, captures, interfaceName);
            try
            {
                report = pipeline.run(sources);
            }
            finally
            {
                if (metrics != null)
                {
                    metrics.close();
                }
                done.set(true);
                if (stats != null)
                {
                    stats.interrupt();
                    stats.join();
                }
            }
            for (final LiveSource source : sources)
            {
                source.close();
            }
            for (final String line : report.lines())
            {
                err.println(line);
            }
            if (liveStats != null)
            {
                liveStats.finish(report);
            }
            err.println(kernelLine(captures));
            err.println("stalls: " + pipeline.stalls().describe());
            if (writeFile != null)
            {
                err.println(recorderLine(sources));
            }
            if (report.failure() != null)
            {
                err.println("httpcap: " + report.failure());
                return 1;
            }
            return liveStats != null && liveStats.failed() > 0 ? 1 : 0;
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 2;
        }
        catch (final IllegalStateException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 1;
        }
        finally
        {
            for (final LiveSource source : sources)
            {
                source.close();
            }
            for (final LivePacketSource capture : captures)
            {
                capture.close();
            }
            for (final EventSink sink : sinks)
            {
                sink.close();
            }
        }
    }

    /**
     * The workers read frames in place in the kernel ring, so a packet in the pipeline ring holds
     * its block. If a full pipeline ring of the smallest frames could hold every block but one, the
     * kernel ring, not the pipeline ring, would be what fills first; the pipeline ring is then
     * lowered to what the kernel ring holds, and the user is told. (Nothing can deadlock either way:
     * the workers never wait for the capture thread, so lent blocks always come back.)
     */
    private static void fitRingToKernelRing(final PipelineConfig config, final AfPacketSource socket, final PrintStream err)
    {
        final long fits = socket.smallestFramesHeld();
        final int slots = ringSlotsFitting(config, fits);
        if (slots >= config.ringSlots())
        {
            return;
        }
        err.println("httpcap: a full packet ring of " + config.ringSlots() + " slots could need more blocks than the " +
            socket.blockCount() + " x " + socket.blockBytes() / 1024 + " KiB kernel ring has (all but one hold " + fits +
            " of the smallest frames); --ring-slots lowered to " + slots + " (a larger --buffer-mb keeps it)");
        config.ringSlots(slots);
    }

    /** @return the packet ring's slots once fitted to a kernel ring that holds {@code fits} of the smallest frames. */
    private static int ringSlotsFitting(final PipelineConfig config, final long fits)
    {
        if (config.ringSlots() <= fits)
        {
            return config.ringSlots();
        }
        // Never below what the pipeline needs to copy the largest frame (a VLAN-tagged one) twice.
        final int slotsPerLargestFrame = (Frames.MAX_FRAME_LENGTH + config.slotBytes() - 1) / config.slotBytes();
        final int least = Math.max(64, Integer.highestOneBit(2 * slotsPerLargestFrame - 1) << 1);
        return Math.min(config.ringSlots(), Math.max(least, Integer.highestOneBit((int)Math.min(Integer.MAX_VALUE, fits))));
    }

    /** The options a value of the right type can still get wrong: negative times and counts, --write-* alone. */
    private void checkLimits()
    {
        if (!(durationSeconds >= 0) || Double.isInfinite(durationSeconds))
        {
            throw new IllegalArgumentException("--duration must be a number of seconds >= 0 (0: until stopped): " +
                seconds(durationSeconds));
        }
        if (count < 0)
        {
            throw new IllegalArgumentException("--count must be >= 0 (0: no limit): " + count);
        }
        if (!(statsIntervalSeconds >= 0) || Double.isInfinite(statsIntervalSeconds))
        {
            throw new IllegalArgumentException("--stats-interval must be a number of seconds >= 0 (0: never): " +
                seconds(statsIntervalSeconds));
        }
        if (retireMillis < 1)
        {
            throw new IllegalArgumentException("--retire-ms must be >= 1: " + retireMillis);
        }
        if (writeRotateMb < 0 || writeRotateMb > Long.MAX_VALUE >> 20)
        {
            throw new IllegalArgumentException("--write-rotate-mb must be >= 0 (0: never rotate): " + writeRotateMb);
        }
        if (writeKeep < 0)
        {
            throw new IllegalArgumentException("--write-keep must be >= 0: " + writeKeep);
        }
        if (writeFile == null && (writeRotateMb != 0 || writeKeepGiven))
        {
            throw new IllegalArgumentException((writeKeepGiven ? "--write-keep" : "--write-rotate-mb") + " needs --write FILE");
        }
        if (writeKeepGiven && writeRotateMb == 0)
        {
            throw new IllegalArgumentException("--write-keep needs --write-rotate-mb (without it there is one file)");
        }
        if (writeFile == null && writeCacheGiven)
        {
            throw new IllegalArgumentException("--write-cache needs --write FILE");
        }
    }

    static String seconds(final double seconds)
    {
        return seconds == Math.rint(seconds) && !Double.isInfinite(seconds) ? Long.toString((long)seconds) : Double.toString(seconds);
    }

    /** {@code capture.pcap} → {@code capture-1.pcap}; {@code capture} → {@code capture-1}. */
    static Path lanePath(final Path file, final int lane)
    {
        final String name = file.getFileName().toString();
        final int dot = name.lastIndexOf('.');
        final String laneName = dot > 0 ? name.substring(0, dot) + "-" + lane + name.substring(dot) : name + "-" + lane;
        return file.resolveSibling(laneName);
    }

    /** The kernel's own counters of each socket, in the pipeline's registry (for /metrics; the report has its {@link #kernelLine}). */
    private static void registerKernelCounters(
        final Pipeline pipeline, final List<LivePacketSource> captures, final String interfaceName)
    {
        final dev.httpcap.pipeline.CounterRegistry.Family packets = pipeline.counters().counter(
            "kernel_packets", "packets the kernel captured for the socket", "interface", "socket").notInReport();
        final dev.httpcap.pipeline.CounterRegistry.Family drops = pipeline.counters().anomaly(
            "kernel_drops", "packets the kernel dropped because the capture buffer was full", "interface", "socket")
            .notInReport();
        for (int i = 0; i < captures.size(); i++)
        {
            final LivePacketSource capture = captures.get(i);
            packets.add(capture::kernelPackets, interfaceName, Integer.toString(i));
            drops.add(capture::kernelDrops, interfaceName, Integer.toString(i));
        }
    }

    /** The kernel's own counters, added up over the sockets. */
    private static String kernelLine(final List<LivePacketSource> captures)
    {
        long packets = 0;
        long drops = 0;
        long interfaceDrops = 0;
        long outgoing = 0;
        long mostHeld = 0;
        long allHeld = 0;
        int blocks = 0;
        for (final LivePacketSource capture : captures)
        {
            packets += capture.kernelPackets();
            drops += capture.kernelDrops();
            interfaceDrops += capture.interfaceDrops();
            outgoing += capture.outgoingSkipped();
            if (capture instanceof AfPacketSource socket)
            {
                blocks = socket.blockCount();
                mostHeld = Math.max(mostHeld, socket.mostBlocksHeld());
                allHeld += socket.allBlocksHeld();
            }
        }
        return "kernel: " + packets + " packets captured, " + drops + " dropped (ring full)" +
            (captures.size() > 1 ? " over " + captures.size() + " fanout sockets" : "") +
            (blocks > 0 ? "; blocks lent to the workers: at most " + mostHeld + " of " + blocks +
                (allHeld > 0 ? ", all of them " + allHeld + " time(s)" : "") : "") +
            (interfaceDrops > 0 ? ", " + interfaceDrops + " dropped by the interface" : "") +
            (outgoing > 0 ? ", " + outgoing + " loopback outgoing duplicates skipped" : "");
    }

    private static String recorderLine(final List<LiveSource> sources)
    {
        long packets = 0;
        int files = 0;
        for (final LiveSource source : sources)
        {
            packets += source.recordedPackets();
            files += source.recordedFiles();
        }
        final String trouble = recorderTrouble(sources);
        return "write: " + packets + " packets in " + files + " file(s)" + (trouble != null ? "; " + trouble : "");
    }

    /**
     * @return what went wrong with {@code --write} so far ("recording stopped: ...", "--write-cache drop
     * stopped: ...", the first of each over the sockets), or null. Any thread: the stats line asks too.
     */
    private static String recorderTrouble(final List<LiveSource> sources)
    {
        String error = null;
        String cacheFailure = null;
        for (final LiveSource source : sources)
        {
            error = error != null ? error : source.recorderError();
            cacheFailure = cacheFailure != null ? cacheFailure : source.recorderCacheFailure();
        }
        if (error == null && cacheFailure == null)
        {
            return null;
        }
        return (error != null ? "recording stopped: " + error : "") + (error != null && cacheFailure != null ? "; " : "") +
            (cacheFailure != null ? "--write-cache drop stopped: " + cacheFailure : "");
    }
}
