package dev.httpcap.capture;

/**
 * A source of link-layer frames: a capture file, standard input or (later) a live interface.
 * Driven by one thread in a loop of {@link #poll(PacketHandler, int)} calls, Agent style.
 */
public interface PacketSource extends AutoCloseable
{
    /**
     * Deliver up to {@code limit} frames to {@code handler}.
     *
     * @return the number of frames delivered; 0 when nothing is available right now or the source is done.
     */
    int poll(PacketHandler handler, int limit);

    /** @return true once every frame has been delivered (end of file), or the source failed for good. */
    boolean isDone();

    /** @return bytes of the underlying input consumed so far (for progress reporting; safe to read from any thread). */
    long bytesConsumed();

    /** @return total size of the input in bytes, or -1 when unknown (a pipe). */
    long totalBytes();

    /** @return file-level anomalies (truncated records, corrupt blocks) seen so far. */
    CaptureFileCounters fileCounters();

    /**
     * Whether a frame given to the handler stays readable, unchanged, at the same native address
     * after {@code onPacket} returns, until this source is closed: true for a mapped file, whose
     * frames other threads may then read in place instead of from a copy. False (the default)
     * when the source reuses its memory for the next frames, as a live ring or a pipe's window does.
     */
    default boolean framesStayReadable()
    {
        return false;
    }

    /**
     * Lend frames in place instead of reusing their memory at once: when the source can (a live ring
     * whose blocks it hands back to the kernel later), a frame given to the handler stays readable,
     * unchanged, at the same native address until {@code progress.consumedPosition()} has reached
     * the {@code progress.publishedPosition()} read after the frame was delivered. Call before the
     * first {@link #poll}.
     *
     * @return true when the source holds its frames so from now on; false (the default) when it cannot.
     */
    default boolean holdFrames(final ConsumerProgress progress)
    {
        return false;
    }

    /**
     * Give back the frames the readers have passed ({@link #holdFrames}). The thread that polls
     * calls it while it waits for room downstream, in the middle of a {@link #poll}, so that what is
     * already read returns to the kernel meanwhile.
     */
    default void releaseConsumedFrames()
    {
    }

    @Override
    void close();
}
