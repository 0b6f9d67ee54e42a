package dev.httpcap.pipeline;

import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Capture-to-written latency of the events: the sink thread, its only writer, records one value
 * per event into a pre-allocated {@link SingleWriterRecorder} (wait-free, no allocation); readers
 * on other threads take interval histograms from it and add them to the run's total, so no reader
 * ever races the writer. Memory is fixed: 1 µs to 1 hour at 3 significant digits; a larger value is
 * recorded as 1 hour.
 */
final class CaptureLatency
{
    static final long LOWEST_NANOS = TimeUnit.MICROSECONDS.toNanos(1);
    static final long HIGHEST_NANOS = TimeUnit.HOURS.toNanos(1);
    static final int SIGNIFICANT_DIGITS = 3;

    private final SingleWriterRecorder recorder = new SingleWriterRecorder(LOWEST_NANOS, HIGHEST_NANOS, SIGNIFICANT_DIGITS);
    private final Histogram total = new Histogram(LOWEST_NANOS, HIGHEST_NANOS, SIGNIFICANT_DIGITS);
    /** Recorded since the last {@link #sinceLastCall()}: other readers of the total do not take it away. */
    private final Histogram pending = new Histogram(LOWEST_NANOS, HIGHEST_NANOS, SIGNIFICANT_DIGITS);
    private Histogram interval;

    /** Sink thread only. */
    void record(final long latencyNanos)
    {
        recorder.recordValue(Math.max(0, Math.min(latencyNanos, HIGHEST_NANOS)));
    }

    /** @return the events recorded since the previous call (one caller: the statistics line). */
    synchronized Latency sinceLastCall()
    {
        drain();
        final Latency latency = Latency.of(pending);
        pending.reset();
        return latency;
    }

    /** @return every event recorded so far. */
    synchronized Latency total()
    {
        drain();
        return Latency.of(total);
    }

    /**
     * Fills {@code counts[i]} with the events recorded so far whose latency was at most
     * {@code upperBoundsNanos[i]} (cumulative, as a histogram's buckets), and the last element with
     * all of them.
     *
     * @return the sum of their latencies (from the histogram's values: within its precision).
     */
    synchronized double cumulative(final long[] upperBoundsNanos, final long[] counts)
    {
        drain();
        for (int i = 0; i < upperBoundsNanos.length; i++)
        {
            counts[i] = total.getCountBetweenValues(0, upperBoundsNanos[i]);
        }
        counts[upperBoundsNanos.length] = total.getTotalCount();
        return total.getMean() * total.getTotalCount();
    }

    private void drain()
    {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        pending.add(interval);
    }
}
