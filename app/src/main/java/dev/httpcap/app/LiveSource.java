package dev.httpcap.app;

import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;

import dev.httpcap.capture.AfPacketSource;
import dev.httpcap.capture.CaptureFileCounters;
import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.capture.RotatingPcapWriter;

/**
 * A live capture with an end: after {@code --count} packets, after {@code --duration}, or when
 * asked to stop. Stopping drains first: the kernel hands a partly filled block over only when
 * its retire timeout expires, so the source keeps polling for a little longer than that before
 * it reports done — packets already captured are not left behind in the ring.
 */
final class LiveSource implements PacketSource, PacketHandler
{
    private static final long STATISTICS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final AfPacketSource capture;
    private final RotatingPcapWriter recorder;
    private String recorderError;
    private final long maxPackets;
    private final long deadlineNanos;
    private final long drainNanos;
    private volatile long stopAtNanos = Long.MAX_VALUE;
    private PacketHandler downstream;
    private long packets;
    private long nextStatisticsNanos;
    private boolean done;
    private boolean closed;

    /** @param recorder where every captured frame is also written ({@code --write}), or null. */
    LiveSource(
        final AfPacketSource capture, final RotatingPcapWriter recorder, final long maxPackets, final long durationNanos,
        final long drainNanos)
    {
        this.capture = capture;
        this.recorder = recorder;
        this.maxPackets = maxPackets > 0 ? maxPackets : Long.MAX_VALUE;
        this.deadlineNanos = durationNanos > 0 ? System.nanoTime() + durationNanos : Long.MAX_VALUE;
        this.drainNanos = drainNanos;
    }

    /** Stop after draining what the kernel has already captured. Any thread. */
    void stop()
    {
        stopAtNanos = Math.min(stopAtNanos, System.nanoTime() + drainNanos);
    }

    @Override
    public int poll(final PacketHandler handler, final int limit)
    {
        if (done)
        {
            return 0;
        }
        final long now = System.nanoTime();
        if (now >= deadlineNanos)
        {
            stop();
        }
        if (now >= stopAtNanos || packets >= maxPackets)
        {
            finish();
            return 0;
        }
        downstream = handler;
        final int read = capture.poll(this, limit);
        if (now >= nextStatisticsNanos)
        {
            capture.updateKernelStatistics();
            nextStatisticsNanos = now + STATISTICS_INTERVAL_NANOS;
        }
        return read;
    }

    @Override
    public void onPacket(
        final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
        final long timestampNanos, final int linkType, final int interfaceId)
    {
        // Like tcpdump -c: packets past the count in the same block are not read.
        if (packets < maxPackets)
        {
            packets++;
            if (recorder != null && recorderError == null)
            {
                try
                {
                    recorder.write(frame, offset, capturedLength, wireLength, timestampNanos);
                }
                catch (final java.io.IOException ex)
                {
                    // A full disk must not stop the capture: stop recording, say so in the report.
                    recorderError = ex.toString();
                }
            }
            downstream.onPacket(frame, offset, capturedLength, wireLength, timestampNanos, linkType, interfaceId);
        }
    }

    private void finish()
    {
        capture.updateKernelStatistics();
        done = true;
    }

    @Override
    public boolean isDone()
    {
        return done;
    }

    @Override
    public long bytesConsumed()
    {
        return 0;
    }

    @Override
    public long totalBytes()
    {
        return -1;
    }

    @Override
    public CaptureFileCounters fileCounters()
    {
        return capture.fileCounters();
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        capture.close();
        if (recorder != null)
        {
            try
            {
                recorder.close();
            }
            catch (final java.io.IOException ex)
            {
                if (recorderError == null)
                {
                    recorderError = ex.toString();
                }
            }
        }
    }

    /** @return a report line about {@code --write}, or null when not recording. Call after {@link #close()}. */
    String recorderSummary()
    {
        if (recorder == null)
        {
            return null;
        }
        return "write: " + recorder.packets() + " packets in " + recorder.files() + " file(s)" +
            (recorderError != null ? "; recording stopped: " + recorderError : "");
    }

    AfPacketSource capture()
    {
        return capture;
    }
}
