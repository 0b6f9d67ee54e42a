package dev.httpcap.pipeline;

import java.util.concurrent.CountDownLatch;

import org.agrona.ExpandableDirectByteBuffer;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.event.FlowEventEncoder;
import dev.httpcap.decoders.http.HeaderRules;
import dev.httpcap.decoders.http.HttpDecoder;
import dev.httpcap.decoders.event.HttpEventEncoder;
import dev.httpcap.decoders.http.HttpEventListener;
import dev.httpcap.decoders.http.HttpTransaction;
import dev.httpcap.decoders.websocket.WebSocketMessage;
import dev.httpcap.decoders.tcp.FlowListener;
import dev.httpcap.decoders.tcp.StreamListener;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.tcp.TcpFlowTracker;
import dev.httpcap.decoders.tcp.TcpReassembler;
import dev.httpcap.sinks.EventFormat;

/**
 * Worker {@code shard}, run by its {@link WorkerAgent}: consumes the packet ring, takes the frames whose connection hashes to it,
 * and owns those connections outright (no locks: no other thread touches them). Finished
 * connections are encoded here, on the worker, and handed to the sink thread.
 */
final class FlowWorkerHandler implements FlowListener, HttpEventListener
{
    /** Where the reassembled streams go when HTTP is not decoded: the reassembler's own accounting is the output. */
    private static final StreamListener NO_STREAM_CONSUMER = new StreamListener()
    {
        @Override
        public void onData(final TcpFlow flow, final int direction, final org.agrona.DirectBuffer buffer,
            final int offset, final int length, final long timestampNanos)
        {
        }

        @Override
        public void onGap(final TcpFlow flow, final int direction, final long length, final long timestampNanos)
        {
        }

        @Override
        public void onEnd(final TcpFlow flow, final int direction, final boolean reset, final long timestampNanos)
        {
        }
    };

    private static final int FLOW_EVENT = 0;
    private static final int HTTP_EVENT = 1;
    private static final int WEBSOCKET_EVENT = 2;

    private final int shard;
    private final TcpFlowTracker tracker;
    private final TcpReassembler reassembler;
    private final FlowEventEncoder flowEncoder;
    private final HttpDecoder http;
    private final HttpEventEncoder httpEncoder;
    private final boolean flowEvents;
    private final ExpandableDirectByteBuffer scratch = new ExpandableDirectByteBuffer(4096);
    private final EventHandoff handoff;
    private final boolean json;
    private final boolean text;
    /** Sees each event decoded, before it is encoded (null: none). */
    private final EventTap tap;
    private final CountDownLatch finished;
    private boolean finishedCounted;

    /** Capture time of the ring slot being handled: the packet, clock tick or end of capture that causes any event now. */
    private long causeCaptureNanos;
    private long eventsEmitted;
    private long eventsDropped;
    private long eventsTruncated;
    /** Events dropped, by {@link EventHandoff} result (index 0 unused). */
    private final long[] eventsDroppedBy = new long[EventHandoff.DROP_REASONS.length];
    private final java.util.concurrent.atomic.AtomicLong activeFlowsRelaxed = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong eventsRelaxed = new java.util.concurrent.atomic.AtomicLong();
    /** Set by {@link Pipeline#reload} from any thread; read once per batch ({@link #onBatchStart}). */
    private java.util.concurrent.atomic.AtomicReference<HeaderRules> headerRules;
    private HeaderRules appliedRules;

    FlowWorkerHandler(
        final int shard, final PipelineConfig config, final EventHandoff handoff,
        final boolean json, final boolean text, final EventTap tap, final CountDownLatch finished)
    {
        this.tap = tap;
        this.shard = shard;
        this.handoff = handoff;
        this.json = json;
        this.text = text;
        this.finished = finished;
        this.tracker = new TcpFlowTracker(
            this, config.maxFlowsPerWorker(), config.flowIdleTimeoutNanos(), config.flowCloseLingerNanos());
        this.flowEvents = config.flowEvents();
        this.http = config.http() != null ? new HttpDecoder(config.http(), this) : null;
        this.httpEncoder =
            config.http() != null ? new HttpEventEncoder(config.http(), config.maxEventBytes(), config.observer()) : null;
        this.flowEncoder = new FlowEventEncoder(config.observer());
        this.reassembler = new TcpReassembler(
            http != null ? http : NO_STREAM_CONSUMER, config.reassemblyWindowBytes(), config.reassemblyWindows());
    }

    /** Before each batch: rules a reload handed over since the last one apply to all of this batch. */
    void onBatchStart()
    {
        final HeaderRules rules = headerRules != null ? headerRules.get() : null;
        if (rules != appliedRules && http != null)
        {
            appliedRules = rules;
            http.rules(rules);
        }
    }

    void onEvent(final PacketEvent event, final long sequence, final boolean endOfBatch)
    {
        final int slots = event.slots;
        if (endOfBatch)
        {
            // For live statistics, read by another thread; once per batch, not per packet.
            activeFlowsRelaxed.lazySet(tracker.activeFlows());
            eventsRelaxed.lazySet(eventsEmitted);
        }
        if (slots > 0)
        {
            if (event.shard == shard)
            {
                causeCaptureNanos = event.captureNanos;
                onPacket(event);
            }
        }
        else if (slots == PacketEvent.CLOCK_TICK)
        {
            causeCaptureNanos = event.captureNanos;
            tracker.tick(event.tickNanos);
        }
        else if (slots == PacketEvent.END_OF_CAPTURE)
        {
            causeCaptureNanos = event.captureNanos;
            try
            {
                tracker.endAll();
            }
            finally
            {
                release();
                // The last events and flows counted: the totals the report reads once the thread is joined.
                activeFlowsRelaxed.lazySet(tracker.activeFlows());
                eventsRelaxed.lazySet(eventsEmitted);
            }
            finishedCounted = true;
            finished.countDown();
        }
    }

    /**
     * Free the reassembly windows (off the heap) and the decoders' inflaters now rather than at a
     * collection (the encoding scratch buffer, direct, is left to it). Once, at the end.
     */
    void release()
    {
        reassembler.close();
        if (httpEncoder != null)
        {
            httpEncoder.close();
            http.close();
        }
    }

    /** Where reloaded header rules come from; set before the worker's thread starts. */
    void headerRules(final java.util.concurrent.atomic.AtomicReference<HeaderRules> source)
    {
        this.headerRules = source;
        this.appliedRules = source.get();
        if (appliedRules != null && http != null)
        {
            http.rules(appliedRules);
        }
    }

    /** Count this worker as finished, once: its end of capture failed, or its thread died before it. Called on the worker's thread. */
    void abandon()
    {
        if (!finishedCounted)
        {
            finishedCounted = true;
            finished.countDown();
        }
    }

    private void onPacket(final PacketEvent event)
    {
        final TcpSegment segment = event.segment;
        final TcpFlow flow = tracker.onSegment(segment);
        reassembler.onSegment(flow, flow.lastDirection(), segment);
    }

    @Override
    public void onFlowEnd(final TcpFlow flow)
    {
        reassembler.onFlowEnd(flow, flow.lastNanos());
        if (http != null)
        {
            http.onFlowEnd(flow);
        }
        if (tap != null)
        {
            tap.onFlowEnd(flow);
        }
        if (!flowEvents)
        {
            return;
        }
        handOver(FLOW_EVENT, flow, null, null);
    }

    @Override
    public void onTransaction(final TcpFlow flow, final HttpTransaction transaction)
    {
        handOver(HTTP_EVENT, flow, transaction, null);
    }

    @Override
    public void onWebSocketMessage(final TcpFlow flow, final WebSocketMessage message)
    {
        handOver(WEBSOCKET_EVENT, flow, null, message);
    }

    /**
     * Encode one event in each format a sink wants and hand it to the sink thread; a refusal is counted.
     * The last format's message carries the capture time of what caused the event, so that the sink
     * thread measures each event once.
     */
    private void handOver(
        final int kind, final TcpFlow flow, final HttpTransaction transaction, final WebSocketMessage message)
    {
        eventsEmitted++;
        // Flow ends reach the tap in onFlowEnd, whether or not they are written as records.
        if (tap != null && kind == HTTP_EVENT)
        {
            tap.onTransaction(flow, transaction);
        }
        else if (tap != null && kind == WEBSOCKET_EVENT)
        {
            tap.onWebSocketMessage(flow, message);
        }
        final long truncatedBefore = httpEncoder != null ? httpEncoder.truncatedEvents() : 0;
        int result = EventHandoff.HANDED_OVER;
        if (json)
        {
            final int length = switch (kind)
            {
                case HTTP_EVENT -> httpEncoder.encodeJson(flow, transaction, scratch, 0);
                case WEBSOCKET_EVENT -> httpEncoder.encodeWebSocketJson(flow, message, scratch, 0);
                default -> flowEncoder.encodeJson(flow, scratch, 0);
            };
            result = handoff.offer(
                EventFormat.JSON, text ? EventHandoff.NOT_MEASURED : causeCaptureNanos, scratch, 0, length);
        }
        if (text)
        {
            final int length = switch (kind)
            {
                case HTTP_EVENT -> httpEncoder.encodeText(flow, transaction, scratch, 0);
                case WEBSOCKET_EVENT -> httpEncoder.encodeWebSocketText(flow, message, scratch, 0);
                default -> flowEncoder.encodeText(flow, scratch, 0);
            };
            // An event whose JSON was dropped counts as dropped, for the first reason: not measured either.
            final boolean jsonHandedOver = result == EventHandoff.HANDED_OVER;
            final int textResult = handoff.offer(
                EventFormat.TEXT, jsonHandedOver ? causeCaptureNanos : EventHandoff.NOT_MEASURED, scratch, 0, length);
            if (jsonHandedOver)
            {
                result = textResult;
            }
        }
        if (result != EventHandoff.HANDED_OVER)
        {
            eventsDropped++;
            eventsDroppedBy[result]++;
        }
        if (httpEncoder != null && httpEncoder.truncatedEvents() != truncatedBefore)
        {
            eventsTruncated++;
        }
    }

    /** @return the HTTP decoder, or null when HTTP is not decoded. */
    HttpDecoder http()
    {
        return http;
    }

    TcpFlowTracker tracker()
    {
        return tracker;
    }

    TcpReassembler reassembler()
    {
        return reassembler;
    }

    long activeFlowsRelaxed()
    {
        return activeFlowsRelaxed.get();
    }

    long eventsRelaxed()
    {
        return eventsRelaxed.get();
    }

    long eventsEmitted()
    {
        return eventsEmitted;
    }

    long eventsDropped()
    {
        return eventsDropped;
    }

    /** @return events dropped for {@code reason}, an {@link EventHandoff} result other than {@link EventHandoff#HANDED_OVER}. */
    long eventsDropped(final int reason)
    {
        return eventsDroppedBy[reason];
    }

    /** @return events written cut to fit the hand-off (counted once per event, whatever its formats). */
    long eventsTruncated()
    {
        return eventsTruncated;
    }
}
