package dev.httpcap.decoders.event;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

/** UTF-8 checks on bytes from the wire, without allocating: which bytes are characters, and whether a body is text. */
public final class Utf8
{
    private Utf8()
    {
    }

    /**
     * @return how many of the {@code length} bytes at {@code offset} to write as text: all of them
     * when they are well-formed UTF-8; when {@code cutEnd} (the bytes are a prefix of a longer
     * text), also a prefix that is only missing the end of its last character, without that
     * character; -1 when the bytes are not UTF-8 text.
     */
    public static int textLength(final DirectBuffer src, final int offset, final int length, final boolean cutEnd)
    {
        if (length <= 0)
        {
            return 0;
        }
        src.boundsCheck(offset, length);
        final byte[] srcArray = src.byteArray();
        final long srcAddress = src.addressOffset();
        final int end = offset + length;
        int i = offset;
        while (i < end)
        {
            while (i + Long.BYTES <= end && (UnsafeApi.getLong(srcArray, srcAddress + i) & 0x8080_8080_8080_8080L) == 0)
            {
                i += Long.BYTES;
            }
            if (i == end)
            {
                break;
            }
            final int b = UnsafeApi.getByte(srcArray, srcAddress + i) & 0xFF;
            if (b < 0x80)
            {
                i++;
                continue;
            }
            final int sequenceLength = sequenceLength(src, i, end, b);
            if (sequenceLength > 0)
            {
                i += sequenceLength;
                continue;
            }
            // Not a character: acceptable only as the first bytes of one the cut left unfinished.
            return cutEnd && sequenceLength(src, i, Integer.MAX_VALUE, b, end) > 0 ? i - offset : -1;
        }
        return length;
    }

    /** @return the length of the well-formed UTF-8 sequence at {@code i} (RFC 3629 table), or 0 when it is not one. */
    static int sequenceLength(final DirectBuffer src, final int i, final int end, final int b0)
    {
        return sequenceLength(src, i, end, b0, end);
    }

    /**
     * As above, with the bytes only readable below {@code available}: a sequence whose bytes there
     * are right but which runs past it counts as well-formed (the rest was cut off).
     */
    static int sequenceLength(
        final DirectBuffer src, final int i, final int end, final int b0, final int available)
    {
        final int length;
        int lo = 0x80;
        int hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF)
        {
            length = 2;
        }
        else if (b0 >= 0xE0 && b0 <= 0xEF)
        {
            length = 3;
            if (b0 == 0xE0)
            {
                lo = 0xA0;
            }
            else if (b0 == 0xED)
            {
                hi = 0x9F;
            }
        }
        else if (b0 >= 0xF0 && b0 <= 0xF4)
        {
            length = 4;
            if (b0 == 0xF0)
            {
                lo = 0x90;
            }
            else if (b0 == 0xF4)
            {
                hi = 0x8F;
            }
        }
        else
        {
            return 0;
        }
        if (i + length > end)
        {
            return 0;
        }
        if (i + 1 >= available)
        {
            return length;
        }
        final int b1 = src.getByte(i + 1) & 0xFF;
        if (b1 < lo || b1 > hi)
        {
            return 0;
        }
        for (int k = 2; k < length && i + k < available; k++)
        {
            final int bk = src.getByte(i + k) & 0xFF;
            if (bk < 0x80 || bk > 0xBF)
            {
                return 0;
            }
        }
        return length;
    }
}
