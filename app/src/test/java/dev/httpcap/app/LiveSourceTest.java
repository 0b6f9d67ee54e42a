package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.httpcap.capture.CaptureFileCounters;
import dev.httpcap.capture.LivePacketSource;
import dev.httpcap.capture.PacketHandler;

/** The end of a live capture: what the kernel counted as captured is read before the source says it is done. */
final class LiveSourceTest
{
    private static final long DRAIN_NANOS = TimeUnit.MILLISECONDS.toNanos(40);

    /**
     * A kernel that counts {@code late} packets on the first read of its counters after the stop
     * (they arrived since the last poll) and hands them over {@code visibleAfterPolls} polls later
     * (a block not retired yet) — or never, when that is negative.
     */
    private static final class LateKernel implements LivePacketSource
    {
        private final int late;
        private final int visibleAfterPolls;
        private final UnsafeBuffer frame = new UnsafeBuffer(new byte[60]);
        private boolean stopped;
        private long counted;
        private int waiting;
        private int pollsSinceCounted;

        LateKernel(final int late, final int visibleAfterPolls)
        {
            this.late = late;
            this.visibleAfterPolls = visibleAfterPolls;
        }

        @Override
        public int poll(final PacketHandler handler, final int limit)
        {
            if (waiting == 0 || visibleAfterPolls < 0 || pollsSinceCounted++ < visibleAfterPolls)
            {
                return 0;
            }
            final int delivered = Math.min(limit, waiting);
            for (int i = 0; i < delivered; i++)
            {
                handler.onPacket(frame, 0, 60, 60, 1L, 1, 0);
            }
            waiting -= delivered;
            return delivered;
        }

        @Override
        public void updateKernelStatistics()
        {
            if (stopped && counted == 0)
            {
                counted = late;
                waiting = late;
            }
        }

        @Override
        public long kernelPackets()
        {
            return counted;
        }

        @Override
        public long kernelDrops()
        {
            return 0;
        }

        @Override
        public int linkType()
        {
            return 1;
        }

        @Override
        public boolean isDone()
        {
            return false;
        }

        @Override
        public CaptureFileCounters fileCounters()
        {
            return new CaptureFileCounters();
        }

        @Override
        public void close()
        {
        }
    }

    private static final class Counting implements PacketHandler
    {
        int packets;

        @Override
        public void onPacket(
            final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
            final long timestampNanos, final int linkType, final int interfaceId)
        {
            packets++;
        }
    }

    /** Polls until done, as the capture loop does; @return the packets handed on. */
    private static int runToEnd(final LateKernel kernel)
    {
        final LiveSource.Control control = new LiveSource.Control(0, 0, DRAIN_NANOS);
        final LiveSource source = new LiveSource(kernel, null, control, false);
        final Counting handler = new Counting();
        source.poll(handler, 16);
        control.stop();
        kernel.stopped = true;
        while (!source.isDone())
        {
            source.poll(handler, 16);
        }
        return handler.packets;
    }

    @Test
    @Timeout(10)
    void shouldReadThePacketsTheKernelCountedAfterTheLastPoll()
    {
        // Counted by the last read of the counters, handed over a few polls later: read before done.
        assertEquals(40, runToEnd(new LateKernel(40, 3)));
    }

    @Test
    @Timeout(10)
    void shouldStopWaitingForPacketsTheKernelNeverHandsOver()
    {
        final long start = System.nanoTime();
        assertEquals(0, runToEnd(new LateKernel(5, -1)));
        // The stop's drain period, then one more at most for the counted packets: bounded, no hang.
        assertTrue(System.nanoTime() - start < 10 * DRAIN_NANOS, "ended within the drain periods");
    }
}
