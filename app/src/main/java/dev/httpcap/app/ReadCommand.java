package dev.httpcap.app;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.Parameter;
import dev.httpcap.app.cli.ParsedArgs;
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
final class ReadCommand
{
    private static final int LINKTYPE_ETHERNET = 1;

    static final Parameter FILE = Parameter.required("FILE", "pcap or pcapng file, or '-' for standard input");
    static final Option PROGRESS = Option.value("--progress", "WHEN", Option.Type.STRING,
        "progress bar on standard error: auto (when it is a terminal), always, never");

    final String file;
    final PipelineOptions options;
    final String progress;

    ReadCommand(final ParsedArgs args)
    {
        file = args.positional(0);
        options = new PipelineOptions().apply(args);
        progress = args.string(PROGRESS, "auto");
    }

    static CommandSpec spec()
    {
        return new CommandSpec("httpcap read",
            "Read a pcap or pcapng capture file ('-' for standard input) and write its events.", true)
            .parameter(FILE)
            .options(PipelineOptions.OPTIONS)
            .options(List.of(PROGRESS));
    }

    int call() throws Exception
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
            // Taken before the sinks open (a Kafka sink's producer and spill take a moment), so a
            // signal then still ends in a drained pipeline and a report, not a silent exit 130.
            final AtomicReference<Pipeline> running = new AtomicReference<>();
            final AtomicBoolean stopEarly = new AtomicBoolean();
            final AtomicInteger signals = new AtomicInteger();
            Signals.onInterrupt(() ->
            {
                if (signals.incrementAndGet() > 1)
                {
                    Runtime.getRuntime().halt(130);
                }
                err.println();
                err.println("httpcap: stopping: draining the pipeline and flushing sinks (signal again to exit at once)");
                stopEarly.set(true);
                final Pipeline started = running.get();
                if (started != null)
                {
                    started.requestStop();
                }
            });
            options.openSinks(sinks);
            final Pipeline pipeline = new Pipeline(config, sinks);
            running.set(pipeline);
            if (stopEarly.get())
            {
                pipeline.requestStop();
            }

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
