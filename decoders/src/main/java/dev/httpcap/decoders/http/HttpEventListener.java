package dev.httpcap.decoders.http;

import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.websocket.WebSocketMessage;

/** Receives each finished transaction, in order per connection, on the worker that owns the connection. */
@FunctionalInterface
public interface HttpEventListener
{
    /** {@code transaction} is only valid during the call: it is recycled when the call returns. */
    void onTransaction(TcpFlow flow, HttpTransaction transaction);

    /** A WebSocket message after an upgrade; {@code message} is only valid during the call. */
    default void onWebSocketMessage(final TcpFlow flow, final WebSocketMessage message)
    {
    }
}
