package dev.httpcap.pipeline;

/** What the pipeline does when a consumer falls behind its producer. */
public enum BackPressure
{
    /**
     * Wait for room: nothing is lost, the producer slows down. The default, for files and live
     * capture alike: live, the capture thread stops taking blocks and the kernel ring buffers (what
     * it cannot hold, the kernel drops and counts).
     */
    BLOCK,
    /** Drop the packet or event and count it: the producer never waits. */
    DROP
}
