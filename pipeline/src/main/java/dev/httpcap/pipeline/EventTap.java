package dev.httpcap.pipeline;

import dev.httpcap.decoders.http.HttpTransaction;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.websocket.WebSocketMessage;

/**
 * Sees every event one worker emits as the decoded objects, on that worker's thread, before (or,
 * when no sink wants encoded events, instead of) its encoding: an in-process analysis such as
 * {@code httpcap stats} adds them up where they are decoded, with no JSON written or read back and
 * no hand-off. One tap per worker ({@link PipelineConfig#eventTaps}); only that worker calls it (a
 * tap whose state another thread reads, as {@code live --stats-sink} does at each window, brings its
 * own lock). The arguments are the worker's pooled objects: valid only during the call.
 */
public interface EventTap
{
    /** An HTTP transaction (the {@code http} event). */
    void onTransaction(TcpFlow flow, HttpTransaction transaction);

    /** A WebSocket message (the {@code websocket} event). */
    void onWebSocketMessage(TcpFlow flow, WebSocketMessage message);

    /** A connection ended (the flow record's moment), whether or not flow records are written ({@link PipelineConfig#flowEvents}). */
    void onFlowEnd(TcpFlow flow);
}
