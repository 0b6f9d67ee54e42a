package dev.httpcap.decoders.http;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/** Character classes and allocation-free scanning over {@link DirectBuffer}s for the HTTP parser. */
final class HttpChars
{
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
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
    static int indexOf(final DirectBuffer buffer, final int from, final int to, final byte target)
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

    /** @return whether {@code buffer[offset, offset + length)} equals the lowercase ASCII {@code lower}, ignoring case. */
    static boolean equalsIgnoreCase(final DirectBuffer buffer, final int offset, final int length, final byte[] lower)
    {
        if (length != lower.length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (LOWER[buffer.getByte(offset + i) & 0xFF] != lower[i])
            {
                return false;
            }
        }
        return true;
    }

    /** @return whether the comma-separated list in {@code buffer[offset, end)} holds {@code lower} as an element (any case). */
    static boolean listContains(final DirectBuffer buffer, final int offset, final int end, final byte[] lower)
    {
        int i = offset;
        while (i < end)
        {
            while (i < end && isListSpace(buffer.getByte(i)))
            {
                i++;
            }
            int elementEnd = i;
            while (elementEnd < end && buffer.getByte(elementEnd) != ',')
            {
                elementEnd++;
            }
            int trimmedEnd = elementEnd;
            while (trimmedEnd > i && isListSpace(buffer.getByte(trimmedEnd - 1)))
            {
                trimmedEnd--;
            }
            // Transfer-coding parameters (";q=...") are not part of the name.
            final int semicolon = indexOf(buffer, i, trimmedEnd, (byte)';');
            int nameEnd = semicolon >= 0 ? semicolon : trimmedEnd;
            while (nameEnd > i && isListSpace(buffer.getByte(nameEnd - 1)))
            {
                nameEnd--;
            }
            if (equalsIgnoreCase(buffer, i, nameEnd - i, lower))
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
        int start = end;
        while (start > offset && buffer.getByte(start - 1) != ',')
        {
            start--;
        }
        return listContains(buffer, start, end, lower);
    }

    /** @return whether {@code lower} occurs in {@code buffer[offset, end)}, ignoring case. */
    static boolean containsIgnoreCase(final DirectBuffer buffer, final int offset, final int end, final byte[] lower)
    {
        for (int i = offset; i + lower.length <= end; i++)
        {
            if (equalsIgnoreCase(buffer, i, lower.length, lower))
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

    static boolean isSpace(final byte b)
    {
        return b == ' ' || b == '\t';
    }

    /** @return the non-negative decimal in {@code buffer[offset, offset + length)}, or -1 when it is not one (or has over 18 digits). */
    static long parseDecimal(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length == 0 || length > 18)
        {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < length; i++)
        {
            final int digit = buffer.getByte(offset + i) - '0';
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
}
