package dev.httpcap.pipeline;

import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.IdleStrategy;

/**
 * How a worker or the sink thread waits for work: spins, then yields, then naps from {@code minNap}
 * doubling to {@code maxNap} while nothing comes (Agrona's {@code BackoffIdleStrategy}), except that
 * the thread feeding it can cut a nap short with {@link #wake()} once it has published. So a quiet
 * thread naps long (few wake-ups: little CPU on a quiet link) and still starts on new work at once.
 * <p>
 * A wake that comes just before the nap begins is missed (the napping thread is announced only as it
 * parks): then the nap runs its length, which is what bounds the delay. A wake that comes just after
 * the nap ended leaves a permit that makes the thread's next park of any kind return at once, as
 * {@link LockSupport#park} allows: the pipeline's own waits re-check their condition.
 * One thread idles; any thread may wake it.
 */
final class Nap implements IdleStrategy
{
    private final int maxSpins;
    private final int maxYields;
    private final long minNapNanos;
    private final long maxNapNanos;
    private int spins;
    private int yields;
    private long napNanos;
    /** The thread while it naps, null otherwise. */
    private volatile Thread napping;

    Nap(final int maxSpins, final int maxYields, final long minNapNanos, final long maxNapNanos)
    {
        if (minNapNanos <= 0 || maxNapNanos < minNapNanos || maxNapNanos > Long.MAX_VALUE >> 1)
        {
            throw new IllegalArgumentException("naps from " + minNapNanos + " to " + maxNapNanos + " ns");
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minNapNanos = minNapNanos;
        this.maxNapNanos = maxNapNanos;
        this.napNanos = minNapNanos;
    }

    /** Cut the nap short if the thread naps now. Cheap when it does not: one volatile read. */
    void wake()
    {
        final Thread thread = napping;
        if (null != thread)
        {
            LockSupport.unpark(thread);
        }
    }

    /** @return the longest nap. */
    long maxNapNanos()
    {
        return maxNapNanos;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (spins < maxSpins)
        {
            spins++;
            Thread.onSpinWait();
        }
        else if (yields < maxYields)
        {
            yields++;
            Thread.yield();
        }
        else
        {
            napping = Thread.currentThread();
            LockSupport.parkNanos(napNanos);
            napping = null;
            napNanos = Math.min(napNanos << 1, maxNapNanos);
        }
    }

    @Override
    public void reset()
    {
        // Written only when changed: a busy thread resets after every pass, and the line these share
        // with napping is read by the threads that wake it (an event handed over reads it each time).
        if (spins != 0 || yields != 0 || napNanos != minNapNanos)
        {
            spins = 0;
            yields = 0;
            napNanos = minNapNanos;
        }
    }

    @Override
    public String alias()
    {
        return "nap";
    }
}
