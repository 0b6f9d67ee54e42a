package dev.httpcap.app;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.ConfigFile;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.Parameter;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.capture.BpfCompiler;
import dev.httpcap.capture.CaptureFileException;
import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.common.Frames;
import dev.httpcap.pipeline.BackPressure;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.pipeline.PipelineReport;
import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.SinkSpecs;

/** {@code httpcap read FILE}: decode a pcap or pcapng file (or standard input) into events. */
final class ReadCommand
{
    private static final int LINKTYPE_ETHERNET = 1;

    static final Parameter FILE = Parameter.required("FILE", "pcap or pcapng file, or '-' for standard input");
    static final Option PROGRESS = Option.value("--progress", "WHEN", Option.Type.CHOICE,
        "progress bar on standard error: auto (when it is a terminal), always, never").choices("auto", "always", "never")
        .defaultValue("auto");
    static final Option WRITE = Option.value("--write", "FILE", Option.Type.STRING,
        "also copy the frames that pass --filter (every frame without one) to this pcap file, like tcpdump -r IN -w OUT")
        .shortName("-w");

    final String file;
    final PipelineOptions options;
    /** The values as given (for where a bad one came from). */
    private final ParsedArgs args;
    final String progress;
    final Path writeFile;

    ReadCommand(final ParsedArgs args)
    {
        this.args = args;
        file = args.positional(0);
        options = new PipelineOptions().apply(args);
        progress = args.choice(PROGRESS, "auto");
        writeFile = args.isSet(WRITE) ? Path.of(args.string(WRITE, null)) : null;
    }

    static CommandSpec spec()
    {
        return new CommandSpec("httpcap read",
            "Read a pcap or pcapng capture file ('-' for standard input) and write its events.", true)
            .parameter(FILE)
            .options(PipelineOptions.OPTIONS)
            .options(List.of(PROGRESS, WRITE, ConfigFile.OPTION));
    }

    int call() throws Exception
    {
        final PrintStream err = System.err;
        final PipelineConfig config;
        try
        {
            config = validate();
            refuseToWriteOverTheInput();
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            err.println("httpcap: " + args.explain(ex.getMessage()));
            return 2;
        }

        final List<EventSink> sinks = new ArrayList<>();
        RecordingSource recording = null;
        try (PacketSource source = record(CaptureFiles.open(file), config.filter()))
        {
            recording = source instanceof final RecordingSource r ? r : null;
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
            options.openSinks(sinks, false);
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
            final MetricsEndpoint metrics = options.startMetrics(pipeline, sinks);
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
                if (metrics != null)
                {
                    metrics.close();
                }
            }

            for (final String line : report.lines())
            {
                err.println(line);
            }
            if (recording != null)
            {
                recording.close();
                err.println(recording.reportLine());
            }
            if (report.failure() != null)
            {
                err.println("httpcap: " + describe(report.failure()));
                return 1;
            }
            final String damage = source.fileCounters().damage();
            if (damage != null)
            {
                // As tcpdump: what could be read is out, but a damaged file is not a success. Unless
                // a signal stopped the read: then a record cut short is where the stop fell (a pipe
                // read mid-record), and a stop is a success.
                err.println("httpcap: " + damage);
                return stopEarly.get() ? 0 : 1;
            }
            return 0;
        }
        catch (final CaptureFileException | IllegalStateException ex)
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

    /**
     * Every check of the options that needs no file (also {@code httpcap config check}).
     *
     * @throws IllegalArgumentException with a one-line message naming the option.
     */
    PipelineConfig validate()
    {
        final PipelineConfig config = options.config(BackPressure.BLOCK);
        PipelineOptions.checkMemory(config, 1, config.ringSlots(), true);
        options.checkSinks();
        if (config.filter() != null)
        {
            // Fail fast on a syntax error, before any output is opened.
            checkFilter(config.filter(), Frames.MAX_FRAME_LENGTH);
        }
        return config;
    }

    /** @throws IllegalArgumentException naming --filter when libpcap cannot compile it. */
    static void checkFilter(final String filter, final int snaplen)
    {
        try
        {
            BpfCompiler.compile(filter, LINKTYPE_ETHERNET, snaplen);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("--filter: " + ex.getMessage(), ex);
        }
    }

    /**
     * Neither {@code --write} nor a file sink may name the capture being read ({@link InputGuard}).
     *
     * @throws IllegalArgumentException naming the option.
     */
    private void refuseToWriteOverTheInput()
    {
        final Path input = InputGuard.regularInput(file);
        InputGuard.refuse(input, writeFile, "--write", String.valueOf(writeFile));
        for (final String spec : options.sinkSpecs)
        {
            InputGuard.refuse(input, SinkSpecs.filePath(spec), "--sink", spec);
        }
    }

    /** The source, copied to {@code --write} on the way when asked; closes it if the file cannot be written. */
    private PacketSource record(final PacketSource source, final String filter)
    {
        if (writeFile == null)
        {
            return source;
        }
        try
        {
            return new RecordingSource(source, writeFile, filter);
        }
        catch (final java.io.IOException ex)
        {
            source.close();
            throw new IllegalStateException("--write: cannot write '" + writeFile + "': " + IoErrors.describe(ex), ex);
        }
    }

    private static String describe(final Throwable failure)
    {
        return failure.getMessage() != null ? failure.getMessage() : failure.toString();
    }
}
