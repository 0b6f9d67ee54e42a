package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import net.openhft.affinity.Affinity;

class PinnedThreadFactoryTest
{
    @Test
    void shouldPinEachThreadToTheNextCpuInTurnWhilstItsBodyRuns() throws Exception
    {
        Assumptions.assumeTrue(PinnedThreadFactory.unavailableReason() == null, PinnedThreadFactory::unavailableReason);
        final BitSet allowed = Affinity.getAffinity();
        Assumptions.assumeTrue(allowed.get(0), "CPU 0 is not ours");
        final int other = allowed.nextSetBit(1) > 0 ? allowed.nextSetBit(1) : 0;
        final List<String> warnings = new CopyOnWriteArrayList<>();
        final List<BitSet> seen = new CopyOnWriteArrayList<>();
        final PinnedThreadFactory factory = new PinnedThreadFactory(new int[] {0, other}, warnings::add);
        final List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            final Thread thread = factory.newThread(() -> seen.add(Affinity.getAffinity()));
            thread.setName("pinned-" + i);
            threads.add(thread);
            thread.start();
        }
        for (final Thread thread : threads)
        {
            thread.join();
        }
        assertEquals(List.of(), warnings);
        assertTrue(seen.contains(single(0)), seen.toString());
        assertTrue(seen.contains(single(other)), seen.toString());
        assertTrue(seen.stream().allMatch(set -> set.cardinality() == 1), seen.toString());
    }

    @Test
    void shouldRunUnpinnedAndSaySoWhenTheCpuCannotBeHad() throws Exception
    {
        Assumptions.assumeTrue(PinnedThreadFactory.unavailableReason() == null, PinnedThreadFactory::unavailableReason);
        final List<String> warnings = new CopyOnWriteArrayList<>();
        final boolean[] ran = new boolean[1];
        final Thread thread = new PinnedThreadFactory(new int[] {1023}, warnings::add).newThread(() -> ran[0] = true);
        thread.setName("nowhere");
        thread.start();
        thread.join();
        assertTrue(ran[0]);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("cannot pin nowhere to CPU 1023"), warnings.get(0));
    }

    @Test
    void shouldMakePlainThreadsWithNoCpus() throws Exception
    {
        final List<String> warnings = new CopyOnWriteArrayList<>();
        final boolean[] ran = new boolean[1];
        final Thread thread = new PinnedThreadFactory(new int[0], warnings::add).newThread(() -> ran[0] = true);
        thread.start();
        thread.join();
        assertTrue(ran[0]);
        assertEquals(List.of(), warnings);
    }

    private static BitSet single(final int cpu)
    {
        final BitSet set = new BitSet();
        set.set(cpu);
        return set;
    }
}
