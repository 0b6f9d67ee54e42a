package dev.httpcap.app;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Option;

import dev.httpcap.pipeline.BackPressure;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.SinkSpecs;

/** The options every command that runs a pipeline shares: sinks, workers, bounds and policies. */
final class PipelineOptions
{
    @Option(names = "--sink", paramLabel = "SPEC",
        description = "where events go; repeat for several: stdout (readable lines, the default), stdout:json, " +
            "file:PATH[?rotate-mb=N&keep=K&format=json|text]")
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
            .filter(filter);
    }

    /** Open every {@code --sink} into {@code sinks} (so the caller closes what was opened if one fails). */
    void openSinks(final List<EventSink> sinks)
    {
        for (final String spec : sinkSpecs.isEmpty() ? List.of("stdout") : sinkSpecs)
        {
            sinks.add(SinkSpecs.open(spec));
        }
    }
}
