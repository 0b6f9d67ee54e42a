package dev.httpcap.app;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.agrona.DirectBuffer;

import dev.httpcap.capture.CaptureFileCounters;
import dev.httpcap.capture.ConsumerProgress;
import dev.httpcap.capture.LivePacketSource;
import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.capture.RotatingPcapWriter;

/**
 * A live capture with an end: after {@code --count} packets, after {@code --duration}, or when
 * asked to stop. Stopping drains first: the kernel hands a partly filled block over only when
 * its retire timeout expires, so the source keeps polling for a little longer than that before
 * it reports done — packets already captured are not left behind in the ring.
 * <p>
 * With {@code --fanout K} there is one LiveSource per socket, each driven by its own capture
 * thread; they share one {@link Control}, so the count, the deadline and a stop request apply to
 * the capture as a whole.
 */
final class LiveSource implements PacketSource, PacketHandler
{
    private static final long STATISTICS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long FINAL_DRAIN_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** What the lanes of one capture share: when to stop, and how many packets may still be read. */
    static final class Control
    {
        private final long maxPackets;
        private final AtomicLong packets = new AtomicLong();
        private final long deadlineNanos;
        private final long drainNanos;
        private volatile long stopAtNanos = Long.MAX_VALUE;

        Control(final long maxPackets, final long durationNanos, final long drainNanos)
        {
            this.maxPackets = maxPackets > 0 ? maxPackets : Long.MAX_VALUE;
            this.deadlineNanos = durationNanos > 0 ? System.nanoTime() + durationNanos : Long.MAX_VALUE;
            this.drainNanos = drainNanos;
        }

        /** Stop after draining what the kernel has already captured. Any thread. */
        void stop()
        {
            stopAtNanos = Math.min(stopAtNanos, System.nanoTime() + drainNanos);
        }

        boolean counted()
        {
            return maxPackets != Long.MAX_VALUE;
        }

        /** @return true when one more packet may be read (and counts it). */
        boolean takePacket()
        {
            return packets.getAndIncrement() < maxPackets;
        }

        boolean countReached()
        {
            return packets.get() >= maxPackets;
        }
    }

    private final LivePacketSource capture;
    private final RotatingPcapWriter recorder;
    private final Control control;
    private final boolean lend;
    /** Volatile: the stats line reads it from its own thread. */
    private volatile String recorderError;
    private PacketHandler downstream;
    private int pollLimit;
    private long framesSeen;
    private long nextStatisticsNanos;
    private boolean done;
    private boolean closed;

    /**
     * @param recorder where every captured frame is also written ({@code --write}), or null.
     * @param lend     whether the capture may lend its frames to the workers ({@code --zero-copy}).
     */
    LiveSource(final LivePacketSource capture, final RotatingPcapWriter recorder, final Control control, final boolean lend)
    {
        this.capture = capture;
        this.recorder = recorder;
        this.control = control;
        this.lend = lend;
    }

    @Override
    public int poll(final PacketHandler handler, final int limit)
    {
        if (done)
        {
            return 0;
        }
        final long now = System.nanoTime();
        if (now >= control.deadlineNanos)
        {
            control.stop();
        }
        if (now >= control.stopAtNanos || control.counted() && control.countReached())
        {
            finish();
            return 0;
        }
        downstream = handler;
        pollLimit = limit;
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
        framesSeen++;
        // Like tcpdump -c: packets past the count in the same block are not read.
        if (control.counted() && !control.takePacket())
        {
            return;
        }
        if (recorder != null && recorderError == null)
        {
            try
            {
                recorder.write(frame, offset, capturedLength, wireLength, timestampNanos);
            }
            catch (final IOException ex)
            {
                // A full disk must not stop the capture: stop recording, say so on the stats line and in the report.
                recorderError = recordingFailure(ex);
            }
        }
        downstream.onPacket(frame, offset, capturedLength, wireLength, timestampNanos, linkType, interfaceId);
    }

    /** The capture's frames are lent as they are: {@code --write} records each before it is handed on. */
    @Override
    public boolean holdFrames(final ConsumerProgress progress)
    {
        return lend && capture.holdFrames(progress);
    }

    @Override
    public void releaseConsumedFrames()
    {
        capture.releaseConsumedFrames();
    }

    /**
     * The last read of the kernel's counters, and then the packets they count that were not read yet:
     * those that arrived since the last poll, or sit in a block the kernel has not handed over. The
     * counters and the frames read agree at the end unless the kernel holds a packet longer than one
     * more drain period (then the report shows the difference, as before).
     */
    private void finish()
    {
        capture.updateKernelStatistics();
        if (!control.counted() && downstream != null)
        {
            final long until = System.nanoTime() + control.drainNanos;
            while (unreadByKernelCount() > 0 && System.nanoTime() < until)
            {
                if (capture.poll(this, pollLimit) == 0)
                {
                    LockSupport.parkNanos(FINAL_DRAIN_PAUSE_NANOS);
                }
                capture.updateKernelStatistics();
            }
        }
        done = true;
    }

    /** @return packets the kernel counted as captured (drops aside) that no poll has delivered yet. */
    private long unreadByKernelCount()
    {
        return capture.kernelPackets() - capture.kernelDrops() - capture.outgoingSkipped() - framesSeen;
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
            catch (final IOException ex)
            {
                if (recorderError == null)
                {
                    recorderError = recordingFailure(ex);
                }
            }
        }
    }

    /** @return packets written by {@code --write} (0 when not recording). Call after {@link #close()}. */
    long recordedPackets()
    {
        return recorder == null ? 0 : recorder.packets();
    }

    /** @return files written by {@code --write}. Call after {@link #close()}. */
    int recordedFiles()
    {
        return recorder == null ? 0 : recorder.files();
    }

    /** @return "FILE: why", with the file the exception names if it names one (a rotation that could not start the next). */
    private String recordingFailure(final IOException ex)
    {
        final Path file = ex instanceof final FileSystemException fse && null != fse.getFile() ? Path.of(fse.getFile()) :
            recorder.file();
        return file + ": " + IoErrors.describe(ex);
    }

    /** @return why recording stopped early, or null. */
    String recorderError()
    {
        return recorderError;
    }

    /** @return why dropping the recording from the page cache stopped ({@code --write-cache drop}), or null. */
    String recorderCacheFailure()
    {
        return recorder == null ? null : recorder.cacheFailure();
    }

    LivePacketSource capture()
    {
        return capture;
    }
}
