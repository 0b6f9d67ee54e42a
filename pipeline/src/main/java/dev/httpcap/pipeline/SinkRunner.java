package dev.httpcap.pipeline;

import java.util.List;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;

import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.EventSink;

/**
 * The sink thread: drains the event hand-off into every sink that wants the event's format, and
 * flushes the sinks whenever the hand-off runs dry, so writes are batched under load and prompt
 * when traffic is light.
 */
final class SinkRunner implements Runnable, MessageHandler
{
    private static final int READ_LIMIT = 1024;

    private final EventHandoff handoff;
    private final EventSink[] jsonSinks;
    private final EventSink[] textSinks;
    private final EventSink[] allSinks;
    private final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 1_000_000);
    private volatile boolean producersDone;
    private volatile Throwable failure;
    private long events;

    SinkRunner(final EventHandoff handoff, final List<EventSink> sinks)
    {
        this.handoff = handoff;
        this.allSinks = sinks.toArray(EventSink[]::new);
        this.jsonSinks = sinks.stream().filter(s -> s.format() == EventFormat.JSON).toArray(EventSink[]::new);
        this.textSinks = sinks.stream().filter(s -> s.format() == EventFormat.TEXT).toArray(EventSink[]::new);
    }

    @Override
    public void run()
    {
        try
        {
            boolean dirty = false;
            while (true)
            {
                final int read = handoff.ring().read(this, READ_LIMIT);
                if (read > 0)
                {
                    dirty = true;
                    idle.reset();
                    continue;
                }
                if (dirty)
                {
                    flushAll();
                    dirty = false;
                }
                if (producersDone && handoff.ring().size() == 0)
                {
                    break;
                }
                idle.idle();
            }
            flushAll();
        }
        catch (final Throwable ex)
        {
            failure = ex;
            handoff.consumerGone();
        }
    }

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        events++;
        final EventSink[] sinks = msgTypeId == EventFormat.JSON.msgTypeId() ? jsonSinks : textSinks;
        for (final EventSink sink : sinks)
        {
            sink.onEvent(buffer, index, length);
        }
    }

    private void flushAll()
    {
        for (final EventSink sink : allSinks)
        {
            sink.flush();
        }
    }

    /** No producer will write again: drain what is left and stop. */
    void producersDone()
    {
        producersDone = true;
    }

    Throwable failure()
    {
        return failure;
    }

    long events()
    {
        return events;
    }
}
