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
    private Histogram interval;

    /** Sink thread only. */
    void record(final long latencyNanos)
    {
        recorder.recordValue(Math.max(0, Math.min(latencyNanos, HIGHEST_NANOS)));
    }

    /** @return the events recorded since the previous call to this or {@link #total()}, also added to the total. */
    synchronized Latency sinceLastCall()
    {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return Latency.of(interval);
    }

    /** @return every event recorded so far. */
    synchronized Latency total()
    {
        sinceLastCall();
        return Latency.of(total);
    }
}
