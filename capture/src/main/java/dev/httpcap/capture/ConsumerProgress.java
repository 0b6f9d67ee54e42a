package dev.httpcap.capture;

/**
 * How far the readers of the frames a source lends in place have got ({@link PacketSource#holdFrames}).
 * Positions are the consumer's own (the pipeline's ring sequences): they only grow, and the source
 * only compares them.
 */
public interface ConsumerProgress
{
    /** @return the position of the last frame handed on so far. Capture thread. */
    long publishedPosition();

    /** @return a position every reader has passed: frames handed on at or before it are read no more. */
    long consumedPosition();
}
