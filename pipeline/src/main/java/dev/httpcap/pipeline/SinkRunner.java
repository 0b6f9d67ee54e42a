package dev.httpcap.pipeline;

import java.util.List;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;

import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.EventSink;

/**
 * The sink thread's agent: drains the event hand-off into every sink that wants the event's format, and
 * flushes the sinks whenever the hand-off runs dry, so writes are batched under load and prompt
 * when traffic is light.
 * <p>
 * It also measures each event's capture-to-written latency: the capture times of the events given
 * to the sinks wait in a fixed array until the next flush, and one clock reading after that flush
 * ends all their latencies. When the array is full the sinks are flushed early, so an event never
 * waits unmeasured and nothing grows.
 */
final class SinkRunner extends PipelineAgent implements MessageHandler
{
    private static final int READ_LIMIT = 1024;
    /** Events given to the sinks between two flushes at most; more forces a flush (one write per 4096 events). */
    static final int MAX_UNFLUSHED = 4 * READ_LIMIT;

    private final EventHandoff handoff;
    private final EventSink[] jsonSinks;
    private final EventSink[] textSinks;
    private final EventSink[] allSinks;
    private final CaptureLatency latency;
    private final long[] unflushedCaptureNanos = new long[MAX_UNFLUSHED];
    private int unflushed;
    private volatile boolean producersDone;
    private boolean dirty;
    private long events;

    SinkRunner(final EventHandoff handoff, final List<EventSink> sinks, final CaptureLatency latency)
    {
        super("httpcap-sink");
        this.handoff = handoff;
        this.latency = latency;
        this.allSinks = sinks.toArray(EventSink[]::new);
        this.jsonSinks = sinks.stream().filter(s -> s.format() == EventFormat.JSON).toArray(EventSink[]::new);
        this.textSinks = sinks.stream().filter(s -> s.format() == EventFormat.TEXT).toArray(EventSink[]::new);
    }

    /**
     * How the sink thread waits when the hand-off is empty and the sinks are flushed: spins, yields,
     * then naps from 1 us (the kernel's timer slack makes it ~50 us) doubling, while nothing comes,
     * to 4 ms when the workers wait for room (back-pressure block, the default: naps of at most 1 ms
     * cost an idle sink thread ~1.6% of a CPU, 4 ms ~0.3%), to 1 ms under back-pressure drop, where
     * a hand-off that fills during a missed wake loses events. A worker that hands an event over cuts
     * the nap short ({@link EventHandoff#consumerNap}).
     */
    static Nap idleStrategy(final BackPressure events)
    {
        return new Nap(100, 10, 1_000, events == BackPressure.DROP ? 1_000_000 : 4_000_000);
    }

    @Override
    int work()
    {
        final int read = handoff.ring().read(this, READ_LIMIT);
        if (read > 0)
        {
            dirty = true;
            return read;
        }
        if (dirty)
        {
            flushAll();
            dirty = false;
            return 1;
        }
        if (producersDone && handoff.ring().size() == 0)
        {
            return finish();
        }
        return 0;
    }

    @Override
    public void onClose()
    {
        if (failure() == null)
        {
            flushAll();
        }
        else
        {
            // The workers must not wait for room a dead sink thread will never make.
            handoff.consumerGone();
        }
    }

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        events++;
        final long captureNanos = buffer.getLong(index);
        final int eventIndex = index + EventHandoff.HEADER_LENGTH;
        final int eventLength = length - EventHandoff.HEADER_LENGTH;
        final EventSink[] sinks = msgTypeId == EventFormat.JSON.msgTypeId() ? jsonSinks : textSinks;
        for (final EventSink sink : sinks)
        {
            sink.onEvent(buffer, eventIndex, eventLength);
        }
        if (captureNanos != EventHandoff.NOT_MEASURED)
        {
            unflushedCaptureNanos[unflushed++] = captureNanos;
            if (unflushed == MAX_UNFLUSHED)
            {
                flushAll();
            }
        }
    }

    private void flushAll()
    {
        for (final EventSink sink : allSinks)
        {
            sink.flush();
        }
        if (unflushed > 0)
        {
            final long writtenNanos = System.nanoTime();
            for (int i = 0; i < unflushed; i++)
            {
                latency.record(writtenNanos - unflushedCaptureNanos[i]);
            }
            unflushed = 0;
        }
    }

    /** No producer will write again: drain what is left and stop. */
    void producersDone()
    {
        producersDone = true;
    }

    long events()
    {
        return events;
    }
}
