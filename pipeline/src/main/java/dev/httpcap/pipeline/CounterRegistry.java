package dev.httpcap.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * Every counter of a running pipeline, registered once by name and labels, read in place: each
 * series is a reader of the counter its owner keeps (a worker's HTTP counters, a publisher's drop
 * counts, a sink's totals), so there is no second book-keeping and nothing on the hot path. Readers
 * run on the caller's thread and return a recent value (a consistent snapshot only once the
 * pipeline has stopped). Everything that shows counters renders them from here: the metrics
 * endpoint every family; the statistics line its totals and the families marked
 * {@linkplain Family#anomaly() anomalies} whenever they move; the final report ({@link PipelineReport})
 * its lines, and every other counter with a value on a line of its own. So a counter is added in
 * one place: registered here, it shows in all three.
 * <p>
 * Names follow Prometheus: {@code snake_case}, without the {@code httpcap_} prefix and without the
 * {@code _total} suffix that counters get when exposed.
 */
public final class CounterRegistry
{
    /** A counter only goes up; a gauge is a level (flows held, bytes waiting). */
    public enum Type
    {
        COUNTER,
        GAUGE
    }

    /** One labelled value of a family. */
    public record Series(List<String> labelValues, LongSupplier reader)
    {
        public long value()
        {
            return reader.getAsLong();
        }
    }

    /** A named counter (or gauge) with its label names, and the series registered under it. */
    public static final class Family
    {
        private final String name;
        private final String help;
        private final Type type;
        private final boolean anomaly;
        private final List<String> labelNames;
        private final List<Series> series = new CopyOnWriteArrayList<>();
        private volatile boolean inReport = true;
        private volatile double unitSeconds = 1;

        private Family(final String name, final String help, final Type type, final boolean anomaly, final String[] labelNames)
        {
            this.name = name;
            this.help = help;
            this.type = type;
            this.anomaly = anomaly;
            this.labelNames = List.of(labelNames);
        }

        /**
         * Registers one series.
         *
         * @return this family.
         */
        public Family add(final LongSupplier reader, final String... labelValues)
        {
            if (labelValues.length != labelNames.size())
            {
                throw new IllegalArgumentException(name + " has labels " + labelNames + ", given " + Arrays.toString(labelValues));
            }
            series.add(new Series(List.of(labelValues), Objects.requireNonNull(reader)));
            return this;
        }

        /**
         * Leave this family out of the final report's line of other counters: its owner prints it in a
         * line of its own (the kernel's counters, a sink's progress), or it is a detail for the metrics.
         * The statistics line and the metrics endpoint still show it.
         *
         * @return this family.
         */
        public Family notInReport()
        {
            inReport = false;
            return this;
        }

        /**
         * The values count a time in units of {@code unitSeconds} seconds (microseconds: 1e-6); the
         * metrics endpoint exports them in seconds, the base unit Prometheus names want.
         *
         * @return this family.
         */
        public Family inSeconds(final double unitSeconds)
        {
            this.unitSeconds = unitSeconds;
            return this;
        }

        /** @return what one unit of a value is in the exported unit (1 unless {@link #inSeconds}). */
        public double exportScale()
        {
            return unitSeconds;
        }

        /** @return whether the final report shows this family, if no line of its own does ({@link #notInReport}). */
        public boolean inReport()
        {
            return inReport;
        }

        public String name()
        {
            return name;
        }

        public String help()
        {
            return help;
        }

        public Type type()
        {
            return type;
        }

        /** @return whether a non-zero value means something was lost, cut, dropped or guessed. */
        public boolean anomaly()
        {
            return anomaly;
        }

        public List<String> labelNames()
        {
            return labelNames;
        }

        public List<Series> series()
        {
            return Collections.unmodifiableList(series);
        }

        /** @return the sum over every series. */
        public long total()
        {
            long total = 0;
            for (final Series s : series)
            {
                total += s.value();
            }
            return total;
        }
    }

    private final List<Family> families = new CopyOnWriteArrayList<>();

    /** @return the counter family {@code name}, made on first use (later uses must agree on its labels). */
    public Family counter(final String name, final String help, final String... labelNames)
    {
        return family(name, help, Type.COUNTER, false, labelNames);
    }

    /** @return a counter family whose non-zero values mean something was lost, cut, dropped or guessed. */
    public Family anomaly(final String name, final String help, final String... labelNames)
    {
        return family(name, help, Type.COUNTER, true, labelNames);
    }

    public Family gauge(final String name, final String help, final String... labelNames)
    {
        return family(name, help, Type.GAUGE, false, labelNames);
    }

    private synchronized Family family(
        final String name, final String help, final Type type, final boolean anomaly, final String... labelNames)
    {
        for (final Family f : families)
        {
            if (f.name.equals(name))
            {
                if (f.type != type || !f.labelNames.equals(List.of(labelNames)))
                {
                    throw new IllegalArgumentException("counter " + name + " registered twice differently");
                }
                return f;
            }
        }
        final Family f = new Family(name, help, type, anomaly, labelNames);
        families.add(f);
        return f;
    }

    /** @return the family {@code name}, or null when none is registered. */
    public Family find(final String name)
    {
        for (final Family f : families)
        {
            if (f.name.equals(name))
            {
                return f;
            }
        }
        return null;
    }

    /** @return the sum of family {@code name}'s series, or 0 when it is not registered. */
    public long total(final String name)
    {
        final Family f = find(name);
        return f != null ? f.total() : 0;
    }

    /** @return every family, in registration order. */
    public List<Family> families()
    {
        return new ArrayList<>(families);
    }
}
