package dev.httpcap.app;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    PipelineOptions options = new PipelineOptions();

    @Option(names = "--progress", paramLabel = "WHEN", description = "progress bar on standard error: auto (when it is a terminal), always, never")
    String progress = "auto";

    @Override
    public Integer call() throws Exception
    {
        final PrintStream err = System.err;
        final PipelineConfig config;
        try
        {
            config = options.config(BackPressure.BLOCK);
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
            options.openSinks(sinks);
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
