package dev.httpcap.pipeline;

import java.util.List;
import java.util.function.LongSupplier;

import dev.httpcap.capture.CaptureFileCounters;
import dev.httpcap.capture.DecodeStatus;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.decoders.http.HttpCounters;
import dev.httpcap.decoders.tcp.FlowEndReason;
import dev.httpcap.decoders.tcp.TcpReassembler;
import dev.httpcap.sinks.EventSink;

/**
 * Registers the counters of one run's parts in a {@link CounterRegistry}: packets and drops per
 * lane, flows, reassembly and HTTP per worker, events and their drops, every sink's totals, and
 * what the sinks report of themselves. The readers read the parts' own counters. The final report
 * ({@link PipelineReport}), the statistics line and the metrics endpoint are all rendered from what
 * is registered here: a counter added here (or by anyone, in the registry) shows in all three.
 */
final class PipelineCounters
{
    private PipelineCounters()
    {
    }

    static void register(
        final CounterRegistry registry, final List<? extends PacketSource> sources, final List<RingPublisher> publishers,
        final List<FlowWorkerHandler> workers, final int workersPerLane, final EventHandoff handoff, final List<EventSink> sinks,
        final LongSupplier workerErrors)
    {
        final CounterRegistry.Family read = registry.counter("packets_read", "frames read from the source", "lane");
        final CounterRegistry.Family decoded =
            registry.counter("packets_decoded", "frames decoded as TCP (and handed to a worker) or UDP", "lane");
        // For the metrics and the statistics line (Mbit/s); the report does not show it.
        final CounterRegistry.Family bytes = registry.counter("packets_read_bytes", "length on the wire of the frames read", "lane")
            .notInReport();
        final CounterRegistry.Family drops = registry.anomaly("packets_dropped", "frames not decoded, by reason", "lane", "reason");
        final CounterRegistry.Family snaplenCut =
            registry.counter("packets_snaplen_cut", "frames the capture cut short (its snap length)", "lane");
        // Asked for, so not a loss (nor an anomaly on the stats line).
        final CounterRegistry.Family filtered = registry.counter("packets_filtered", "frames the capture filter left out", "lane");
        final CounterRegistry.Family truncatedRecords =
            registry.anomaly("file_truncated_records", "capture-file records cut short (the file ends inside one)", "lane");
        final CounterRegistry.Family corruptBlocks =
            registry.anomaly("file_corrupt_blocks", "capture-file blocks that could not be read", "lane");
        for (int lane = 0; lane < publishers.size(); lane++)
        {
            final RingPublisher p = publishers.get(lane);
            final CaptureFileCounters file = sources.get(lane).fileCounters();
            final String l = Integer.toString(lane);
            // A record too large to be a frame was read from the source, then dropped.
            read.add(() -> p.packetsReadRelaxed() + file.oversizedFrames(), l);
            decoded.add(p::decoded, l);
            bytes.add(p::wireBytesReadRelaxed, l);
            snaplenCut.add(p::snaplenCut, l);
            for (int i = 0; i < DecodeStatus.count(); i++)
            {
                final DecodeStatus status = DecodeStatus.of(i);
                if (status.isDrop())
                {
                    drops.add(() -> p.decodeCount(status), l, status.reportName());
                }
            }
            filtered.add(p::filtered, l);
            drops.add(p::unfilterableLinkType, l, "filter_unsupported_link_type");
            drops.add(p::ringFullRelaxed, l, "ring_full");
            drops.add(p::frameTooLarge, l, "frame_too_large");
            drops.add(file::oversizedFrames, l, "oversized_record");
            truncatedRecords.add(file::truncatedRecords, l);
            corruptBlocks.add(file::corruptBlocks, l);
            registry.counter("capture_stalls", "times the capture thread waited for the workers to make room in the ring", "lane")
                .notInReport().add(p::stalls, l);
            registry.counter("capture_stall_seconds", "time the capture thread waited so (the kernel ring buffered)", "lane")
                .notInReport().inSeconds(1e-9).add(p::stallNanos, l);
        }

        final CounterRegistry.Family flowsEnded = registry.counter("flows_ended", "connections ended, by how", "worker", "reason");
        final CounterRegistry.Family flowsMidstream =
            registry.counter("flows_midstream", "connections whose start was not captured", "worker");
        final CounterRegistry.Family flowsActive = registry.gauge("flows_active", "connections held", "worker");
        final CounterRegistry.Family clockStepsBack = registry.anomaly("flows_clock_steps_back",
            "times the packets' time stepped back (joined captures, a clock set back): idle " +
                "timeouts ran on from before the step", "worker");
        final CounterRegistry.Family emitted = registry.counter("events_emitted", "events the workers produced", "worker");
        final CounterRegistry.Family truncated =
            registry.anomaly("events_truncated", "events cut to fit the hand-off to the sinks", "worker");
        final CounterRegistry.Family eventDrops =
            registry.anomaly("events_dropped", "events the hand-off to the sinks could not take, by reason", "worker", "reason");
        for (int i = 0; i < workers.size(); i++)
        {
            final FlowWorkerHandler w = workers.get(i);
            final String worker = workers.size() == workersPerLane ? Integer.toString(i)
                : i / workersPerLane + "-" + i % workersPerLane;
            for (final FlowEndReason reason : FlowEndReason.values())
            {
                flowsEnded.add(() -> w.tracker().flowsEnded(reason), worker, reason.reportName());
            }
            flowsMidstream.add(w.tracker()::midstreamStarts, worker);
            clockStepsBack.add(w.tracker()::clockStepsBack, worker);
            flowsActive.add(w::activeFlowsRelaxed, worker);
            emitted.add(w::eventsRelaxed, worker);
            truncated.add(w::eventsTruncated, worker);
            for (int reason = 1; reason < EventHandoff.DROP_REASONS.length; reason++)
            {
                final int r = reason;
                eventDrops.add(() -> w.eventsDropped(r), worker, EventHandoff.DROP_REASONS[reason]);
            }
            final TcpReassembler reassembler = w.reassembler();
            registry.counter("reassembly_stream_bytes", "stream bytes delivered, each once", "worker")
                .add(reassembler::deliveredBytes, worker);
            registry.anomaly("reassembly_gap_bytes", "stream bytes never captured", "worker").add(reassembler::gapBytes, worker);
            registry.counter("reassembly_out_of_order", "segments that arrived ahead of a hole", "worker")
                .add(reassembler::outOfOrder, worker);
            registry.counter("reassembly_retransmitted", "segments that repeated delivered bytes", "worker")
                .add(reassembler::retransmitted, worker);
            registry.anomaly("reassembly_overlap_conflicts", "repeated stream bytes that differed from the first copy", "worker")
                .add(reassembler::overlapConflicts, worker);
            registry.counter("reassembly_keepalives", "keep-alive probes seen", "worker").add(reassembler::keepAlives, worker);
            registry.anomaly("reassembly_cap_evictions", "out-of-order data given up to the memory bounds", "worker")
                .add(reassembler::capEvictions, worker);
            registry.counter("reassembly_midstream_streams", "directions whose start was not captured", "worker")
                .add(reassembler::midstreamStarts, worker);
            if (w.http() != null)
            {
                final HttpCounters http = w.http().counters();
                for (final HttpCounters.Name name : HttpCounters.names())
                {
                    final String metric = "http_" + name.reportName();
                    (name.anomaly() ? registry.anomaly(metric, name.help(), "worker") : registry.counter(metric, name.help(), "worker"))
                        .add(() -> http.get(name), worker);
                }
            }
        }
        registry.anomaly("worker_errors", "packets a worker failed on (a bug: each is counted and skipped)").add(workerErrors);
        registry.gauge("sink_backlog_bytes", "encoded events waiting for the sink thread").add(handoff::backlogBytes);
        registry.counter("handoff_stalls", "times a worker waited for the sink thread to make room in the hand-off")
            .notInReport().add(handoff::stalls);
        registry.counter("handoff_stall_seconds", "time the workers waited so").notInReport().inSeconds(1e-9)
            .add(handoff::stallNanos);

        final CounterRegistry.Family written = registry.counter("sink_events_written", "events a sink wrote", "sink");
        final CounterRegistry.Family writtenBytes = registry.counter("sink_bytes_written", "bytes a sink wrote", "sink");
        final CounterRegistry.Family failed = registry.anomaly("sink_events_failed", "events a sink lost to an error", "sink");
        for (final EventSink sink : sinks)
        {
            written.add(sink::eventsWritten, sink.name());
            writtenBytes.add(sink::bytesWritten, sink.name());
            failed.add(sink::eventsFailed, sink.name());
            for (final EventSink.Counter counter : sink.counters())
            {
                final String metric = "sink_" + counter.name();
                // The sink's own line in the report shows them, through its progress.
                (counter.gauge() ? registry.gauge(metric, counter.help(), "sink") : registry.counter(metric, counter.help(), "sink"))
                    .notInReport().add(counter.reader(), sink.name());
            }
        }
    }
}
