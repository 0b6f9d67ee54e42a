package dev.httpcap.app;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import dev.httpcap.capture.LivePacketSource;
import dev.httpcap.pipeline.CounterRegistry;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.sinks.EventSink;

/**
 * The live statistics line, every {@code --stats-interval}: rates over the last interval and the
 * running drop totals, so a capture that starts losing packets says so while it runs; the latency is
 * capture to written, of the events written during the interval; sinks with counts of their own
 * (the Kafka sink: spilled, pending, acknowledged, dropped) add them, and so does {@code --write} once its
 * recording or its page-cache advice stopped; the packet and event totals
 * follow, so that a caller can tell what happened between two lines (perf/live-capture-rates.sh
 * --mode service), then the stalls so far (garbage-collection pauses, the capture thread's and the
 * workers' waits: {@link Pipeline#stalls()}). With {@code --fanout} every figure is the sum over the sockets and their
 * pipelines. The interval may change while it runs ({@link #interval}, on SIGHUP); 0 prints nothing
 * until it changes.
 */
final class StatsPrinter implements Runnable
{
    private final PrintStream out;
    private final Pipeline pipeline;
    private final List<? extends LivePacketSource> captures;
    private final Supplier<String> recording;
    private final AtomicBoolean done;
    private volatile long intervalNanos;
    private volatile Thread thread;
    private final Map<String, Long> lastAnomalies = new HashMap<>();

    StatsPrinter(
        final PrintStream out, final Pipeline pipeline, final List<? extends LivePacketSource> captures,
        final Supplier<String> recording, final long intervalNanos,
        final AtomicBoolean done)
    {
        this.out = out;
        this.pipeline = pipeline;
        this.captures = List.copyOf(captures);
        this.recording = recording;
        this.intervalNanos = intervalNanos;
        this.done = done;
    }

    /** Print every {@code nanos} from now on (0: not at all). Any thread. */
    void interval(final long nanos)
    {
        intervalNanos = nanos;
        final Thread running = thread;
        if (running != null)
        {
            LockSupport.unpark(running);
        }
    }

    @Override
    public void run()
    {
        thread = Thread.currentThread();
        long lastTime = System.nanoTime();
        long lastPackets = 0;
        long lastBytes = 0;
        long lastEvents = 0;
        long interval = intervalNanos;
        while (!done.get())
        {
            final long wait = lastTime + interval - System.nanoTime();
            if (interval == 0)
            {
                LockSupport.park(this);
            }
            else if (wait > 0)
            {
                LockSupport.parkNanos(this, wait);
            }
            if (intervalNanos != interval)
            {
                // Changed by a reload: a full new interval before the next line.
                interval = intervalNanos;
                lastTime = System.nanoTime();
                final Pipeline.LiveStats stats = pipeline.liveStats();
                if (stats != null)
                {
                    lastPackets = stats.packets();
                    lastBytes = stats.wireBytes();
                    lastEvents = stats.events();
                }
                continue;
            }
            final long now = System.nanoTime();
            if (interval == 0 || now - lastTime < interval || done.get())
            {
                continue; // woken early (spuriously, or to stop)
            }
            final Pipeline.LiveStats stats = pipeline.liveStats();
            if (stats == null)
            {
                lastTime = now; // not running yet
                continue;
            }
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
            final String recordingTrouble = recording.get();
            if (null != recordingTrouble)
            {
                sinks.append(", write: ").append(recordingTrouble);
            }
            out.printf("stats: %,.0f packets/s, %.1f Mbit/s, kernel drops %d, ring drops %d, flows %d, events %,.0f/s, " +
                "event drops %d, sink backlog %d B, latency %s%s, total packets %d, total events %d, %s%s%n",
                (stats.packets() - lastPackets) / seconds, (stats.wireBytes() - lastBytes) * 8 / seconds / 1e6,
                kernelDrops(), stats.ringDrops(), stats.activeFlows(), (stats.events() - lastEvents) / seconds,
                stats.eventDrops(), stats.sinkBacklogBytes(), stats.latency().percentiles(), sinks, stats.packets(),
                stats.events(), pipeline.stalls().describe(), anomalies());
            lastTime = now;
            lastPackets = stats.packets();
            lastBytes = stats.wireBytes();
            lastEvents = stats.events();
        }
    }

    /**
     * @return {@code ", anomalies: http_parse_errors +3 (12), ..."}: every counter registered as an
     * anomaly that moved during the interval, with its total; empty when none did.
     */
    private String anomalies()
    {
        final StringBuilder line = new StringBuilder();
        for (final CounterRegistry.Family family : pipeline.counters().families())
        {
            if (!family.anomaly())
            {
                continue;
            }
            final long total = family.total();
            final long delta = total - lastAnomalies.getOrDefault(family.name(), 0L);
            lastAnomalies.put(family.name(), total);
            if (delta > 0)
            {
                line.append(line.isEmpty() ? ", anomalies: " : ", ").append(family.name()).append(" +").append(delta)
                    .append(" (").append(total).append(')');
            }
        }
        return line.toString();
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
