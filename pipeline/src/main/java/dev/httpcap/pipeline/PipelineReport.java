package dev.httpcap.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.httpcap.capture.CaptureFileCounters;
import dev.httpcap.capture.DecodeStatus;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.decoders.http.HttpCounters;
import dev.httpcap.decoders.tcp.FlowEndReason;
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
    long workerErrors,
    Throwable firstWorkerError,
    Throwable failure)
{
    static PipelineReport of(
        final long elapsedNanos, final List<? extends PacketSource> sources, final List<RingPublisher> publishers,
        final List<FlowWorkerHandler> workers, final EventHandoff handoff, final List<EventSink> sinks,
        final Latency latency, final long workerErrors, final Throwable firstWorkerError, final Throwable failure)
    {
        final Map<String, Long> drops = new LinkedHashMap<>();
        final Map<String, Long> fileAnomalies = new LinkedHashMap<>();
        long decoded = 0;
        long packetsRead = 0;
        long filtered = 0;
        long snaplenCut = 0;
        int snaplen = 0;
        // Several lanes (AF_PACKET fanout) add up: every counter is a sum over them.
        for (final RingPublisher publisher : publishers)
        {
            for (int i = 0; i < DecodeStatus.count(); i++)
            {
                final DecodeStatus status = DecodeStatus.of(i);
                final long count = publisher.decodeCount(status);
                if (!status.isDrop())
                {
                    decoded += count;
                }
                else
                {
                    putNonZero(drops, status.reportName(), count);
                }
            }
            // A TCP frame that did not reach a worker was decoded but then dropped: move it across.
            decoded -= publisher.ringFull() + publisher.frameTooLarge();
            packetsRead += publisher.packetsRead();
            snaplenCut += publisher.snaplenCut();
            snaplen = Math.max(snaplen, publisher.snaplen());
        }
        for (final RingPublisher publisher : publishers)
        {
            filtered += publisher.filtered();
            putNonZero(drops, "filter_unsupported_link_type", publisher.unfilterableLinkType());
            putNonZero(drops, "ring_full", publisher.ringFull());
            putNonZero(drops, "frame_too_large", publisher.frameTooLarge());
        }

        for (final PacketSource source : sources)
        {
            final CaptureFileCounters fileCounters = source.fileCounters();
            putNonZero(drops, "oversized_record", fileCounters.oversizedFrames());
            packetsRead += fileCounters.oversizedFrames();
            putNonZero(fileAnomalies, "truncated_records", fileCounters.truncatedRecords());
            putNonZero(fileAnomalies, "corrupt_blocks", fileCounters.corruptBlocks());
        }

        final Map<String, Long> flows = new LinkedHashMap<>();
        long midstream = 0;
        long emitted = 0;
        long dropped = 0;
        for (final FlowEndReason reason : FlowEndReason.values())
        {
            long count = 0;
            for (final FlowWorkerHandler worker : workers)
            {
                count += worker.tracker().flowsEnded(reason);
            }
            flows.put(reason.reportName(), count);
        }
        final long[] r = new long[8];
        for (final FlowWorkerHandler worker : workers)
        {
            r[0] += worker.reassembler().deliveredBytes();
            r[1] += worker.reassembler().gapBytes();
            r[2] += worker.reassembler().outOfOrder();
            r[3] += worker.reassembler().retransmitted();
            r[4] += worker.reassembler().overlapConflicts();
            r[5] += worker.reassembler().keepAlives();
            r[6] += worker.reassembler().capEvictions();
            r[7] += worker.reassembler().midstreamStarts();
        }
        final Map<String, Long> reassembly = new LinkedHashMap<>();
        final String[] names = {"stream_bytes", "gap_bytes", "out_of_order", "retransmitted", "overlap_conflicts",
            "keepalives", "cap_evictions", "midstream_streams"};
        for (int i = 0; i < names.length; i++)
        {
            reassembly.put(names[i], r[i]);
        }
        final Map<String, Long> http = new LinkedHashMap<>();
        for (final FlowWorkerHandler worker : workers)
        {
            if (worker.http() == null)
            {
                continue;
            }
            final HttpCounters d = worker.http().counters();
            for (final HttpCounters.Name name : HttpCounters.names())
            {
                http.merge(name.reportName(), d.get(name), Long::sum);
            }
        }
        final Map<String, Long> eventDrops = new LinkedHashMap<>();
        long truncated = 0;
        for (final FlowWorkerHandler worker : workers)
        {
            midstream += worker.tracker().midstreamStarts();
            emitted += worker.eventsEmitted();
            dropped += worker.eventsDropped();
            truncated += worker.eventsTruncated();
            for (int reason = 1; reason < EventHandoff.DROP_REASONS.length; reason++)
            {
                putNonZero(eventDrops, EventHandoff.DROP_REASONS[reason], worker.eventsDropped(reason));
            }
        }

        final List<String> sinkLines = new ArrayList<>();
        for (final EventSink sink : sinks)
        {
            String line = "sink " + sink.name() + ": " + sink.eventsWritten() + " events, " + sink.bytesWritten() +
                " bytes written";
            if (sink.eventsFailed() > 0)
            {
                line += ", " + sink.eventsFailed() + " failed (" + sink.lastError() + ")";
            }
            if (null != sink.progress())
            {
                line += "; " + sink.progress();
            }
            sinkLines.add(line);
        }

        return new PipelineReport(
            elapsedNanos, packetsRead, decoded, filtered, drops, snaplenCut, snaplen, flows, midstream, reassembly, http, emitted,
            dropped, eventDrops, truncated, sinkLines, latency, fileAnomalies, workerErrors, firstWorkerError, failure);
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
        if (workerErrors > 0)
        {
            lines.add("worker errors: " + workerErrors + " packets skipped after an internal error (first: " +
                firstWorkerError + ")");
        }
        final double seconds = elapsedNanos / 1e9;
        lines.add(String.format("time: %.3f s, %.0f packets/s", seconds, seconds > 0 ? packetsRead / seconds : 0.0));
        return lines;
    }

    private static void putNonZero(final Map<String, Long> map, final String name, final long value)
    {
        if (value != 0)
        {
            map.merge(name, value, Long::sum);
        }
    }

    private static String join(final Map<String, Long> counts)
    {
        final StringBuilder sb = new StringBuilder();
        counts.forEach((name, count) -> sb.append(sb.isEmpty() ? "" : " ").append(name).append('=').append(count));
        return sb.toString();
    }
}
