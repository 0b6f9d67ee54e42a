package dev.httpcap.decoders.http;

import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Content decoding of captured bodies ({@code --decode-body}): inflates a body sent with
 * {@code Content-Encoding: gzip|x-gzip|deflate} into a buffer one byte longer than an event shows
 * ({@code --body-bytes}), so that filling it tells that the decoded body goes on. One per encoder;
 * allocation-free.
 */
public final class HttpContentDecoder
{
    private static final byte[] GZIP = "gzip".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] X_GZIP = "x-gzip".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEFLATE = "deflate".getBytes(StandardCharsets.US_ASCII);

    private final boolean enabled;
    private final Inflater gzipInflater = new Inflater(true);
    private final Inflater zlibInflater = new Inflater(false);
    private final byte[] decoded;
    private final UnsafeBuffer decodedView;

    public HttpContentDecoder(final HttpConfig config)
    {
        this.enabled = config.decodeBody() && config.bodyBytes() > 0;
        this.decoded = new byte[enabled ? config.bodyBytes() + 1 : 0];
        this.decodedView = new UnsafeBuffer(decoded);
    }

    /** @return whether bodies are decoded at all ({@code --decode-body} with {@code --body-bytes} above 0). */
    public boolean enabled()
    {
        return enabled;
    }

    /** @return what the last {@link #decode} that did not return -1 produced, from offset 0. */
    public DirectBuffer decoded()
    {
        return decodedView;
    }

    /** Release the inflaters' native memory. */
    public void close()
    {
        gzipInflater.end();
        zlibInflater.end();
    }

    /**
     * Inflate the captured body {@code bodyField} of {@code tx} into {@link #decoded()}.
     *
     * @return bytes inflated, or -1 when the body is not gzip/deflate or does not inflate.
     */
    public int decode(final HttpTransaction tx, final int bodyField, final int encodingField)
    {
        final int offset = tx.fieldOffset(bodyField);
        final int length = tx.fieldLength(bodyField);
        if (!enabled || !tx.hasField(encodingField) || length == 0)
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
