package dev.httpcap.app;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.httpcap.capture.AfPacketSource;
import dev.httpcap.capture.BpfCompiler;
import dev.httpcap.capture.BpfProgram;
import dev.httpcap.capture.CaptureFileException;
import dev.httpcap.capture.LinkTypes;
import dev.httpcap.capture.RotatingPcapWriter;
import dev.httpcap.pipeline.BackPressure;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.pipeline.PipelineReport;
import dev.httpcap.sinks.EventSink;

/**
 * {@code httpcap live --interface IF}: capture from a Linux interface with AF_PACKET (TPACKET_V3)
 * and write its events. The filter runs in the kernel, attached to the socket.
 */
@Command(
    name = "live",
    mixinStandardHelpOptions = true,
    description = "Capture live from a network interface (Linux AF_PACKET, TPACKET_V3) and write its events.",
    sortOptions = false)
final class LiveCommand implements Callable<Integer>
{
    @Option(names = {"-i", "--interface"}, required = true, paramLabel = "IF", description = "interface to capture on (see 'ip link')")
    String interfaceName;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "stop after this many seconds (default: until SIGINT/SIGTERM)")
    double durationSeconds;

    @Option(names = {"-c", "--count"}, paramLabel = "N", description = "stop after N packets")
    long count;

    @Option(names = "--buffer-mb", paramLabel = "MB", description = "kernel receive ring size; default ${DEFAULT-VALUE}")
    int bufferMb = 64;

    @Option(names = "--block-kb", paramLabel = "KB", description = "ring block size, a power of two >= 128; default ${DEFAULT-VALUE}")
    int blockKb = 1024;

    @Option(names = "--retire-ms", paramLabel = "MS", description = "the kernel hands over a partly filled block after this long; default ${DEFAULT-VALUE}")
    int retireMillis = 20;

    @Option(names = "--stats-interval", paramLabel = "SECONDS",
        description = "print a statistics line on standard error this often (0: never); default ${DEFAULT-VALUE}")
    double statsIntervalSeconds = 10;

    @Option(names = {"-w", "--write"}, paramLabel = "FILE", description = "also record every captured frame to this pcap file, like tcpdump -w")
    java.nio.file.Path writeFile;

    @Option(names = "--write-rotate-mb", paramLabel = "MB", description = "start FILE.1, FILE.2, ... when the file would pass this size (0: never)")
    long writeRotateMb;

    @Mixin
    PipelineOptions options = new PipelineOptions();

    @Override
    public Integer call() throws Exception
    {
        final PrintStream err = System.err;
        final PipelineConfig config;
        final BpfProgram kernelFilter;
        try
        {
            if (blockKb < 128 || Integer.bitCount(blockKb) != 1)
            {
                throw new IllegalArgumentException("--block-kb must be a power of two of at least 128: " + blockKb);
            }
            if (bufferMb < 1 || (long)bufferMb * 1024 < 2L * blockKb)
            {
                throw new IllegalArgumentException("--buffer-mb must hold at least two blocks: " + bufferMb);
            }
            config = options.config(BackPressure.DROP).clockTickNanos(TimeUnit.SECONDS.toNanos(1));
            kernelFilter = config.filter() == null ? null :
                BpfCompiler.compile(config.filter(), LinkTypes.ETHERNET, PipelineConfig.MAX_FRAME_LENGTH);
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 2;
        }

        final List<EventSink> sinks = new ArrayList<>();
        final AfPacketSource capture;
        try
        {
            capture = new AfPacketSource(interfaceName, bufferMb * 1024 * 1024, blockKb * 1024, retireMillis, kernelFilter);
        }
        catch (final CaptureFileException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 1;
        }
        RotatingPcapWriter recorder = null;
        if (writeFile != null)
        {
            try
            {
                recorder = new RotatingPcapWriter(writeFile, LinkTypes.ETHERNET, PipelineConfig.MAX_FRAME_LENGTH,
                    writeRotateMb * 1024 * 1024);
            }
            catch (final java.io.IOException ex)
            {
                capture.close();
                err.println("httpcap: cannot write '" + writeFile + "': " + ex.getMessage());
                return 1;
            }
        }
        final LiveSource source = new LiveSource(capture, recorder, count, (long)(durationSeconds * 1e9),
            TimeUnit.MILLISECONDS.toNanos(2L * retireMillis + 50));
        try
        {
            options.openSinks(sinks);
            // The kernel already filters; the pipeline need not run the program again.
            final Pipeline pipeline = new Pipeline(config.filter(null), sinks);
            final AtomicInteger signals = new AtomicInteger();
            Signals.onInterrupt(() ->
            {
                if (signals.incrementAndGet() > 1)
                {
                    Runtime.getRuntime().halt(130);
                }
                err.println();
                err.println("httpcap: stopping: draining the capture and the pipeline (signal again to exit at once)");
                source.stop();
            });
            err.println("httpcap: capturing on " + interfaceName + " (AF_PACKET, TPACKET_V3, " + bufferMb + " MiB ring" +
                (kernelFilter != null ? ", filter '" + options.filter + "'" : "") + ")");

            final AtomicBoolean done = new AtomicBoolean();
            final Thread stats = statsIntervalSeconds > 0 ?
                Thread.ofPlatform().daemon().name("httpcap-stats").start(new StatsPrinter(
                    err, pipeline, capture, (long)(statsIntervalSeconds * 1e9), done)) : null;
            final PipelineReport report;
            try
            {
                report = pipeline.run(source);
            }
            finally
            {
                done.set(true);
                if (stats != null)
                {
                    stats.interrupt();
                    stats.join();
                }
            }
            source.close();
            for (final String line : report.lines())
            {
                err.println(line);
            }
            err.println("kernel: " + capture.kernelPackets() + " packets captured, " + capture.kernelDrops() +
                " dropped (ring full)" + (capture.outgoingSkipped() > 0 ?
                ", " + capture.outgoingSkipped() + " loopback outgoing duplicates skipped" : ""));
            if (source.recorderSummary() != null)
            {
                err.println(source.recorderSummary());
            }
            if (report.failure() != null)
            {
                err.println("httpcap: " + report.failure());
                return 1;
            }
            return 0;
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 2;
        }
        finally
        {
            source.close();
            for (final EventSink sink : sinks)
            {
                sink.close();
            }
        }
    }
}
