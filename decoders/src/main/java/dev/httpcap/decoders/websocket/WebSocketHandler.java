package dev.httpcap.decoders.websocket;

import java.util.zip.Inflater;

/**
 * What a {@link WebSocketStream} needs from the decoder that owns it: where its messages go, where
 * its errors are counted, and the per-worker decompressors and scratch space it borrows.
 */
public interface WebSocketHandler
{
    /** A message (or control frame) is complete; {@code message} is only valid during the call. */
    void onMessage(WebSocketMessage message);

    /** A frame broke RFC 6455 (or its compressed payload did not inflate). */
    void onParseError();

    /** Bytes were lost outside a payload: the direction is given up. */
    void onGap();

    /** @return {@code existing}, or a decompressor from the pool, or null when the pool is used up. */
    Inflater borrowInflater(Inflater existing);

    /** @return scratch space for unmasked compressed input. */
    byte[] inflaterInput();

    /** @return scratch space for inflated bytes past what a message keeps. */
    byte[] inflaterOutput();
}
