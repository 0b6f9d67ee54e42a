package dev.httpcap.pipeline;

import java.util.function.BooleanSupplier;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import dev.httpcap.capture.PacketSource;

/**
 * The capture thread of a lane: polls its source into the lane's {@link RingPublisher} until the
 * source ends or a stop is requested, publishing clock ticks on a live capture; then, whatever ended
 * it (a failure too), tells the workers the capture has ended.
 */
final class CaptureAgent extends PipelineAgent
{
    private static final int POLL_LIMIT = 256;

    private final PacketSource source;
    private final RingPublisher publisher;
    private final long tickNanos;
    private final BooleanSupplier stopRequested;
    private long lastTick = System.nanoTime();

    /**
     * @param tickNanos     how often to publish the wall-clock time as packet time (live capture), or 0.
     * @param stopRequested whether to stop reading; the caller interrupts the thread to wake a blocked read.
     */
    CaptureAgent(
        final String roleName, final PacketSource source, final RingPublisher publisher, final long tickNanos,
        final BooleanSupplier stopRequested)
    {
        super(roleName);
        this.source = source;
        this.publisher = publisher;
        this.tickNanos = tickNanos;
        this.stopRequested = stopRequested;
    }

    /** After an empty poll: a few spins and yields, then naps from 1 us up to 1 ms while the source stays quiet. */
    static IdleStrategy idleStrategy()
    {
        return new BackoffIdleStrategy(10, 10, 1_000, 1_000_000);
    }

    @Override
    int work()
    {
        if (stopRequested.getAsBoolean() || source.isDone())
        {
            return finish();
        }
        publisher.startBatch();
        final int read = source.poll(publisher, POLL_LIMIT);
        publisher.publishProgress();
        if (tickNanos > 0)
        {
            final long now = System.nanoTime();
            if (now - lastTick >= tickNanos)
            {
                // Live capture: packet time is wall-clock time, and a worker whose shard is
                // quiet must still see it pass to time out its idle connections.
                publisher.publishClockTick(System.currentTimeMillis() * 1_000_000L);
                lastTick = now;
            }
        }
        return read;
    }

    @Override
    public void onClose()
    {
        // A stop request may have interrupted us; the interrupt has done its job, and the
        // end-of-capture publication below must not be disturbed by it.
        Thread.interrupted();
        publisher.publishProgress();
        publisher.publishEndOfCapture();
    }
}
