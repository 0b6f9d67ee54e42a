package dev.httpcap.pipeline;

/** What the pipeline does when a consumer falls behind its producer. */
public enum BackPressure
{
    /** Wait for room: nothing is lost, the producer slows down. The default for files. */
    BLOCK,
    /** Drop the packet or event and count it: the producer never waits. The default for live capture. */
    DROP
}
