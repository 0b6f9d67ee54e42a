package dev.httpcap.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import dev.httpcap.sinks.EventFormat;

class NapTest
{
    private static final long TEN_MINUTES = TimeUnit.MINUTES.toNanos(10);

    @Test
    void shouldEndANapWhenWokenNotWhenItRunsOut() throws Exception
    {
        // Naps of ten minutes: only a wake can end one within the test.
        final Nap nap = new Nap(0, 0, TEN_MINUTES, TEN_MINUTES);
        final AtomicBoolean done = new AtomicBoolean();
        final Thread thread = new Thread(() ->
        {
            nap.idle(0);
            done.set(true);
        });
        thread.start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!done.get() && System.nanoTime() < deadline)
        {
            nap.wake(); // nothing to wake until the thread naps: wakes until it has
            Thread.sleep(1);
        }
        thread.join(1_000);
        assertTrue(done.get(), "the nap did not end when woken");
    }

    @Test
    void shouldNotLeaveAPermitWhenWokenWhileNotNapping() throws Exception
    {
        // A first nap, then a wake with nobody napping: nothing; the next nap runs its length (50 ms).
        final Nap nap = new Nap(0, 0, TimeUnit.MILLISECONDS.toNanos(50), TimeUnit.MILLISECONDS.toNanos(50));
        final long[] napped = new long[1];
        final Thread thread = new Thread(() ->
        {
            nap.idle(0);
            nap.wake();
            final long start = System.nanoTime();
            nap.idle(0);
            napped[0] = System.nanoTime() - start;
        });
        thread.start();
        thread.join(10_000);
        assertFalse(thread.isAlive());
        assertTrue(napped[0] >= TimeUnit.MILLISECONDS.toNanos(40), "napped only " + napped[0] + " ns");
    }

    @Test
    void shouldDoubleTheNapUpToItsLongestAndStartAgainFromTheShortestAfterWork() throws Exception
    {
        // Naps of 20, 40, 80, 80 ms: at least 220 ms in all; after work, 20 ms again.
        final long ms = TimeUnit.MILLISECONDS.toNanos(1);
        final Nap nap = new Nap(0, 0, 20 * ms, 80 * ms);
        final long[] took = new long[2];
        final Thread thread = new Thread(() ->
        {
            long start = System.nanoTime();
            for (int i = 0; i < 4; i++)
            {
                nap.idle(0);
            }
            took[0] = System.nanoTime() - start;
            nap.idle(1);
            start = System.nanoTime();
            nap.idle(0);
            took[1] = System.nanoTime() - start;
        });
        thread.start();
        thread.join(10_000);
        assertFalse(thread.isAlive());
        assertTrue(took[0] >= 200 * ms, "four naps took " + took[0] + " ns");
        assertTrue(took[1] >= 18 * ms && took[1] < 70 * ms, "the nap after work took " + took[1] + " ns");
    }

    @Test
    void shouldWakeTheSinkThreadWithAnEventHandedOver() throws Exception
    {
        final EventHandoff handoff = new EventHandoff(EventHandoff.capacityFor(64 * 1024, 4096), BackPressure.BLOCK);
        final Nap nap = new Nap(0, 0, TEN_MINUTES, TEN_MINUTES);
        handoff.consumerNap(nap);
        final AtomicBoolean done = new AtomicBoolean();
        final Thread sink = new Thread(() ->
        {
            nap.idle(0);
            done.set(true);
        });
        sink.start();
        final org.agrona.concurrent.UnsafeBuffer event = new org.agrona.concurrent.UnsafeBuffer(new byte[16]);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!done.get() && System.nanoTime() < deadline)
        {
            // Until the sink thread naps, an offer finds nobody to wake: offered until it has woken.
            assertEquals(EventHandoff.HANDED_OVER, handoff.offer(EventFormat.JSON, 0, event, 0, 16));
            handoff.ring().read((type, buffer, index, length) -> { }, 100);
            Thread.sleep(1);
        }
        sink.join(1_000);
        assertTrue(done.get(), "the sink thread's nap did not end with an event handed over");
        assertEquals(TEN_MINUTES, nap.maxNapNanos());
    }

    @Test
    void shouldSpinAndYieldBeforeNappingAndStartAgainAfterWork() throws Exception
    {
        // Naps of ten minutes: a thread that napped where it should spin or yield would not end.
        final Nap nap = new Nap(2, 1, TEN_MINUTES, TEN_MINUTES);
        final Thread thread = new Thread(() ->
        {
            for (int i = 0; i < 3; i++)
            {
                nap.idle(0); // two spins, a yield
            }
            nap.idle(1); // work: back to spinning
            for (int i = 0; i < 3; i++)
            {
                nap.idle(0);
            }
            nap.reset();
            nap.idle(0);
        });
        thread.start();
        thread.join(30_000);
        final boolean napped = thread.isAlive();
        while (thread.isAlive())
        {
            nap.wake();
            thread.join(10);
        }
        assertFalse(napped, "napped before its spins and yields were used up");
        assertThrows(IllegalArgumentException.class, () -> new Nap(0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Nap(0, 0, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new Nap(0, 0, 1, Long.MAX_VALUE));
    }
}
