package dev.httpcap.app;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.httpcap.capture.BpfCompiler;
import dev.httpcap.capture.CaptureFileException;
import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.pipeline.BackPressure;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.pipeline.PipelineReport;
import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.SinkSpecs;

/** {@code httpcap read FILE}: decode a pcap or pcapng file (or standard input) into events. */
@Command(
    name = "read",
    mixinStandardHelpOptions = true,
    description = "Read a pcap or pcapng capture file ('-' for standard input) and write its events.",
    sortOptions = false)
final class ReadCommand implements Callable<Integer>
{
    private static final int LINKTYPE_ETHERNET = 1;

    @Parameters(index = "0", paramLabel = "FILE", description = "pcap or pcapng file, or '-' for standard input")
    String file;

    @Option(names = "--sink", paramLabel = "SPEC",
        description = "where events go; repeat for several: stdout (readable lines, the default), stdout:json, " +
            "file:PATH[?rotate-mb=N&keep=K&format=json|text]")
    List<String> sinkSpecs = new ArrayList<>();

    @Option(names = "--workers", paramLabel = "N", description = "worker threads (shards of the flow table); default ${DEFAULT-VALUE}")
    int workers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));

    @Option(names = "--filter", paramLabel = "EXPR", description = "tcpdump-style capture filter, compiled by libpcap")
    String filter;

    @Option(names = "--back-pressure", paramLabel = "POLICY",
        description = "when workers or sinks fall behind: block (default for files: nothing is lost) or drop (count and go on)")
    BackPressure backPressure = BackPressure.BLOCK;

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

    @Option(names = "--progress", paramLabel = "WHEN", description = "progress bar on standard error: auto (when it is a terminal), always, never")
    String progress = "auto";

    @Override
    public Integer call() throws Exception
    {
        final PrintStream err = System.err;
        final PipelineConfig config;
        try
        {
            config = new PipelineConfig()
                .workers(workers)
                .ringSlots(ringSlots)
                .slotBytes(slotBytes)
                .packetBackPressure(backPressure)
                .eventBackPressure(backPressure)
                .maxFlowsPerWorker(maxFlows)
                .flowIdleTimeoutNanos(TimeUnit.SECONDS.toNanos(flowTimeoutSeconds))
                .reassemblyWindowBytes(reassemblyWindowKb * 1024)
                .reassemblyWindows(reassemblyWindows)
                .filter(filter);
            if (config.filter() != null)
            {
                // Fail fast on a syntax error, before any output is opened.
                BpfCompiler.compile(config.filter(), LINKTYPE_ETHERNET, PipelineConfig.MAX_FRAME_LENGTH);
            }
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 2;
        }

        final List<EventSink> sinks = new ArrayList<>();
        try (PacketSource source = CaptureFiles.open(file))
        {
            for (final String spec : sinkSpecs.isEmpty() ? List.of("stdout") : sinkSpecs)
            {
                sinks.add(SinkSpecs.open(spec));
            }
            final Pipeline pipeline = new Pipeline(config, sinks);
            final AtomicInteger signals = new AtomicInteger();
            Signals.onInterrupt(() ->
            {
                if (signals.incrementAndGet() > 1)
                {
                    Runtime.getRuntime().halt(130);
                }
                err.println();
                err.println("httpcap: stopping: draining the pipeline and flushing sinks (signal again to exit at once)");
                pipeline.requestStop();
            });

            final boolean showProgress = switch (progress)
            {
                case "always" -> true;
                case "never" -> false;
                default -> Terminal.isTerminal(2);
            };
            final AtomicBoolean done = new AtomicBoolean();
            final Thread progressThread = showProgress ?
                Thread.ofPlatform().daemon().name("httpcap-progress").start(
                    new ProgressBar(err, pipeline, source.totalBytes(), done)) : null;

            final PipelineReport report;
            try
            {
                report = pipeline.run(source);
            }
            finally
            {
                done.set(true);
                if (progressThread != null)
                {
                    progressThread.join();
                }
            }

            for (final String line : report.lines())
            {
                err.println(line);
            }
            if (report.failure() != null)
            {
                err.println("httpcap: " + describe(report.failure()));
                return 1;
            }
            return 0;
        }
        catch (final CaptureFileException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 1;
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 2;
        }
        finally
        {
            for (final EventSink sink : sinks)
            {
                sink.close();
            }
        }
    }

    private static String describe(final Throwable failure)
    {
        return failure.getMessage() != null ? failure.getMessage() : failure.toString();
    }
}
