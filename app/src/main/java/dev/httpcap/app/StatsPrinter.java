package dev.httpcap.app;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import dev.httpcap.capture.LivePacketSource;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.sinks.EventSink;

/**
 * The live statistics line, every {@code --stats-interval}: rates over the last interval and the
 * running drop totals, so a capture that starts losing packets says so while it runs; the latency is
 * capture to written, of the events written during the interval; sinks with counts of their own
 * (the Kafka sink: spilled, pending, acknowledged, dropped) add them. With
 * {@code --fanout} every figure is the sum over the sockets and their pipelines.
 */
final class StatsPrinter implements Runnable
{
    private final PrintStream out;
    private final Pipeline pipeline;
    private final List<? extends LivePacketSource> captures;
    private final long intervalNanos;
    private final AtomicBoolean done;

    StatsPrinter(
        final PrintStream out, final Pipeline pipeline, final List<? extends LivePacketSource> captures,
        final long intervalNanos,
        final AtomicBoolean done)
    {
        this.out = out;
        this.pipeline = pipeline;
        this.captures = List.copyOf(captures);
        this.intervalNanos = intervalNanos;
        this.done = done;
    }

    @Override
    public void run()
    {
        long lastTime = System.nanoTime();
        long lastPackets = 0;
        long lastBytes = 0;
        long lastEvents = 0;
        while (!done.get())
        {
            LockSupport.parkNanos(intervalNanos);
            final Pipeline.LiveStats stats = pipeline.liveStats();
            if (done.get() || stats == null)
            {
                continue;
            }
            final long now = System.nanoTime();
            final double seconds = Math.max(1e-9, (now - lastTime) / 1e9);
            final StringBuilder sinks = new StringBuilder();
            for (final EventSink sink : pipeline.sinks())
            {
                final String progress = sink.progress();
                if (null != progress)
                {
                    sinks.append(", ").append(sink.name()).append(": ").append(progress);
                }
            }
            out.printf("stats: %,.0f packets/s, %.1f Mbit/s, kernel drops %d, ring drops %d, flows %d, events %,.0f/s, " +
                "event drops %d, sink backlog %d B, latency %s%s%n",
                (stats.packets() - lastPackets) / seconds, (stats.wireBytes() - lastBytes) * 8 / seconds / 1e6,
                kernelDrops(), stats.ringDrops(), stats.activeFlows(), (stats.events() - lastEvents) / seconds,
                stats.eventDrops(), stats.sinkBacklogBytes(), stats.latency().percentiles(), sinks);
            lastTime = now;
            lastPackets = stats.packets();
            lastBytes = stats.wireBytes();
            lastEvents = stats.events();
        }
    }

    private long kernelDrops()
    {
        long drops = 0;
        for (final LivePacketSource capture : captures)
        {
            drops += capture.kernelDrops();
        }
        return drops;
    }
}
