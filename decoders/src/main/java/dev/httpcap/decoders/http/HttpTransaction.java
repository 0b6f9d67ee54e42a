package dev.httpcap.decoders.http;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.decoders.tcp.Tags;

/**
 * One request and its response, as the decoder saw them: what the event needs, copied out of the
 * segments into a bounded per-transaction store (start lines, selected header fields, captured body
 * bytes) plus times, sizes and tags. Pooled by the decoder and reused after its event is written,
 * so nothing may keep a reference past {@link HttpEventListener#onTransaction}.
 */
public final class HttpTransaction
{
    public static final int METHOD_OTHER = 0;
    public static final int METHOD_GET = 1;
    public static final int METHOD_HEAD = 2;
    public static final int METHOD_CONNECT = 3;
    public static final int METHOD_POST = 4;

    /** Stored text fields: (offset, length) pairs in {@link #fields}; length -1 when absent. */
    public static final int METHOD = 0;
    public static final int TARGET = 1;
    public static final int PHRASE = 2;
    public static final int HOST = 3;
    public static final int USER_AGENT = 4;
    public static final int REQUEST_CONTENT_TYPE = 5;
    public static final int RESPONSE_CONTENT_TYPE = 6;
    public static final int REQUEST_CONTENT_ENCODING = 7;
    public static final int RESPONSE_CONTENT_ENCODING = 8;
    public static final int REQUEST_BODY = 9;
    public static final int RESPONSE_BODY = 10;
    /** The raw request line, kept only when it could not be parsed. */
    public static final int REQUEST_LINE = 11;
    /** The request's {@code Referer}. */
    public static final int REFERRER = 12;
    /** The request's {@code X-Request-ID}. */
    public static final int REQUEST_ID = 13;
    /** The user name of the request's {@code Authorization: Basic} credentials (decoded; the password is never decoded). */
    public static final int USER_NAME = 14;
    private static final int FIELD_COUNT = 15;
    /** A header whose value was not kept because it carries credentials. */
    public static final int REDACTED = -2;

    private static final int INITIAL_STORE = 512;
    /** Values longer than this are copied with one bulk copy rather than word by word. */
    private static final int MAX_WORD_COPY = 128;
    /** Header slots per side a new transaction starts with; grown (and kept, as transactions are pooled) up to the limit. */
    private static final int INITIAL_HEADERS = 8;

    final int capacity;
    private byte[] storeArray = new byte[0];
    final UnsafeBuffer store = new UnsafeBuffer(storeArray);
    int storeLength;
    final int[] fields = new int[2 * FIELD_COUNT];
    /** Per side (0 request, 1 response): (name offset, name length, value offset, value length) per kept header. */
    final int[][] headers;
    private final int maxHeaders;
    final int[] headerCount = new int[2];

    /** Whether the connection's decoder saw this side's start line. */
    boolean hasRequest;
    boolean hasResponse;
    boolean requestDone;
    boolean responseDone;
    /** Still referenced by the connection's queue (false for a response without a request). */
    boolean queued;
    int tags;
    int depth;
    int methodKind;
    int requestMinor = -1;
    /** An HTTP/0.9 simple request, answered by a bare body (no status line, no headers). */
    boolean http09;
    /** A response whose status line could not be kept (decoder overload): final, with no status code. */
    boolean statusLost;
    int responseMinor = -1;
    int status;
    int infoCode;
    boolean upgradeRequested;
    boolean websocketRequested;
    long requestStartNanos;
    long requestEndNanos;
    long responseStartNanos;
    long responseEndNanos;
    /** The first byte of the final response: after any interim 1xx, the status line that is not one. */
    long finalResponseStartNanos;
    /**
     * Bytes of the request (or the response) were never captured, or its end was not seen (a parse
     * error, the connection's end, an early report): its first or last byte's time is not its own.
     */
    boolean requestCut;
    boolean responseCut;
    /** After a loss, which request this response answers is a guess (a pipelining connection). */
    boolean pairingGuessed;
    long requestBytes;
    long responseBytes;
    long requestBodyBytes;
    long responseBodyBytes;

    HttpTransaction(final int capacity, final int maxHeaders)
    {
        this.capacity = capacity;
        this.maxHeaders = maxHeaders;
        // Small at first: with many connections open at once, each holds a transaction, and most
        // messages carry far fewer fields than the limit.
        final int initial = 4 * Math.min(INITIAL_HEADERS, maxHeaders);
        this.headers = new int[][] {new int[initial], new int[initial]};
        reset();
    }

    void reset()
    {
        storeLength = 0;
        java.util.Arrays.fill(fields, -1);
        headerCount[0] = headerCount[1] = 0;
        hasRequest = hasResponse = requestDone = responseDone = queued = false;
        tags = 0;
        depth = 0;
        methodKind = METHOD_OTHER;
        requestMinor = responseMinor = -1;
        status = 0;
        infoCode = 0;
        upgradeRequested = websocketRequested = http09 = statusLost = false;
        requestStartNanos = requestEndNanos = responseStartNanos = responseEndNanos = finalResponseStartNanos = 0;
        requestCut = responseCut = pairingGuessed = false;
        requestBytes = responseBytes = requestBodyBytes = responseBodyBytes = 0;
    }

    /** @return whether a final response came that has no status code (HTTP/0.9, or its status line was lost). */
    public boolean statusless()
    {
        return http09 || statusLost;
    }

    /** Forget what was stored for the response (an interim 1xx response was followed by another status line). */
    void resetResponseFields()
    {
        headerCount[1] = 0;
        clearField(PHRASE);
        clearField(RESPONSE_CONTENT_TYPE);
        clearField(RESPONSE_CONTENT_ENCODING);
    }

    /**
     * Copy {@code length} bytes into the store.
     *
     * @return their offset in {@link #store}, or -1 when the store is full.
     */
    int append(final DirectBuffer src, final int offset, final int length)
    {
        final int at = reserve(length);
        if (at >= 0)
        {
            store.putBytes(at, src, offset, length);
        }
        return at;
    }

    /**
     * {@link #append} of a header name, ASCII letters lowercased, eight bytes at a time straight
     * from the wire. Reads {@code src} only inside {@code [offset, limit)}, which the caller has
     * checked lies in it ({@code limit >= offset + length}).
     */
    int appendLowercase(final DirectBuffer src, final int offset, final int length, final int limit)
    {
        final int at = reserve(length);
        if (at >= 0)
        {
            putLowercase(at, src, offset, length, limit);
        }
        return at;
    }

    /**
     * {@link #append} of a header value: a short one copied eight bytes at a time. Reads {@code src}
     * only inside {@code [offset, offset + length)}, which the caller has checked lies in it.
     */
    int appendValue(final DirectBuffer src, final int offset, final int length)
    {
        final int at = reserve(length);
        if (at >= 0)
        {
            putValue(at, src, offset, length);
        }
        return at;
    }

    /**
     * A header field: its name lowercased as {@link #appendLowercase}, its value right after it
     * as {@link #appendValue}; both or neither (when the store has no room for both).
     *
     * @return the name's offset in {@link #store} (the value's is that plus {@code nameLength}), or -1.
     */
    int appendField(
        final DirectBuffer src, final int nameOffset, final int nameLength, final int valueOffset, final int valueLength,
        final int limit)
    {
        final int at = reserve(nameLength + valueLength);
        if (at >= 0)
        {
            putLowercase(at, src, nameOffset, nameLength, limit);
            putValue(at + nameLength, src, valueOffset, valueLength);
        }
        return at;
    }

    /**
     * A kept header field: {@link #appendField} and {@link #addHeader} together, both or neither.
     * Where the store, the header table and the source all have room, the name and value are
     * copied as whole words (the value's two at a time), the last ones running past the field:
     * the bytes past it land in the store's unused part (overwritten by what is stored next, never
     * read) and are read from {@code src} below {@code limit}, which the caller has checked lies in it.
     *
     * @param first the name's first eight bytes, lowercase, as a little-endian word padded with zeros.
     * @param second the next eight, the same way (0 for a name of up to eight bytes).
     * @return the value's offset in {@link #store}, or -1 when the field was not kept.
     */
    int keepField(
        final int side, final DirectBuffer src, final int nameOffset, final int nameLength, final long first,
        final long second, final int valueOffset, final int valueLength, final int limit)
    {
        final int n = headerCount[side];
        final int[] table = headers[side];
        final int at = storeLength;
        final int length = nameLength + valueLength;
        final byte[] bytes = storeArray;
        if (4 * n + 4 > table.length || at + length > capacity || at + length + 16 > bytes.length ||
            valueOffset + valueLength + 16 > limit || nameOffset < 0 || valueOffset < nameOffset + nameLength)
        {
            return keepFieldSlowly(side, src, nameOffset, nameLength, valueOffset, valueLength, limit);
        }
        final byte[] srcArray = src.byteArray();
        final long srcAddress = src.addressOffset();
        final long name = srcAddress + nameOffset;
        HttpChars.putWordUnchecked(bytes, at, first);
        HttpChars.putWordUnchecked(bytes, at + 8, second);
        if (nameLength > 16)
        {
            putLowercaseWords(bytes, at, srcArray, name, nameLength);
        }
        final int valueAt = at + nameLength;
        final long value = srcAddress + valueOffset;
        for (int k = 0; k < valueLength; k += 16)
        {
            HttpChars.putWordUnchecked(bytes, valueAt + k, HttpChars.load(srcArray, value + k));
            HttpChars.putWordUnchecked(bytes, valueAt + k + 8, HttpChars.load(srcArray, value + k + 8));
        }
        storeLength = at + length;
        putEntry(table, n, at, nameLength, valueAt, valueLength);
        headerCount[side] = n + 1;
        return valueAt;
    }

    /** Header {@code n}'s entry in a side's table: where its name and value are in the store. */
    private static void putEntry(
        final int[] table, final int n, final int nameOffset, final int nameLength, final int valueOffset,
        final int valueLength)
    {
        table[4 * n] = nameOffset;
        table[4 * n + 1] = nameLength;
        table[4 * n + 2] = valueOffset;
        table[4 * n + 3] = valueLength;
    }

    /** The words of a name past its first sixteen bytes, lowercased, inside the room {@link #keepField} has checked. */
    private static void putLowercaseWords(
        final byte[] bytes, final int at, final byte[] srcArray, final long name, final int nameLength)
    {
        for (int k = 16; k < nameLength; k += 8)
        {
            HttpChars.putWordUnchecked(bytes, at + k, HttpChars.lowerAscii(HttpChars.load(srcArray, name + k)));
        }
    }

    private int keepFieldSlowly(
        final int side, final DirectBuffer src, final int nameOffset, final int nameLength, final int valueOffset,
        final int valueLength, final int limit)
    {
        final int mark = storeLength;
        final int nameAt = appendField(src, nameOffset, nameLength, valueOffset, valueLength, limit);
        if (nameAt >= 0 && addHeader(side, nameAt, nameLength, nameAt + nameLength, valueLength))
        {
            return nameAt + nameLength;
        }
        storeLength = mark;
        return -1;
    }

    private void putLowercase(final int at, final DirectBuffer src, final int offset, final int length, final int limit)
    {
        final byte[] bytes = storeArray; // the store wraps it whole: store index = array index
        if (length >= 8)
        {
            HttpChars.checkWords(bytes, at, length);
            final byte[] srcArray = src.byteArray();
            final long srcAddress = src.addressOffset() + offset;
            for (int k = 0; k < length - 8; k += 8)
            {
                HttpChars.putWordUnchecked(bytes, at + k, HttpChars.lowerAscii(HttpChars.load(srcArray, srcAddress + k)));
            }
            // The last eight bytes, overlapping the words before.
            final int last = length - 8;
            HttpChars.putWordUnchecked(bytes, at + last, HttpChars.lowerAscii(HttpChars.load(srcArray, srcAddress + last)));
        }
        else if (offset + 8 <= limit && at + 8 <= bytes.length)
        {
            // A whole word: the bytes past the name are scratch, overwritten by what is stored next.
            HttpChars.putWord(bytes, at, HttpChars.lowerAscii(HttpChars.wordAt(src, offset)));
        }
        else
        {
            for (int k = 0; k < length; k++)
            {
                bytes[at + k] = HttpChars.lower(HttpChars.byteAt(src, offset + k));
            }
        }
    }

    /**
     * {@code length} bytes of a value into the reserved {@code at}: 8 to {@link #MAX_WORD_COPY} as
     * words, the last one overlapping the one before; shorter and longer ones with one bulk copy.
     */
    private void putValue(final int at, final DirectBuffer src, final int offset, final int length)
    {
        if (length < 8 || length > MAX_WORD_COPY)
        {
            store.putBytes(at, src, offset, length);
            return;
        }
        final byte[] bytes = storeArray;
        HttpChars.checkWords(bytes, at, length);
        final byte[] srcArray = src.byteArray();
        final long srcAddress = src.addressOffset() + offset;
        for (int k = 0; k < length - 8; k += 8)
        {
            HttpChars.putWordUnchecked(bytes, at + k, HttpChars.load(srcArray, srcAddress + k));
        }
        final int last = length - 8;
        HttpChars.putWordUnchecked(bytes, at + last, HttpChars.load(srcArray, srcAddress + last));
    }

    /** @return the offset of {@code length} fresh bytes in {@link #store}, or -1 when the store is full. */
    int reserve(final int length)
    {
        final int at = storeLength;
        final int newLength = at + length;
        if (length < 0 || newLength > capacity)
        {
            return -1;
        }
        if (newLength > storeArray.length)
        {
            // Grows while the pool warms up; a transaction keeps its array when recycled.
            int size = Math.max(INITIAL_STORE, storeArray.length);
            while (size < newLength)
            {
                size <<= 1;
            }
            final byte[] grown = new byte[Math.min(size, capacity)];
            System.arraycopy(storeArray, 0, grown, 0, storeLength);
            storeArray = grown;
            store.wrap(grown);
        }
        storeLength = newLength;
        return at;
    }

    void setField(final int field, final int offset, final int length)
    {
        fields[2 * field] = offset;
        fields[2 * field + 1] = length;
    }

    void clearField(final int field)
    {
        fields[2 * field] = -1;
        fields[2 * field + 1] = -1;
    }

    public int fieldOffset(final int field)
    {
        return fields[2 * field];
    }

    /** @return the stored length of {@code field}, or -1 when absent. */
    public int fieldLength(final int field)
    {
        return fields[2 * field + 1];
    }

    public boolean hasField(final int field)
    {
        return fields[2 * field + 1] >= 0;
    }

    /** @return whether a header was kept (false when {@code side}'s header table is full). */
    boolean addHeader(final int side, final int nameOffset, final int nameLength, final int valueOffset, final int valueLength)
    {
        final int n = headerCount[side];
        int[] table = headers[side];
        if (4 * n + 4 > table.length)
        {
            if (n >= maxHeaders)
            {
                return false;
            }
            table = java.util.Arrays.copyOf(table, 4 * Math.min(maxHeaders, Math.max(1, 2 * n)));
            headers[side] = table;
        }
        putEntry(table, n, nameOffset, nameLength, valueOffset, valueLength);
        headerCount[side] = n + 1;
        return true;
    }

    public boolean hasTag(final int tag)
    {
        return (tags & tag) != 0;
    }

    public int tags()
    {
        return tags;
    }

    public int depth()
    {
        return depth;
    }

    public boolean hasRequest()
    {
        return hasRequest;
    }

    public boolean hasResponse()
    {
        return hasResponse;
    }

    /** @return the final status code, or 0 without a response. */
    public int status()
    {
        return status;
    }

    /** @return the last interim (1xx) status before the final one, or 0. */
    public int infoCode()
    {
        return infoCode;
    }

    public long requestStartNanos()
    {
        return requestStartNanos;
    }

    /** @return the capture time of the response's first byte (0 without a response). */
    public long responseStartNanos()
    {
        return responseStartNanos;
    }

    public long responseEndNanos()
    {
        return responseEndNanos;
    }

    /** The message in progress on a side can no longer be timed (see {@link #requestCut}). */
    void cut(final boolean request)
    {
        if (request)
        {
            requestCut = true;
        }
        else
        {
            responseCut = true;
        }
    }

    /** @return whether a final response was seen: a status line that is not an interim 1xx, or HTTP/0.9's bare body. */
    private boolean finalResponse()
    {
        return hasResponse && (status != 0 || statusless());
    }

    /**
     * @return nanoseconds from the request's first byte to its last (with {@code Expect: 100-continue},
     *         the wait for the interim answer included), or -1 when not known: no request was seen, or
     *         it was not seen whole to its end.
     */
    public long uploadNanos()
    {
        return hasRequest && requestDone && !requestCut ? requestEndNanos - requestStartNanos : -1;
    }

    /**
     * @return nanoseconds from the request's last byte to the final response's first byte (time to first
     *         byte; an interim 1xx is not the answer), or -1 when not known: either end was not seen, the
     *         pairing after a loss is a guess, or the response began before the request ended (the server
     *         did not wait for it).
     */
    public long serverNanos()
    {
        return uploadNanos() >= 0 && finalResponse() && !pairingGuessed && finalResponseStartNanos >= requestEndNanos
            ? finalResponseStartNanos - requestEndNanos : -1;
    }

    /**
     * @return nanoseconds from the final response's first byte to its last, or -1 when not known: no final
     *         response, or it was not seen whole to its end.
     */
    public long downloadNanos()
    {
        return finalResponse() && responseDone && !responseCut && !hasTag(Tags.NO_RESPONSE)
            ? responseEndNanos - finalResponseStartNanos : -1;
    }

    public long requestBytes()
    {
        return requestBytes;
    }

    public long responseBytes()
    {
        return responseBytes;
    }

    public long requestBodyBytes()
    {
        return requestBodyBytes;
    }

    public long responseBodyBytes()
    {
        return responseBodyBytes;
    }

    /** @return the store the stored fields, headers and bodies are (offset, length) ranges of. */
    public DirectBuffer store()
    {
        return store;
    }

    /** @return kept headers of {@code side} (0 request, 1 response). */
    public int headerCount(final int side)
    {
        return headerCount[side];
    }

    /**
     * @return {@code side}'s header table (read only): (name offset, name length, value offset,
     * value length or {@link #REDACTED}) in {@link #store()} per kept header.
     */
    public int[] headerTable(final int side)
    {
        return headers[side];
    }

    /** @return one of the {@code METHOD_*} kinds. */
    public int methodKind()
    {
        return methodKind;
    }

    /** @return the request's HTTP/1.x minor version, or -1. */
    public int requestMinor()
    {
        return requestMinor;
    }

    /** @return the response's HTTP/1.x minor version, or -1. */
    public int responseMinor()
    {
        return responseMinor;
    }

    /** @return whether the request was HTTP/0.9 (no version). */
    public boolean http09()
    {
        return http09;
    }

    /** @return the method as text, allocating (tests and tools). */
    public String method()
    {
        return fieldString(METHOD);
    }

    /** @return the request target as text, allocating (tests and tools). */
    public String target()
    {
        return fieldString(TARGET);
    }

    String fieldString(final int field)
    {
        final int length = fieldLength(field);
        return length < 0 ? null : store.getStringWithoutLengthUtf8(fieldOffset(field), length);
    }
}
