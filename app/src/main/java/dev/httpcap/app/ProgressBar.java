package dev.httpcap.app;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import dev.httpcap.pipeline.Pipeline;

/** A one-line progress display on a terminal: percent of the file, packets/s and time left. */
final class ProgressBar implements Runnable
{
    private static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final Pipeline pipeline;
    private final long totalBytes;
    private final AtomicBoolean done;

    ProgressBar(final PrintStream out, final Pipeline pipeline, final long totalBytes, final AtomicBoolean done)
    {
        this.out = out;
        this.pipeline = pipeline;
        this.totalBytes = totalBytes;
        this.done = done;
    }

    @Override
    public void run()
    {
        final long start = System.nanoTime();
        boolean drawn = false;
        while (!done.get())
        {
            LockSupport.parkNanos(INTERVAL_NANOS);
            if (done.get())
            {
                break;
            }
            out.print('\r' + line(System.nanoTime() - start));
            out.flush();
            drawn = true;
        }
        if (drawn)
        {
            out.print("\r\033[K");
            out.flush();
        }
    }

    private String line(final long elapsedNanos)
    {
        final double seconds = Math.max(1e-9, elapsedNanos / 1e9);
        final long packets = pipeline.packetsReadSoFar();
        final long bytes = pipeline.bytesReadSoFar();
        final String rate = String.format("%,.0f packets/s", packets / seconds);
        if (totalBytes <= 0)
        {
            return String.format("%,d packets  %s\033[K", packets, rate);
        }
        final double fraction = Math.min(1.0, bytes / (double)totalBytes);
        final int filled = (int)(fraction * WIDTH);
        final double left = fraction > 0 ? seconds * (1 - fraction) / fraction : 0;
        return String.format("[%s%s] %5.1f%%  %,d packets  %s  %s left\033[K",
            "#".repeat(filled), " ".repeat(WIDTH - filled), fraction * 100, packets, rate, formatDuration(left));
    }

    private static String formatDuration(final double seconds)
    {
        final long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s / 60) % 60) :
            s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
