package dev.httpcap.sinks;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaSinkTest
{
    @TempDir
    Path dir;

    @Test
    void shouldForceTheLogWithinTheIntervalWhileTheShipperWaitsForTheBrokers() throws IOException
    {
        // No broker: the shipper waits max.block.ms (3 s) for metadata, again and again. The log
        // must still be forced within the interval (200 ms), by the sink's own fsync thread.
        final KafkaSinkConfig config = new KafkaSinkConfig().bootstrapServers("127.0.0.1:" + unusedPort()).topic("t")
            .spillDir(dir.resolve("spill")).fsyncMs(200).maxBlockMs(3_000).closeTimeoutMs(100)
            .delivery(KafkaSinkConfig.Delivery.AT_LEAST_ONCE);
        final List<String> notices = new ArrayList<>();
        final KafkaSink sink = new KafkaSink(config, "test", notices::add);
        try
        {
            final byte[] event = "{\"network\":{\"community_id\":\"1:abc\"}}".getBytes(StandardCharsets.UTF_8);
            sink.onEvent(new UnsafeBuffer(event), 0, event.length);
            sink.flush();
            assertTrue(sink.spillUnforced(), "written, not yet forced: the sink thread does not fsync in flush()");
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_000);
            while (sink.spillUnforced() && System.nanoTime() - deadline < 0)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            assertFalse(sink.spillUnforced(), "not forced within 1 s of a 200 ms interval");
        }
        finally
        {
            sink.close();
        }
    }

    @Test
    void shouldCountAnEmptyEventFailedAndKeepItOutOfTheLog() throws IOException
    {
        // The log keeps no empty record (its reader takes eight zero bytes for damage): nothing may throw out of the sink thread.
        final KafkaSinkConfig config = new KafkaSinkConfig().bootstrapServers("127.0.0.1:" + unusedPort()).topic("t")
            .spillDir(dir.resolve("spill")).maxBlockMs(1_000).closeTimeoutMs(100)
            .delivery(KafkaSinkConfig.Delivery.AT_LEAST_ONCE);
        final KafkaSink sink = new KafkaSink(config, "test", notice -> { });
        try
        {
            sink.onEvent(new UnsafeBuffer(new byte[8]), 0, 0);
            sink.flush();
            assertEquals(1, sink.eventsFailed());
            assertEquals(0, sink.eventsSpilled());
            assertTrue(sink.lastError().contains("empty event"), sink.lastError());
        }
        finally
        {
            sink.close();
        }
    }

    private static int unusedPort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }
}
