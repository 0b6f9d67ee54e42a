package dev.httpcap.decoders.http;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.tcp.Tags;

import static dev.httpcap.decoders.http.HttpStream.BODY_LENGTH;

/**
 * A message body as it goes by: counted (never buffered whole), and its first bytes, up to what
 * the configuration keeps ({@link HttpConfig#bodyCaptureBytes}), copied into the transaction's
 * store for the event. A loss inside it is counted as body too, and ends what is captured.
 */
final class BodyCapture
{
    private final HttpConfig config;

    BodyCapture(final HttpConfig config)
    {
        this.config = config;
    }

    /** The body of the message in progress starts, framed by {@code state} ({@code length} for a known length). */
    void begin(final HttpStream s, final int state, final long length)
    {
        s.state = state;
        s.remaining = length;
        final int capture = config.bodyCaptureBytes(s.tx.hasField(
            s.requests ? HttpTransaction.REQUEST_CONTENT_ENCODING : HttpTransaction.RESPONSE_CONTENT_ENCODING));
        if (capture > 0)
        {
            final int size = state == BODY_LENGTH ? (int)Math.min(capture, length) : capture;
            final HttpTransaction tx = s.tx;
            final int at = tx.reserve(size);
            if (at >= 0)
            {
                tx.setField(s.requests ? HttpTransaction.REQUEST_BODY : HttpTransaction.RESPONSE_BODY, at, 0);
                s.bodyCapture = true;
                s.bodyCaptured = 0;
                s.bodyCaptureLimit = size;
            }
        }
    }

    void take(final HttpStream s, final DirectBuffer buffer, final int offset, final int length)
    {
        final HttpTransaction tx = s.tx;
        countBody(s, length);
        if (s.bodyCapture)
        {
            final int field = s.requests ? HttpTransaction.REQUEST_BODY : HttpTransaction.RESPONSE_BODY;
            final int n = Math.min(length, s.bodyCaptureLimit - s.bodyCaptured);
            if (n > 0)
            {
                tx.store.putBytes(tx.fieldOffset(field) + s.bodyCaptured, buffer, offset, n);
                s.bodyCaptured += n;
                tx.setField(field, tx.fieldOffset(field), s.bodyCaptured);
            }
            if (n < length)
            {
                tx.tags |= Tags.BODY_TRUNCATED;
            }
        }
    }

    void lose(final HttpStream s, final long length)
    {
        countBody(s, length);
        // What was captured of the body stops at the hole.
        s.bodyCaptureLimit = s.bodyCaptured;
    }

    /** {@code length} bytes of the message's body went by (captured or lost). */
    private static void countBody(final HttpStream s, final long length)
    {
        final HttpTransaction tx = s.tx;
        if (s.requests)
        {
            tx.requestBodyBytes += length;
            tx.requestBytes += length;
        }
        else
        {
            tx.responseBodyBytes += length;
            tx.responseBytes += length;
        }
    }
}
