package dev.httpcap.pipeline;

import org.HdrHistogram.AbstractHistogram;

/**
 * Capture-to-written latency of a set of events, in nanoseconds: from the moment the capture
 * thread took the packet that caused the event (one {@code System.nanoTime()} per poll batch, at
 * its first packet) to the moment the sink thread had flushed the event to every sink. Percentiles
 * are HdrHistogram values (3 significant digits), so within 0.1% of the exact ones.
 *
 * @param events     events measured.
 * @param p50Nanos   median.
 * @param p99Nanos   99th percentile.
 * @param p999Nanos  99.9th percentile.
 * @param maxNanos   the largest.
 */
public record Latency(long events, long p50Nanos, long p99Nanos, long p999Nanos, long maxNanos)
{
    /** No events. */
    public static final Latency NONE = new Latency(0, 0, 0, 0, 0);

    static Latency of(final AbstractHistogram histogram)
    {
        final long count = histogram.getTotalCount();
        if (count == 0)
        {
            return NONE;
        }
        return new Latency(
            count, histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99),
            histogram.getValueAtPercentile(99.9), histogram.getMaxValue());
    }

    /**
     * @return {@code p50=123us p99=456us p99.9=789us max=1234us}: whole microseconds, rounded; or
     * {@code none} when there were no events.
     */
    public String percentiles()
    {
        if (events == 0)
        {
            return "none";
        }
        return "p50=" + micros(p50Nanos) + "us p99=" + micros(p99Nanos) + "us p99.9=" + micros(p999Nanos) +
            "us max=" + micros(maxNanos) + "us";
    }

    /**
     * @return the final report's line: {@code latency: capture to written p50=123us p99=456us
     * p99.9=789us max=1234us (N events)}, or {@code latency: no events}.
     */
    public String reportLine()
    {
        if (events == 0)
        {
            return "latency: no events";
        }
        return "latency: capture to written " + percentiles() + " (" + events + " events)";
    }

    private static long micros(final long nanos)
    {
        return (nanos + 500) / 1_000;
    }
}
