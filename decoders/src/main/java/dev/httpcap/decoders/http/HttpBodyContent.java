package dev.httpcap.decoders.http;

import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.decoders.event.Tags;
import dev.httpcap.decoders.json.JsonWriter;
import dev.httpcap.decoders.json.Utf8;

import static dev.httpcap.decoders.json.JsonWriter.encodeName;

/**
 * What an HTTP event shows of a captured body: inflated first with {@code --decode-body}
 * ({@code Content-Encoding: gzip|x-gzip|deflate}), cut to {@code --body-bytes}, and written as text
 * when it is UTF-8 or as base64 ({@code --body-encoding}). One per encoder; allocation-free.
 */
final class HttpBodyContent
{
    private static final byte[] CONTENT = encodeName("content");
    private static final byte[] CONTENT_BASE64 = encodeName("content_base64");
    private static final byte[] GZIP = encodeName("gzip");
    private static final byte[] X_GZIP = encodeName("x-gzip");
    private static final byte[] DEFLATE = encodeName("deflate");

    private final boolean decodeBody;
    private final int bodyBytes;
    private final HttpConfig.BodyEncoding bodyEncoding;
    private final Inflater gzipInflater = new Inflater(true);
    private final Inflater zlibInflater = new Inflater(false);
    /** One byte more than a body may show: filling it tells that the decoded body goes on. */
    private final byte[] decoded;
    private final UnsafeBuffer decodedView;

    HttpBodyContent(final HttpConfig config)
    {
        this.decodeBody = config.decodeBody() && config.bodyBytes() > 0;
        this.bodyBytes = config.bodyBytes();
        this.bodyEncoding = config.bodyEncoding();
        this.decoded = new byte[decodeBody ? config.bodyBytes() + 1 : 0];
        this.decodedView = new UnsafeBuffer(decoded);
    }

    /** Release the inflaters' native memory. */
    void close()
    {
        gzipInflater.end();
        zlibInflater.end();
    }

    /**
     * Write the captured body {@code bodyField} of {@code tx} ({@code bytes} long on the wire) as
     * {@code content} or {@code content_base64} into the open {@code body} object.
     *
     * @return {@link HttpTransaction#TAG_BODY_TRUNCATED} when more was captured or decoded than is shown, else 0.
     */
    int write(final JsonWriter out, final HttpTransaction tx, final long bytes, final int bodyField, final int encodingField)
    {
        DirectBuffer content = tx.store;
        int offset = tx.fieldOffset(bodyField);
        int length = tx.fieldLength(bodyField);
        final int decodedLength = decodeBody ? decode(tx, offset, length, encodingField) : -1;
        // A prefix of the body: a last character cut short is left out rather than making it binary.
        boolean prefix = decodedLength >= 0 || length < bytes;
        if (decodedLength >= 0)
        {
            content = decodedView;
            offset = 0;
            length = decodedLength;
        }
        int addedTags = 0;
        // More was captured (compressed bytes to inflate) or decoded than an event shows.
        if (length > bodyBytes)
        {
            length = bodyBytes;
            addedTags = Tags.BODY_TRUNCATED;
            prefix = true;
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
        return addedTags;
    }

    /** @return bytes inflated into {@link #decoded}, or -1 when the body is not gzip/deflate or does not inflate. */
    private int decode(final HttpTransaction tx, final int offset, final int length, final int encodingField)
    {
        if (!tx.hasField(encodingField) || length == 0)
        {
            return -1;
        }
        final DirectBuffer store = tx.store;
        final int encodingOffset = tx.fieldOffset(encodingField);
        final int encodingEnd = encodingOffset + tx.fieldLength(encodingField);
        final byte[] input = tx.store.byteArray();
        if (HttpChars.listContains(store, encodingOffset, encodingEnd, GZIP) ||
            HttpChars.listContains(store, encodingOffset, encodingEnd, X_GZIP))
        {
            final int header = gzipHeaderLength(store, offset, length);
            return header < 0 ? -1 : inflate(gzipInflater, input, offset + header, length - header);
        }
        if (HttpChars.listContains(store, encodingOffset, encodingEnd, DEFLATE))
        {
            final int zlib = inflate(zlibInflater, input, offset, length);
            return zlib >= 0 ? zlib : inflate(gzipInflater, input, offset, length); // some servers send raw deflate
        }
        return -1;
    }

    private int inflate(final Inflater inflater, final byte[] input, final int offset, final int length)
    {
        inflater.reset();
        inflater.setInput(input, offset, length);
        int produced = 0;
        try
        {
            while (produced < decoded.length && !inflater.finished())
            {
                final int n = inflater.inflate(decoded, produced, decoded.length - produced);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary()))
                {
                    break; // the captured prefix ends here
                }
                produced += n;
            }
        }
        catch (final DataFormatException ex)
        {
            return produced > 0 ? produced : -1;
        }
        return produced;
    }

    /** @return the length of the RFC 1952 header at {@code offset}, or -1 when it is not one (or is cut). */
    private static int gzipHeaderLength(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < 10 || (buffer.getByte(offset) & 0xFF) != 0x1F || (buffer.getByte(offset + 1) & 0xFF) != 0x8B ||
            buffer.getByte(offset + 2) != 8)
        {
            return -1;
        }
        final int flags = buffer.getByte(offset + 3) & 0xFF;
        int i = 10;
        if ((flags & 0x04) != 0)
        {
            if (i + 2 > length)
            {
                return -1;
            }
            i += 2 + ((buffer.getByte(offset + i) & 0xFF) | (buffer.getByte(offset + i + 1) & 0xFF) << 8);
        }
        if ((flags & 0x08) != 0)
        {
            i = skipZeroTerminated(buffer, offset, length, i);
        }
        if (i >= 0 && (flags & 0x10) != 0)
        {
            i = skipZeroTerminated(buffer, offset, length, i);
        }
        if (i >= 0 && (flags & 0x02) != 0)
        {
            i += 2;
        }
        return i >= 0 && i <= length ? i : -1;
    }

    private static int skipZeroTerminated(final DirectBuffer buffer, final int offset, final int length, final int from)
    {
        for (int i = from; i < length; i++)
        {
            if (buffer.getByte(offset + i) == 0)
            {
                return i + 1;
            }
        }
        return -1;
    }
}
