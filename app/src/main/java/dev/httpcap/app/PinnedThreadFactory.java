package dev.httpcap.app;

import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import net.openhft.affinity.Affinity;
import net.openhft.affinity.IAffinity;
import net.openhft.affinity.impl.NullAffinity;

/**
 * Makes threads that pin themselves to a CPU for as long as their body runs, through OpenHFT's
 * Java-Thread-Affinity ({@code sched_setaffinity} over JNA): the n-th thread made goes to
 * {@code cpus[n % cpus.length]}. The pin is taken in the new thread, held by try-with-resources
 * around the body, and the thread's previous affinity is restored when the body returns.
 * <p>
 * Pinning is never required: where it is unavailable (not Linux, no JNA) or refused (a CPU outside
 * the process's cpuset), the thread runs unpinned and {@code warnings} is told once per thread.
 * With no CPUs the factory makes plain threads.
 */
public final class PinnedThreadFactory implements ThreadFactory
{
    private final int[] cpus;
    private final Consumer<String> warnings;
    private final AtomicInteger made = new AtomicInteger();

    /**
     * @param cpus     CPU numbers, used round-robin; empty: do not pin.
     * @param warnings told (from the new thread) when a thread could not be pinned.
     */
    public PinnedThreadFactory(final int[] cpus, final Consumer<String> warnings)
    {
        this.cpus = cpus.clone();
        this.warnings = warnings;
    }

    /**
     * Load the native side now (it needs JNA's native library, which should be unpacked while the
     * process still has its start-up privileges) and say whether pinning can work here.
     *
     * @return null when threads can be pinned; otherwise why not.
     */
    public static String unavailableReason()
    {
        try
        {
            final IAffinity impl = Affinity.getAffinityImpl();
            if (impl instanceof NullAffinity)
            {
                return "no thread affinity support on " + System.getProperty("os.name") +
                    (Affinity.isJNAAvailable() ? "" : " (JNA unavailable)");
            }
            impl.getAffinity();
            return null;
        }
        catch (final Throwable ex)
        {
            return ex.toString();
        }
    }

    @Override
    public Thread newThread(final Runnable body)
    {
        if (cpus.length == 0)
        {
            return new Thread(body);
        }
        final int cpu = cpus[Math.floorMod(made.getAndIncrement(), cpus.length)];
        return new Thread(() ->
        {
            try (CpuPin pin = CpuPin.to(cpu))
            {
                if (pin.failure() != null)
                {
                    warnings.accept("cannot pin " + Thread.currentThread().getName() + " to CPU " + cpu + " (" +
                        pin.failure() + "); it runs unpinned");
                }
                body.run();
            }
        });
    }

    /** @return the CPUs threads are pinned to, in order. */
    public int[] cpus()
    {
        return cpus.clone();
    }

    @Override
    public String toString()
    {
        return "PinnedThreadFactory" + Arrays.toString(cpus);
    }

    /** The current thread pinned to one CPU until closed. */
    private static final class CpuPin implements AutoCloseable
    {
        private final BitSet previous;
        private final String failure;

        private CpuPin(final BitSet previous, final String failure)
        {
            this.previous = previous;
            this.failure = failure;
        }

        static CpuPin to(final int cpu)
        {
            BitSet previous = null;
            try
            {
                final String unavailable = unavailableReason();
                if (unavailable != null)
                {
                    return new CpuPin(null, unavailable);
                }
                previous = Affinity.getAffinity();
                final BitSet wanted = new BitSet();
                wanted.set(cpu);
                Affinity.setAffinity(wanted);
                final BitSet now = Affinity.getAffinity();
                if (!wanted.equals(now))
                {
                    return new CpuPin(previous, "the affinity is " + now + " after asking for " + wanted);
                }
                return new CpuPin(previous, null);
            }
            catch (final Throwable ex)
            {
                return new CpuPin(previous, ex.getMessage() != null ? ex.getMessage() : ex.toString());
            }
        }

        String failure()
        {
            return failure;
        }

        @Override
        public void close()
        {
            if (previous != null && failure == null)
            {
                try
                {
                    Affinity.setAffinity(previous);
                }
                catch (final RuntimeException ex)
                {
                    // The thread is ending anyway.
                }
            }
        }
    }
}
