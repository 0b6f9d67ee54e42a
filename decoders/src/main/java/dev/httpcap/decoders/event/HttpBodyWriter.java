package dev.httpcap.decoders.event;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.http.HttpConfig;
import dev.httpcap.decoders.http.HttpContentDecoder;
import dev.httpcap.decoders.http.HttpTransaction;
import dev.httpcap.decoders.tcp.Tags;

import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/**
 * What an HTTP event shows of a captured body: decoded first by the HTTP layer's
 * {@link HttpContentDecoder} with {@code --decode-body}, cut to {@code --body-bytes}, and written
 * as text when it is UTF-8 or as base64 ({@code --body-encoding}). One per encoder; allocation-free.
 */
final class HttpBodyWriter
{
    private static final byte[] CONTENT = encodeName("content");
    private static final byte[] CONTENT_BASE64 = encodeName("content_base64");
    private static final byte[] MIME_TYPE = encodeName("mime_type");

    private final int bodyBytes;
    private final HttpConfig.BodyEncoding bodyEncoding;
    private final HttpContentDecoder decoder;
    private boolean captured;
    private boolean identity;
    private boolean prefix;
    private DirectBuffer content;
    private int offset;
    private int length;
    private int tags;

    HttpBodyWriter(final HttpConfig config)
    {
        this.bodyBytes = config.bodyBytes();
        this.bodyEncoding = config.bodyEncoding();
        this.decoder = new HttpContentDecoder(config);
    }

    /** Release the decoder's native memory. */
    void close()
    {
        decoder.close();
    }

    /**
     * Make ready what the event shows of the captured body {@code bodyField} of {@code tx}
     * ({@code bytes} long on the wire): inflated with {@code --decode-body}, cut to {@code --body-bytes}.
     * Nothing when the body was not captured.
     */
    void prepare(final HttpTransaction tx, final long bytes, final int bodyField, final int encodingField)
    {
        captured = tx.hasField(bodyField);
        if (!captured)
        {
            return;
        }
        content = tx.store();
        offset = tx.fieldOffset(bodyField);
        length = tx.fieldLength(bodyField);
        final int decodedLength = decoder.enabled() ? decoder.decode(tx, bodyField, encodingField) : -1;
        // Without content coding (or once decoded) the bytes are the body itself, whose type can be told.
        identity = decodedLength >= 0 || !tx.hasField(encodingField);
        // A prefix of the body: a last character cut short is left out rather than making it binary.
        prefix = decodedLength >= 0 || length < bytes;
        if (decodedLength >= 0)
        {
            content = decoder.decoded();
            offset = 0;
            length = decodedLength;
        }
        tags = 0;
        // More was captured (compressed bytes to inflate) or decoded than an event shows.
        if (length > bodyBytes)
        {
            length = bodyBytes;
            tags = Tags.BODY_TRUNCATED;
            prefix = true;
        }
    }

    /** {@code mime_type} of the prepared body, from its first bytes, when it was captured and is not content-coded. */
    void mimeType(final JsonWriter out)
    {
        if (captured && identity)
        {
            final byte[] type = MimeSniffer.sniff(content, offset, length, prefix);
            if (type != null)
            {
                out.name(MIME_TYPE).rawString(type);
            }
        }
    }

    /**
     * Write the prepared body as {@code content} or {@code content_base64} into the open {@code body}
     * object (nothing when it was not captured).
     *
     * @return {@link Tags#BODY_TRUNCATED} when more was captured or decoded than is shown, else 0.
     */
    int content(final JsonWriter out)
    {
        if (!captured)
        {
            return 0;
        }
        out.stringClass(JsonWriter.BODY);
        final int text = bodyEncoding == HttpConfig.BodyEncoding.TEXT ? length :
            bodyEncoding == HttpConfig.BodyEncoding.BASE64 ? -1 : Utf8.textLength(content, offset, length, prefix);
        if (text >= 0)
        {
            out.name(CONTENT).value(content, offset, text);
        }
        else
        {
            out.name(CONTENT_BASE64).base64Value(content, offset, length);
        }
        out.stringClass(JsonWriter.KEPT);
        return tags;
    }
}
