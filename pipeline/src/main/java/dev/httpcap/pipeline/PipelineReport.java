package dev.httpcap.pipeline;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.httpcap.sinks.EventSink;

/**
 * Everything a run counted, taken after its threads have stopped. Every packet read is either
 * decoded, left out by the capture filter, or in exactly one drop counter, and {@link #lines()} prints them so the totals can be
 * checked by eye or by a script.
 *
 * @param elapsedNanos    wall time of the run.
 * @param packetsRead     frames in the input, as tcpdump counts them.
 * @param decoded         frames decoded as TCP (and handed to a worker) or UDP.
 * @param filtered        frames the capture filter left out (asked for, so not a loss).
 * @param drops           frames lost (not decoded), by reason; only reasons with a count.
 * @param snaplenCut      frames the capture cut short (captured length below wire length: a snap length).
 * @param snaplen         the largest captured length of such a frame (the snap length they were cut at), 0 when none.
 * @param flows           connection records, by end reason (every reason listed).
 * @param midstreamFlows  connections whose start was not captured.
 * @param reassembly      TCP reassembly counters (bytes delivered, gap bytes, anomalies), every one listed.
 * @param http            HTTP decoder counters (connections, transactions, anomalies); empty when HTTP is off.
 * @param eventsEmitted   events the workers produced.
 * @param eventsDropped   events the hand-off to the sinks could not take.
 * @param eventDrops      those by reason ({@code handoff_full}: full under the drop policy; {@code too_large};
 *                        {@code sink_stopped}: the sink thread died); only reasons with a count.
 * @param eventsTruncated events written cut to fit the hand-off (tagged {@code event_truncated}).
 * @param sinks           one line of counts per sink.
 * @param latency         capture-to-written latency of the events the sinks were given.
 * @param fileAnomalies   capture-file problems (truncated records, corrupt blocks), non-zero only.
 * @param otherCounters   every other counter registered with a value (by its name): none is left out.
 * @param workerErrors    packets a worker failed on (a bug: each is counted and skipped).
 * @param firstWorkerError the first such failure, or null.
 * @param failure         what stopped the run early, or null.
 */
public record PipelineReport(
    long elapsedNanos,
    long packetsRead,
    long decoded,
    long filtered,
    Map<String, Long> drops,
    long snaplenCut,
    int snaplen,
    Map<String, Long> flows,
    long midstreamFlows,
    Map<String, Long> reassembly,
    Map<String, Long> http,
    long eventsEmitted,
    long eventsDropped,
    Map<String, Long> eventDrops,
    long eventsTruncated,
    List<String> sinks,
    Latency latency,
    Map<String, Long> fileAnomalies,
    Map<String, Long> otherCounters,
    long workerErrors,
    Throwable firstWorkerError,
    Throwable failure)
{
    /**
     * The report of a finished run, rendered from its counters in {@code registry}: each line reads
     * the families it shows by name, and any other counter with a value gets the {@code counters:}
     * line, so that one registered anywhere is never left out. Only what is not a count comes from
     * elsewhere: the snap length seen, the sinks' errors and progress, the latency, the failures.
     */
    static PipelineReport of(
        final long elapsedNanos, final CounterRegistry registry, final List<RingPublisher> publishers,
        final List<EventSink> sinks, final Latency latency, final Throwable firstWorkerError, final Throwable failure)
    {
        final Counts counts = new Counts(registry);
        // Several lanes (AF_PACKET fanout) add up: every count is a sum over them.
        final long packetsRead = counts.total("packets_read");
        final long decoded = counts.total("packets_decoded");
        final long filtered = counts.total("packets_filtered");
        final Map<String, Long> drops = counts.byLabel("packets_dropped", true);
        final long snaplenCut = counts.total("packets_snaplen_cut");
        int snaplen = 0;
        for (final RingPublisher publisher : publishers)
        {
            snaplen = Math.max(snaplen, publisher.snaplen());
        }
        final Map<String, Long> flows = counts.byLabel("flows_ended", false);
        final long midstream = counts.total("flows_midstream");
        final Map<String, Long> reassembly = counts.withPrefix("reassembly_", false);
        final Map<String, Long> http = counts.withPrefix("http_", false);
        final long emitted = counts.total("events_emitted");
        final long dropped = counts.total("events_dropped");
        final Map<String, Long> eventDrops = counts.byLabel("events_dropped", true);
        final long truncated = counts.total("events_truncated");

        final List<CounterRegistry.Series> written = counts.series("sink_events_written");
        final List<CounterRegistry.Series> bytes = counts.series("sink_bytes_written");
        final List<CounterRegistry.Series> failed = counts.series("sink_events_failed");
        final List<String> sinkLines = new ArrayList<>();
        for (int i = 0; i < sinks.size(); i++)
        {
            final EventSink sink = sinks.get(i);
            String line = "sink " + sink.name() + ": " + written.get(i).value() + " events, " + bytes.get(i).value() +
                " bytes written";
            if (failed.get(i).value() > 0)
            {
                line += ", " + failed.get(i).value() + " failed (" + sink.lastError() + ")";
            }
            if (null != sink.progress())
            {
                line += "; " + sink.progress();
            }
            sinkLines.add(line);
        }
        final Map<String, Long> fileAnomalies = counts.withPrefix("file_", true);
        final long workerErrors = counts.total("worker_errors");

        return new PipelineReport(
            elapsedNanos, packetsRead, decoded, filtered, drops, snaplenCut, snaplen, flows, midstream, reassembly, http, emitted,
            dropped, eventDrops, truncated, sinkLines, latency, fileAnomalies, counts.others(), workerErrors, firstWorkerError,
            failure);
    }

    /** @return frames lost for any reason (not those the filter left out: {@link #filtered()}). */
    public long dropped()
    {
        long total = 0;
        for (final long count : drops.values())
        {
            total += count;
        }
        return total;
    }

    /** @return connection records written or attempted, all reasons together. */
    public long flowCount()
    {
        long total = 0;
        for (final long count : flows.values())
        {
            total += count;
        }
        return total;
    }

    /** @return the report as the lines printed on standard error at the end of a run. */
    public List<String> lines()
    {
        final List<String> lines = new ArrayList<>();
        lines.add("packets: " + packetsRead + " read, " + decoded + " decoded, " +
            (filtered > 0 ? filtered + " filtered out, " : "") + dropped() + " dropped");
        if (!drops.isEmpty())
        {
            lines.add("drops: " + join(drops));
        }
        if (snaplenCut > 0)
        {
            lines.add("snaplen: " + snaplenCut + " of " + packetsRead + " packets cut at " + snaplen +
                " bytes by the capture's snap length; the bytes they lost are gaps, their events tagged snaplen");
        }
        lines.add("flows: " + flowCount() + " (" + join(flows) + "), " + midstreamFlows + " midstream");
        lines.add("reassembly: " + join(reassembly));
        if (!http.isEmpty())
        {
            lines.add("http: " + join(http));
        }
        lines.add("events: " + (eventsEmitted - eventsDropped) + " written, " + eventsDropped + " dropped" +
            (eventDrops.isEmpty() ? "" : " (" + join(eventDrops) + ")") +
            (eventsTruncated == 0 ? "" : ", " + eventsTruncated + " truncated to fit"));
        lines.addAll(sinks);
        lines.add(latency.reportLine());
        if (!fileAnomalies.isEmpty())
        {
            lines.add("file: " + join(fileAnomalies));
        }
        if (!otherCounters.isEmpty())
        {
            lines.add("counters: " + join(otherCounters));
        }
        if (workerErrors > 0)
        {
            lines.add("worker errors: " + workerErrors + " packets skipped after an internal error (first: " +
                firstWorkerError + ")");
        }
        final double seconds = elapsedNanos / 1e9;
        lines.add(String.format("time: %.3f s, %.0f packets/s", seconds, seconds > 0 ? packetsRead / seconds : 0.0));
        return lines;
    }

    /** Reads the registry's families for the report, and remembers which ones a line has shown. */
    private static final class Counts
    {
        private final CounterRegistry registry;
        private final Set<String> shown = new HashSet<>();

        Counts(final CounterRegistry registry)
        {
            this.registry = registry;
        }

        long total(final String name)
        {
            shown.add(name);
            return registry.total(name);
        }

        List<CounterRegistry.Series> series(final String name)
        {
            shown.add(name);
            final CounterRegistry.Family family = registry.find(name);
            return family != null ? family.series() : List.of();
        }

        /** @return the family's series added up by their last label (the reason), in first-seen order. */
        Map<String, Long> byLabel(final String name, final boolean nonZeroOnly)
        {
            final Map<String, Long> counts = new LinkedHashMap<>();
            for (final CounterRegistry.Series series : series(name))
            {
                final List<String> labels = series.labelValues();
                counts.merge(labels.get(labels.size() - 1), series.value(), Long::sum);
            }
            if (nonZeroOnly)
            {
                counts.values().removeIf(count -> count == 0);
            }
            return counts;
        }

        /** @return the total of each counter family named {@code prefix...}, by the rest of its name. */
        Map<String, Long> withPrefix(final String prefix, final boolean nonZeroOnly)
        {
            final Map<String, Long> counts = new LinkedHashMap<>();
            for (final CounterRegistry.Family family : registry.families())
            {
                if (family.name().startsWith(prefix) && family.type() == CounterRegistry.Type.COUNTER && family.inReport())
                {
                    final long total = total(family.name());
                    if (total != 0 || !nonZeroOnly)
                    {
                        counts.put(family.name().substring(prefix.length()), total);
                    }
                }
            }
            return counts;
        }

        /** @return every counter family no line has shown, with a value, unless it is {@linkplain CounterRegistry.Family#notInReport() left out}. */
        Map<String, Long> others()
        {
            final Map<String, Long> counts = new LinkedHashMap<>();
            for (final CounterRegistry.Family family : registry.families())
            {
                if (!shown.contains(family.name()) && family.type() == CounterRegistry.Type.COUNTER && family.inReport())
                {
                    final long total = family.total();
                    if (total != 0)
                    {
                        counts.put(family.name(), total);
                    }
                }
            }
            return counts;
        }
    }

    private static String join(final Map<String, Long> counts)
    {
        final StringBuilder sb = new StringBuilder();
        counts.forEach((name, count) -> sb.append(sb.isEmpty() ? "" : " ").append(name).append('=').append(count));
        return sb.toString();
    }
}
