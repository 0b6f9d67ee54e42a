package dev.httpcap.pipeline;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardTest
{
    @Test
    void shouldPickAShardInRangeForEveryWorkerCountFromTheEdgesOfTheHash()
    {
        final SplittableRandom random = new SplittableRandom(21);
        for (int workers = 1; workers <= 256; workers++)
        {
            assertEquals(0, RingPublisher.shardOf(0L, workers));
            assertEquals(0, RingPublisher.shardOf(0xFFFF_FFFFL, workers), "only the top half counts");
            assertEquals(workers - 1, RingPublisher.shardOf(-1L, workers));
            for (int i = 0; i < 1000; i++)
            {
                final int shard = RingPublisher.shardOf(random.nextLong(), workers);
                assertTrue(shard >= 0 && shard < workers, workers + " workers: shard " + shard);
            }
        }
    }

    @Test
    void shouldSpreadHashesEvenlyOverTheWorkers()
    {
        final SplittableRandom random = new SplittableRandom(7);
        for (final int workers : new int[] {2, 3, 4, 7, 8, 16})
        {
            final int[] counts = new int[workers];
            final int hashes = 200_000;
            for (int i = 0; i < hashes; i++)
            {
                counts[RingPublisher.shardOf(random.nextLong(), workers)]++;
            }
            for (int shard = 0; shard < workers; shard++)
            {
                final double share = counts[shard] * (double)workers / hashes;
                assertTrue(share > 0.95 && share < 1.05, workers + " workers: shard " + shard + " got " + share + " of its share");
            }
        }
    }
}
