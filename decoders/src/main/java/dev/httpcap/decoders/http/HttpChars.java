package dev.httpcap.decoders.http;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

/** Character classes and allocation-free scanning over {@link DirectBuffer}s for the HTTP parser (and the event encoder's URL and media type splitting). */
public final class HttpChars
{
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long LOWS = 0x7F7F7F7F7F7F7F7FL;
    private static final long NEWLINES = ONES * '\n';
    private static final long COLONS = ONES * ':';
    private static final long SPACES = ONES * ' ';
    private static final long TABS = ONES * '\t';
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    private static final long ARRAY_BASE = UnsafeApi.arrayBaseOffset(byte[].class);
    private static final boolean[] TOKEN = new boolean[256];
    private static final byte[] LOWER = new byte[256];

    static
    {
        for (int c = 0; c < 256; c++)
        {
            LOWER[c] = (byte)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        for (int c = '0'; c <= '9'; c++)
        {
            TOKEN[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++)
        {
            TOKEN[c] = true;
            TOKEN[c - 'a' + 'A'] = true;
        }
        for (final char c : "!#$%&'*+-.^_`|~".toCharArray())
        {
            TOKEN[c] = true;
        }
    }

    private HttpChars()
    {
    }

    static boolean isTokenChar(final int c)
    {
        return c >= 0 && c < 256 && TOKEN[c];
    }

    static byte lower(final byte b)
    {
        return LOWER[b & 0xFF];
    }

    /**
     * Index of the first {@code target} byte in {@code [from, to)}, or -1; eight bytes per step
     * (SWAR: a zero byte of {@code word ^ pattern} marks a match; the lowest marked byte is exact).
     */
    public static int indexOf(final DirectBuffer buffer, final int from, final int to, final byte target)
    {
        final long pattern = ONES * (target & 0xFF);
        int i = from;
        final int wordEnd = to - 7;
        while (i < wordEnd)
        {
            final long word = buffer.getLong(i, ByteOrder.LITTLE_ENDIAN) ^ pattern;
            final long found = (word - ONES) & ~word & HIGHS;
            if (found != 0)
            {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
            i += 8;
        }
        for (; i < to; i++)
        {
            if (buffer.getByte(i) == target)
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * Byte {@code index} of {@code buffer} without Agrona's bounds check: for the parser's hot
     * loops, whose callers have checked once that the whole range they read lies in the buffer.
     */
    static byte byteAt(final DirectBuffer buffer, final int index)
    {
        return byteAt(buffer.byteArray(), buffer.addressOffset() + index);
    }

    /** The byte at {@code address} of {@code array} (null for native memory), unchecked; see {@link #load}. */
    static byte byteAt(final byte[] array, final long address)
    {
        return UnsafeApi.getByte(array, address);
    }

    /** Bytes {@code [index, index + 8)} as a little-endian word, unchecked as {@link #byteAt}. */
    static long wordAt(final DirectBuffer buffer, final int index)
    {
        return load(buffer.byteArray(), buffer.addressOffset() + index);
    }

    /** {@code word} (little-endian) into {@code array[index, index + 8)}, which must lie in it. */
    static void putWord(final byte[] array, final int index, final long word)
    {
        if (index < 0 || index > array.length - 8)
        {
            throw new IndexOutOfBoundsException("word at " + index + " of " + array.length);
        }
        UnsafeApi.putLong(array, ARRAY_BASE + index, LITTLE_ENDIAN ? word : Long.reverseBytes(word));
    }

    /** Checks that {@code array[index, index + length)} ({@code length >= 8}) lies in the array, for {@link #putWordUnchecked}. */
    static void checkWords(final byte[] array, final int index, final int length)
    {
        if (index < 0 || length < 8 || index > array.length - length)
        {
            throw new IndexOutOfBoundsException("words at " + index + ", " + length + " bytes, of " + array.length);
        }
    }

    /** {@link #putWord} inside a range {@link #checkWords} has checked. */
    static void putWordUnchecked(final byte[] array, final int index, final long word)
    {
        UnsafeApi.putLong(array, ARRAY_BASE + index, LITTLE_ENDIAN ? word : Long.reverseBytes(word));
    }

    /** The little-endian word at {@code address} of {@code array} (null for native memory), unchecked. */
    static long load(final byte[] array, final long address)
    {
        final long word = UnsafeApi.getLong(array, address);
        return LITTLE_ENDIAN ? word : Long.reverseBytes(word);
    }

    /**
     * One pass over {@code [from, to)} (checked by the caller to lie in the buffer) for the first
     * {@code '\n'} and the first {@code ':'} before it, eight bytes per step: both masks come
     * from the same word (SWAR, as {@link #indexOf}).
     *
     * @return {@code (colon << 32) | (newline & 0xFFFFFFFFL)}, each -1 when absent; see {@link #newline}, {@link #colon}.
     */
    static long scanLine(final DirectBuffer buffer, final int from, final int to)
    {
        final byte[] array = buffer.byteArray();
        final long address = buffer.addressOffset();
        if (to - from < 16)
        {
            return scanWords(array, address, from, to);
        }
        // Most header lines have their colon, and many their newline, in the first sixteen
        // bytes: both words' matches at once, the first of each found without a branch.
        final long first = load(array, address + from);
        final long second = load(array, address + from + 8);
        final long newlines0 = zeroBytes(first ^ NEWLINES);
        final long newlines1 = zeroBytes(second ^ NEWLINES);
        final long colons0 = zeroBytes(first ^ COLONS);
        final long colons1 = zeroBytes(second ^ COLONS);
        if ((newlines0 | newlines1) == 0)
        {
            // The usual header line: longer than sixteen bytes, its colon in them.
            if ((colons0 | colons1) != 0)
            {
                return newlineFrom(array, address, from + (firstBit(colons0, colons1) >>> 3), from + 16, to);
            }
            return scanWords(array, address, from + 16, to);
        }
        final int newlineBit = firstBit(newlines0, newlines1);
        final int colonBit = firstBit(colons0, colons1);
        return pack(colonBit < newlineBit ? from + (colonBit >>> 3) : -1, from + (newlineBit >>> 3));
    }

    /** {@link #scanLine} from {@code from} on, up to the first colon or newline a word at a time. */
    private static long scanWords(final byte[] array, final long address, final int from, final int to)
    {
        if (to - from < 8)
        {
            return scanShort(array, address, from, to);
        }
        int i = from;
        while (true)
        {
            if (i >= to)
            {
                return pack(-1, -1);
            }
            final long word = wordFrom(array, address, i, to);
            final long newlines = zeroBytes(word ^ NEWLINES);
            final long colons = zeroBytes(word ^ COLONS);
            if ((newlines | colons) != 0)
            {
                final int newlineBit = Long.numberOfTrailingZeros(newlines);
                final int colonBit = Long.numberOfTrailingZeros(colons);
                if (newlineBit < colonBit)
                {
                    return pack(-1, i + (newlineBit >>> 3));
                }
                final int colon = i + (colonBit >>> 3);
                if (newlines != 0)
                {
                    return pack(colon, i + (newlineBit >>> 3));
                }
                return newlineFrom(array, address, colon, i + 8, to);
            }
            i += 8;
        }
    }

    /** {@link #scanLine} once the colon is known: the newline alone, sixteen bytes per step while they last. */
    private static long newlineFrom(final byte[] array, final long address, final int colon, final int from, final int to)
    {
        int i = from;
        while (to - i >= 16)
        {
            final long first = zeroBytes(load(array, address + i) ^ NEWLINES);
            final long second = zeroBytes(load(array, address + i + 8) ^ NEWLINES);
            if ((first | second) != 0)
            {
                return pack(colon, i + (firstBit(first, second) >>> 3));
            }
            i += 16;
        }
        while (i < to)
        {
            final long newlines = zeroBytes(wordFrom(array, address, i, to) ^ NEWLINES);
            if (newlines != 0)
            {
                return pack(colon, i + (Long.numberOfTrailingZeros(newlines) >>> 3));
            }
            i += 8;
        }
        return pack(colon, -1);
    }

    /** How many of {@code word}'s bytes (little-endian) are spaces or tabs before the first that is not: 0-8. */
    static int leadingSpaces(final long word)
    {
        final long spaces = exactZeroBytes(word ^ SPACES) | exactZeroBytes(word ^ TABS);
        return Long.numberOfTrailingZeros(~spaces & HIGHS) >>> 3;
    }

    /** The high bit of each zero byte of {@code x}, exactly (no borrows between bytes, unlike {@link #zeroBytes}). */
    private static long exactZeroBytes(final long x)
    {
        return ~(((x & LOWS) + LOWS) | x | LOWS);
    }

    private static long scanShort(final byte[] array, final long address, final int from, final int to)
    {
        int colon = -1;
        for (int i = from; i < to; i++)
        {
            final byte b = byteAt(array, address + i);
            if (b == '\n')
            {
                return pack(colon, i);
            }
            if (b == ':' && colon < 0)
            {
                colon = i;
            }
        }
        return pack(colon, -1);
    }

    /**
     * The eight bytes from {@code i}; when fewer are left before {@code to}, those, padded with
     * zeros (read as the last eight bytes before {@code to}, which the caller's range holds).
     */
    private static long wordFrom(final byte[] array, final long address, final int i, final int to)
    {
        return to - i >= 8 ? load(array, address + i) : load(array, address + to - 8) >>> ((8 - (to - i)) << 3);
    }

    /**
     * The bit of the first marked byte of {@code low} then {@code high} (two {@link #zeroBytes}
     * masks of consecutive words): 0-127, or 128 when neither has one; without a branch.
     */
    private static int firstBit(final long low, final long high)
    {
        final int lowBit = Long.numberOfTrailingZeros(low);
        return lowBit + (lowBit >>> 6) * Long.numberOfTrailingZeros(high);
    }

    static int newline(final long scan)
    {
        return (int)scan;
    }

    static int colon(final long scan)
    {
        return (int)(scan >> 32);
    }

    private static long pack(final int colon, final int newline)
    {
        return ((long)colon << 32) | (newline & 0xFFFFFFFFL);
    }

    /** A marker's high bit in each zero byte of {@code x}; the lowest marked byte is exact (higher ones may be borrows). */
    private static long zeroBytes(final long x)
    {
        return (x - ONES) & ~x & HIGHS;
    }

    /** ASCII {@code A-Z} in {@code word} lowercased, every byte at once; other bytes (also 0x80-0xFF) unchanged. */
    static long lowerAscii(final long word)
    {
        final long low = word & LOWS;
        final long atLeastA = low + ONES * (0x80 - 'A');
        final long aboveZ = low + ONES * (0x80 - 'Z' - 1);
        final long upper = atLeastA & ~aboveZ & ~word & HIGHS;
        return word | (upper >>> 2);
    }

    /**
     * {@code count} (1-8) bytes at {@code index} as a little-endian word padded with zeros,
     * lowercased; reads nothing outside {@code [index, limit)}, checked by the caller to lie in
     * the buffer.
     */
    static long lowerWord(final DirectBuffer buffer, final int index, final int count, final int limit)
    {
        long word;
        if (index + 8 <= limit)
        {
            word = wordAt(buffer, index) & (-1L >>> ((8 - count) << 3));
        }
        else
        {
            word = 0;
            for (int k = count - 1; k >= 0; k--)
            {
                word = (word << 8) | (byteAt(buffer, index + k) & 0xFF);
            }
        }
        return lowerAscii(word);
    }

    /**
     * @return whether the {@code lower.length} bytes at {@code offset}, which the caller has checked
     *         lie in the buffer, equal the lowercase ASCII {@code lower}, ignoring case.
     */
    private static boolean equalsIgnoreCaseUnchecked(final DirectBuffer buffer, final int offset, final byte[] lower)
    {
        for (int i = 0; i < lower.length; i++)
        {
            if (LOWER[byteAt(buffer, offset + i) & 0xFF] != lower[i])
            {
                return false;
            }
        }
        return true;
    }

    /** @return whether the comma-separated list in {@code buffer[offset, end)} holds {@code lower} as an element (any case). */
    static boolean listContains(final DirectBuffer buffer, final int offset, final int end, final byte[] lower)
    {
        if (end <= offset)
        {
            return false;
        }
        // Checked once: the reads below stay inside [offset, end).
        buffer.boundsCheck(offset, end - offset);
        int i = offset;
        while (i < end)
        {
            while (i < end && isListSpace(byteAt(buffer, i)))
            {
                i++;
            }
            int elementEnd = i;
            while (elementEnd < end && byteAt(buffer, elementEnd) != ',')
            {
                elementEnd++;
            }
            int trimmedEnd = elementEnd;
            while (trimmedEnd > i && isListSpace(byteAt(buffer, trimmedEnd - 1)))
            {
                trimmedEnd--;
            }
            // Transfer-coding parameters (";q=...") are not part of the name.
            int nameEnd = i;
            while (nameEnd < trimmedEnd && byteAt(buffer, nameEnd) != ';')
            {
                nameEnd++;
            }
            while (nameEnd > i && isListSpace(byteAt(buffer, nameEnd - 1)))
            {
                nameEnd--;
            }
            if (nameEnd - i == lower.length && equalsIgnoreCaseUnchecked(buffer, i, lower))
            {
                return true;
            }
            i = elementEnd + 1;
        }
        return false;
    }

    /** @return whether the last element of the comma-separated list in {@code buffer[offset, end)} is {@code lower}. */
    static boolean listEndsWith(final DirectBuffer buffer, final int offset, final int end, final byte[] lower)
    {
        if (end <= offset)
        {
            return false;
        }
        buffer.boundsCheck(offset, end - offset);
        int start = end;
        while (start > offset && byteAt(buffer, start - 1) != ',')
        {
            start--;
        }
        return listContains(buffer, start, end, lower);
    }

    /** @return whether {@code lower} occurs in {@code buffer[offset, end)}, ignoring case. */
    static boolean containsIgnoreCase(final DirectBuffer buffer, final int offset, final int end, final byte[] lower)
    {
        if (end - offset < lower.length)
        {
            return false;
        }
        buffer.boundsCheck(offset, end - offset);
        for (int i = offset; i + lower.length <= end; i++)
        {
            if (equalsIgnoreCaseUnchecked(buffer, i, lower))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean isListSpace(final byte b)
    {
        return b == ' ' || b == '\t';
    }

    /** @return whether {@code buffer[offset, end)} starts with {@code lower} (lowercase ASCII) in any case. */
    static boolean startsWithIgnoreCase(final DirectBuffer buffer, final int offset, final int end, final byte[] lower)
    {
        if (end - offset < lower.length)
        {
            return false;
        }
        for (int i = 0; i < lower.length; i++)
        {
            if (lower(buffer.getByte(offset + i)) != lower[i])
            {
                return false;
            }
        }
        return true;
    }

    public static boolean isSpace(final byte b)
    {
        return b == ' ' || b == '\t';
    }

    /** @return the non-negative decimal in {@code buffer[offset, offset + length)}, or -1 when it is not one (or has over 18 digits after its leading zeros). */
    static long parseDecimal(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length == 0)
        {
            return -1;
        }
        buffer.boundsCheck(offset, length);
        // Leading zeros are legal (and used to smuggle): only the value's size matters.
        int start = 0;
        while (start < length - 1 && byteAt(buffer, offset + start) == '0')
        {
            start++;
        }
        if (length - start > 18)
        {
            return -1;
        }
        long value = 0;
        for (int i = start; i < length; i++)
        {
            final int digit = byteAt(buffer, offset + i) - '0';
            if (digit < 0 || digit > 9)
            {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** @return the value of hex digit {@code b}, or -1. */
    static int hexValue(final byte b)
    {
        if (b >= '0' && b <= '9')
        {
            return b - '0';
        }
        final int lower = b | 0x20;
        if (lower >= 'a' && lower <= 'f')
        {
            return lower - 'a' + 10;
        }
        return -1;
    }

    /** @return the ASCII bytes of {@code s} (constants, at class initialisation). */
    static byte[] ascii(final String s)
    {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
