package dev.httpcap.decoders.http;

import java.nio.charset.StandardCharsets;

import org.agrona.DirectBuffer;

/**
 * What the decoder needs to know about a header name, found with one hash look-up on the wire
 * bytes in any case: whether it frames the message or fills a field ({@link #kind}), whether the
 * selection keeps it ({@link #SELECTED}) and whether its value carries credentials
 * ({@link #SENSITIVE}). Names are compared eight bytes at a time, lowercased as words (SWAR), so a
 * field that is neither known nor selected costs one probe of an open-addressing table.
 * <p>
 * Built from a {@link HeaderSelection} (by {@link HeaderRules}, off the hot path); read-only afterwards.
 */
final class HeaderNames
{
    static final int OTHER = 0;
    static final int HOST = 1;
    static final int UPGRADE = 2;
    static final int CONNECTION = 3;
    static final int USER_AGENT = 4;
    static final int CONTENT_TYPE = 5;
    static final int CONTENT_LENGTH = 6;
    static final int CONTENT_ENCODING = 7;
    static final int TRANSFER_ENCODING = 8;
    static final int SEC_WEBSOCKET_EXTENSIONS = 9;
    static final int REFERER = 10;
    static final int X_REQUEST_ID = 11;
    static final int AUTHORIZATION = 12;
    private static final int KIND_MASK = 0xFF;
    /** The selection keeps this field. */
    static final int SELECTED = 1 << 8;
    /** The field's value is redacted (when redaction is on). */
    static final int SENSITIVE = 1 << 9;

    private static final String[] KIND_NAMES = {
        null, "host", "upgrade", "connection", "user-agent", "content-type", "content-length", "content-encoding",
        "transfer-encoding", "sec-websocket-extensions", "referer", "x-request-id", "authorization"};
    private static final String[] SENSITIVE_NAMES = {"authorization", "proxy-authorization", "cookie", "set-cookie"};

    /** Without an entry: selected when the selection keeps every field. */
    private final int otherwise;
    private final int mask;
    /**
     * Four longs per slot: the name's first and second eight bytes, lowercase, as little-endian
     * words padded with zeros (the second 0 for a name of up to eight bytes); then its length in
     * the high half and its value in the low half (0 for an empty slot). One array, so that a
     * probe touches one cache line.
     */
    private final long[] slots;
    /** Per slot: all the name's words, as the first two (compared beyond the second for names longer than sixteen bytes). */
    private final long[][] words;

    HeaderNames(final HeaderSelection selection)
    {
        this(selection, new byte[0][]);
    }

    /** @param redacted more names flagged {@link #SENSITIVE}, lowercase. */
    HeaderNames(final HeaderSelection selection, final byte[][] redacted)
    {
        final byte[][] selected = selection.names();
        final int entries = KIND_NAMES.length + SENSITIVE_NAMES.length + redacted.length + selected.length;
        int size = 16;
        while (size < 4 * entries)
        {
            size <<= 1;
        }
        mask = size - 1;
        slots = new long[4 * size];
        words = new long[size][];
        otherwise = selection.selectsAll() ? SELECTED : 0;
        for (int kind = 1; kind < KIND_NAMES.length; kind++)
        {
            add(ascii(KIND_NAMES[kind]), kind | otherwise);
        }
        for (final String name : SENSITIVE_NAMES)
        {
            add(ascii(name), SENSITIVE | otherwise);
        }
        for (final byte[] name : redacted)
        {
            add(name, SENSITIVE | otherwise);
        }
        for (final byte[] name : selected)
        {
            add(name, SELECTED);
        }
    }

    /** @return the kind of the field in the low byte, with {@link #SELECTED} and {@link #SENSITIVE}. */
    static int kind(final int value)
    {
        return value & KIND_MASK;
    }

    /**
     * The name at {@code buffer[offset, offset + length)}, in any case ({@code length > 0}).
     * Reads nothing outside {@code [offset, limit)}, which the caller has checked lies in the buffer.
     *
     * @return its kind and flags.
     */
    int lookup(final DirectBuffer buffer, final int offset, final int length, final int limit)
    {
        return lookup(firstWord(buffer, offset, length, limit), secondWord(buffer, offset, length, limit), buffer, offset,
            length, limit);
    }

    /**
     * {@link #lookup(DirectBuffer, int, int, int)} with the name's first two words, as
     * {@link #firstWord} and {@link #secondWord} give them.
     */
    int lookup(
        final long first, final long second, final DirectBuffer buffer, final int offset, final int length,
        final int limit)
    {
        int slot = hash(first, length) & mask;
        while (true)
        {
            final int at = 4 * slot;
            final long entry = slots[at + 3];
            if (entry == 0)
            {
                return length > 1 && !HttpChars.isTokenChar(HttpChars.byteAt(buffer, offset + length - 1))
                    ? trimmedLookup(buffer, offset, length, limit) : otherwise;
            }
            if ((int)(entry >>> 32) == length && slots[at] == first && slots[at + 1] == second &&
                (length <= 16 || restEquals(words[slot], buffer, offset, length, limit)))
            {
                return (int)entry;
            }
            slot = (slot + 1) & mask;
        }
    }

    /**
     * A name that ends in bytes a token may not hold ({@code Cookie\0}, {@code cookie;}): servers
     * differ in what they make of it, so a name that is sensitive without them is redacted. It is
     * not read as the name it resembles in any other way.
     */
    private int trimmedLookup(final DirectBuffer buffer, final int offset, final int length, final int limit)
    {
        int trimmed = length - 1;
        while (trimmed > 0 && !HttpChars.isTokenChar(HttpChars.byteAt(buffer, offset + trimmed - 1)))
        {
            trimmed--;
        }
        if (trimmed == 0)
        {
            return otherwise;
        }
        final int value = lookup(firstWord(buffer, offset, trimmed, limit), secondWord(buffer, offset, trimmed, limit),
            buffer, offset, trimmed, limit);
        return (value & SENSITIVE) | otherwise;
    }

    /**
     * The first eight bytes of the name at {@code offset} ({@code length > 0}), lowercase, as a
     * little-endian word padded with zeros; reads as {@link #lookup(DirectBuffer, int, int, int)}.
     */
    static long firstWord(final DirectBuffer buffer, final int offset, final int length, final int limit)
    {
        if (offset + 8 <= limit)
        {
            // Whole, masked to the name without a branch on its length.
            return HttpChars.lowerAscii(HttpChars.wordAt(buffer, offset) & (-1L >>> ((8 - Math.min(length, 8)) << 3)));
        }
        return HttpChars.lowerWord(buffer, offset, Math.min(length, 8), limit);
    }

    /** The name's second eight bytes as {@link #firstWord}, 0 for a name of up to eight bytes. */
    static long secondWord(final DirectBuffer buffer, final int offset, final int length, final int limit)
    {
        final int tail = Math.max(0, Math.min(length - 8, 8));
        if (tail == 0)
        {
            return 0;
        }
        if (offset + 16 <= limit)
        {
            return HttpChars.lowerAscii(HttpChars.wordAt(buffer, offset + 8) & (-1L >>> ((8 - tail) << 3)));
        }
        return HttpChars.lowerWord(buffer, offset + 8, tail, limit);
    }

    private static boolean restEquals(
        final long[] expected, final DirectBuffer buffer, final int offset, final int length, final int limit)
    {
        for (int w = 2; w < expected.length; w++)
        {
            final int at = offset + 8 * w;
            if (HttpChars.lowerWord(buffer, at, Math.min(length - 8 * w, 8), limit) != expected[w])
            {
                return false;
            }
        }
        return true;
    }

    private void add(final byte[] name, final int value)
    {
        final long[] nameWords = new long[(name.length + 7) >>> 3];
        for (int i = 0; i < name.length; i++)
        {
            nameWords[i >>> 3] |= (long)(HttpChars.lower(name[i]) & 0xFF) << ((i & 7) << 3);
        }
        int slot = hash(nameWords[0], name.length) & mask;
        long entry;
        while ((entry = slots[4 * slot + 3]) != 0)
        {
            if ((int)(entry >>> 32) == name.length && java.util.Arrays.equals(words[slot], nameWords))
            {
                slots[4 * slot + 3] = entry | value;
                return;
            }
            slot = (slot + 1) & mask;
        }
        slots[4 * slot] = nameWords[0];
        slots[4 * slot + 1] = nameWords.length > 1 ? nameWords[1] : 0;
        slots[4 * slot + 3] = ((long)name.length << 32) | value;
        words[slot] = nameWords;
    }

    private static int hash(final long firstWord, final int length)
    {
        final long h = (firstWord + length) * 0x9E3779B97F4A7C15L;
        return (int)(h >>> 40);
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
