package dev.httpcap.pipeline;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GcPausesTest
{
    @Test
    void shouldCountAStopTheWorldCollectionWithItsDurationWhileOpenAndNoneOnceClosed() throws Exception
    {
        final CounterRegistry registry = new CounterRegistry();
        final GcPauses pauses = new GcPauses();
        try (pauses)
        {
            pauses.register(registry);
            System.gc();
            // Notifications come after the collection, on a JMX thread.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (pauses.pauses() == 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            assertTrue(pauses.pauses() >= 1, "System.gc() is a stop-the-world collection with every HotSpot collector");
            assertTrue(pauses.maxPauseMillis() <= pauses.pauseMillis());
            long registered = 0;
            for (final CounterRegistry.Family family : registry.families())
            {
                if (family.name().equals("gc_pauses"))
                {
                    registered = family.total();
                }
            }
            assertEquals(pauses.pauses(), registered, "the registry reads the same counts");
        }
        final long counted = pauses.pauses();
        System.gc();
        Thread.sleep(200);
        assertEquals(counted, pauses.pauses(), "closed: no longer listening");
    }

    @Test
    void shouldLeaveOutTheCollectorsThatRunBesideTheApplication()
    {
        for (final String concurrent : new String[] {"ZGC Major Cycles", "ZGC Minor Cycles", "Shenandoah Cycles"})
        {
            assertFalse(GcPauses.isPauseCollector(concurrent), concurrent);
        }
        for (final String pause : new String[] {"Copy", "MarkSweepCompact", "G1 Young Generation", "G1 Old Generation",
            "ZGC Major Pauses", "Shenandoah Pauses", "PS Scavenge",
            "G1 Concurrent GC"}) // its Remark and Cleanup pauses (JDK-8297247)
        {
            assertTrue(GcPauses.isPauseCollector(pause), pause);
        }
    }
}
