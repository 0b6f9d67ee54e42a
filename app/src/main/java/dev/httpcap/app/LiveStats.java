package dev.httpcap.app;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.httpcap.app.analysis.StatsCollector;
import dev.httpcap.app.analysis.StatsPublisher;
import dev.httpcap.app.analysis.StatsSnapshot;
import dev.httpcap.app.analysis.StatsTap;
import dev.httpcap.pipeline.CounterRegistry;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.pipeline.PipelineConfig;
import dev.httpcap.pipeline.PipelineReport;

/**
 * {@code httpcap live --stats-sink kafka://...}: the agent's statistics, published every
 * {@code --stats-sink-interval} as a mergeable snapshot of that window. Each worker adds its events up
 * in its own {@link StatsTap} (decoded transactions and connections, no JSON); at each window this
 * thread swaps every tap's collector for a fresh one, merges what they hold and sends it, keyed
 * {@code AGENT/WINDOW}. A window holds only what its workers added since the previous one, so the
 * windows of an agent add up to its whole run and {@code stats --from} of the topic (which counts a
 * key once) merges every agent's windows into the statistics of all their traffic. The last window,
 * sent once the pipeline has drained, also carries the run's ledger (packets, connections, events).
 * Windows with nothing in them are not sent. Live snapshots have no frames per interval (the
 * {@code io} table's frame and byte columns): only a capture file's statistics count frames.
 */
final class LiveStats implements Runnable
{
    private final StatsPublisher publisher;
    private final long intervalNanos;
    private final List<StatsTap> taps = new CopyOnWriteArrayList<>();
    private final PrintStream err;
    private long window;
    private volatile boolean done;

    LiveStats(final StatsPublisher publisher, final double intervalSeconds, final PrintStream err)
    {
        this.publisher = publisher;
        this.intervalNanos = (long)(intervalSeconds * 1e9);
        this.err = err;
    }

    /** Give the pipeline's workers their taps, and count the snapshots in its registry. */
    void attach(final PipelineConfig config, final Pipeline pipeline)
    {
        config.eventTaps(i ->
        {
            final StatsTap tap = new StatsTap(collector());
            taps.add(tap);
            return tap;
        });
        final CounterRegistry.Family snapshots = pipeline.counters().counter("stats_snapshots",
            "statistics snapshots sent to --stats-sink, by outcome", "outcome")
            .notInReport();
        snapshots.add(publisher::published, "published");
        pipeline.counters().anomaly("stats_snapshots_failed",
            "statistics snapshots --stats-sink did not acknowledge (their windows are missing from the merged view)")
            .notInReport().add(publisher::failed);
    }

    private static StatsCollector collector()
    {
        return new StatsCollector(1_000_000_000L, Long.MIN_VALUE);
    }

    @Override
    public void run()
    {
        long next = System.nanoTime() + intervalNanos;
        while (!done)
        {
            final long wait = next - System.nanoTime();
            if (wait > 0)
            {
                try
                {
                    Thread.sleep(wait / 1_000_000, (int)(wait % 1_000_000));
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
                continue;
            }
            next += intervalNanos;
            synchronized (this)
            {
                if (!done)
                {
                    publish(null);
                }
            }
        }
    }

    /** After the pipeline drained (its threads joined): the last window, with the run's ledger; wait for the broker. */
    void finish(final PipelineReport run)
    {
        synchronized (this)
        {
            done = true;
            final Map<String, Map<String, Long>> ledger = new LinkedHashMap<>();
            StatsCommand.ledger(run, -1, null, ledger);
            ledger.get("events").remove("analysed");
            publish(ledger);
        }
        publisher.flush();
        publisher.close();
        err.println("stats-sink " + publisher.url() + ": " + publisher.published() + " snapshots published, " +
            publisher.failed() + " failed" + (publisher.failed() > 0 ? " (" + publisher.lastError() + ")" : "") +
            ", agent " + StatsPublisher.AGENT);
    }

    long failed()
    {
        return publisher.failed();
    }

    /** Swap every tap's collector, merge what they held and send it (unless empty and no ledger). */
    private void publish(final Map<String, Map<String, Long>> runLedger)
    {
        final StatsCollector merged = collector();
        long events = 0;
        for (final StatsTap tap : taps)
        {
            final StatsCollector held = tap.swap(collector());
            events += held.events();
            merged.merge(held);
        }
        if (events == 0 && runLedger == null)
        {
            return;
        }
        final Map<String, Map<String, Long>> ledger = new LinkedHashMap<>();
        final Map<String, Long> windows = new LinkedHashMap<>();
        windows.put("windows", 1L);
        windows.put("events", events);
        ledger.put("snapshots", windows);
        if (runLedger != null)
        {
            ledger.putAll(runLedger);
        }
        publisher.send(StatsSnapshot.encode(merged, null, ledger), window++);
    }
}
