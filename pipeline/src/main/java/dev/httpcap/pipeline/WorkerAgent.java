package dev.httpcap.pipeline;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;


import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.Sequence;

/**
 * A worker thread's agent: polls the lane's packet ring ({@link EventPoller}: each call takes every
 * slot published since the last, one batch, as the Disruptor's own event processor would) into its
 * {@link FlowWorkerHandler}, and ends once that has handled the end of capture.
 * <p>
 * A bug in the worker costs one packet, not the process: an exception out of one slot is counted,
 * the first kept, and the worker goes on (if it was the end of capture, the worker is counted as
 * finished). An error that ends the agent or its thread stops reading and lets the ring go on
 * without this worker ({@code onDeath}), so the capture thread never waits forever for room.
 */
final class WorkerAgent extends PipelineAgent implements EventPoller.Handler<PacketEvent>
{
    private final EventPoller<PacketEvent> poller;
    private final FlowWorkerHandler worker;
    private final AtomicLong errors;
    private final AtomicReference<Throwable> firstError;
    private final Consumer<WorkerAgent> onDeath;
    private boolean batchStart;
    private boolean ended;
    private boolean dead;

    WorkerAgent(
        final String roleName, final EventPoller<PacketEvent> poller, final FlowWorkerHandler worker, final AtomicLong errors,
        final AtomicReference<Throwable> firstError, final Consumer<WorkerAgent> onDeath)
    {
        super(roleName);
        this.poller = poller;
        this.worker = worker;
        this.errors = errors;
        this.firstError = firstError;
        this.onDeath = onDeath;
    }

    /**
     * A worker with nothing to do spins, yields, then naps between looks at the ring, from this long
     * (a 100 ns nap would become the kernel's timer slack, ~50 us: ~20,000 wake-ups a second)...
     */
    private static final long IDLE_NAP_NANOS = 200_000;
    /**
     * ...doubling up to this long while the ring stays empty, when the capture waits for room
     * (back-pressure block, the default): naps of 200 us alone cost an idle worker ~6% of a CPU
     * (5,000 wake-ups a second: an agent on a quiet front end), 4 ms naps ~0.3%. The capture thread
     * cuts a nap short once it has published ({@link Nap#wake}); should it miss (it looked just
     * before the nap began), the packet waits out the nap, while the capture fills the ring (the
     * default 16,384 slots are 16 ms at a million packets a second) and then waits.
     */
    private static final long MAX_IDLE_NAP_NANOS = 4_000_000;

    /**
     * 100 spins, 100 yields, then naps from {@link #IDLE_NAP_NANOS} doubling to {@link #MAX_IDLE_NAP_NANOS};
     * under back-pressure drop, where a ring that fills during a missed wake loses packets (a small
     * {@code --ring-slots} in 4 ms at a few hundred thousand packets a second), no longer than
     * {@link #IDLE_NAP_NANOS}, as the Disruptor's {@code SleepingWaitStrategy(200, 200 us)}.
     */
    static Nap idleStrategy(final BackPressure packets)
    {
        return new Nap(100, 100, IDLE_NAP_NANOS, packets == BackPressure.DROP ? IDLE_NAP_NANOS : MAX_IDLE_NAP_NANOS);
    }

    /** @return the sequence of the last slot this worker is done with (it gates the ring). */
    Sequence sequence()
    {
        return poller.getSequence();
    }

    @Override
    int work() throws Exception
    {
        if (ended)
        {
            return finish();
        }
        batchStart = true;
        return poller.poll(this) == EventPoller.PollState.PROCESSING ? 1 : 0;
    }

    @Override
    public boolean onEvent(final PacketEvent event, final long sequence, final boolean endOfBatch)
    {
        if (batchStart)
        {
            batchStart = false;
            worker.onBatchStart();
        }
        final boolean endOfCapture = event.slots == PacketEvent.END_OF_CAPTURE;
        try
        {
            worker.onEvent(event, sequence, endOfBatch);
        }
        catch (final Throwable ex)
        {
            errors.incrementAndGet();
            firstError.compareAndSet(null, ex);
            if (endOfCapture)
            {
                worker.abandon();
            }
        }
        if (endOfCapture)
        {
            // Nothing follows the end of capture on this ring: the worker is done.
            ended = true;
            return false;
        }
        return true;
    }

    @Override
    public void onClose()
    {
        if (failure() != null)
        {
            died();
        }
    }

    @Override
    void threadDied(final Throwable ex)
    {
        super.threadDied(ex);
        died();
    }

    private void died()
    {
        if (!dead)
        {
            dead = true;
            onDeath.accept(this);
        }
    }
}
