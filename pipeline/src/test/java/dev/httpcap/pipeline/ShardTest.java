package dev.httpcap.pipeline;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.httpcap.capture.PacketInfo;
import dev.httpcap.capture.SymmetricFlowHash;
import dev.httpcap.common.TcpSegment;

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

    @Test
    void shouldSpreadTheConnectionsOfOneClientToOneServerEvenlyOverTheWorkers()
    {
        // A load test: one client address, sequential source ports, one server: only the port differs.
        final PacketInfo info = new PacketInfo();
        info.protocol = 6;
        final TcpSegment segment = info.segment();
        segment.srcHi = 0;
        segment.srcLo = 0xFFFF_0A00_0001L;
        segment.dstHi = 0;
        segment.dstLo = 0xFFFF_0A00_0002L;
        segment.dstPort = 80;
        for (final int workers : new int[] {2, 3, 4, 8})
        {
            final int[] counts = new int[workers];
            final int connections = 28_232; // the default ephemeral range, 32768-60999
            for (int port = 32_768; port < 32_768 + connections; port++)
            {
                segment.srcPort = port;
                counts[RingPublisher.shardOf(SymmetricFlowHash.hash(info), workers)]++;
            }
            for (int shard = 0; shard < workers; shard++)
            {
                final double share = counts[shard] * (double)workers / connections;
                assertTrue(share > 0.9 && share < 1.1, workers + " workers: shard " + shard + " got " + share + " of its share");
            }
        }
    }
}
