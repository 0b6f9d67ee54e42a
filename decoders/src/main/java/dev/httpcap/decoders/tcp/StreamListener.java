package dev.httpcap.decoders.tcp;

import org.agrona.DirectBuffer;

/**
 * Receives the two byte streams of a TCP connection from {@link TcpReassembler}, in order, on
 * the worker that owns the connection. Buffers are only valid during the call.
 */
public interface StreamListener
{
    /** The next {@code length} bytes of {@code direction}'s stream ({@link TcpFlow#FROM_CLIENT} or FROM_SERVER). */
    void onData(TcpFlow flow, int direction, DirectBuffer buffer, int offset, int length, long timestampNanos);

    /** The next {@code length} bytes of the stream were never captured and never will be: resynchronise. */
    void onGap(TcpFlow flow, int direction, long length, long timestampNanos);

    /** The stream has ended: its FIN was reached ({@code reset == false}) or the connection was reset. */
    void onEnd(TcpFlow flow, int direction, boolean reset, long timestampNanos);
}
