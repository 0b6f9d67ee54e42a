package dev.httpcap.decoders.json;

import java.nio.charset.StandardCharsets;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Writes one JSON document straight into a {@link MutableDirectBuffer}, without building a tree
 * and without allocating: names are pre-encoded {@code byte[]}s, numbers are written as ASCII
 * digits in place, strings are escaped byte by byte.
 * <p>
 * Strings taken from the wire are untrusted: control characters are escaped and invalid UTF-8
 * sequences are replaced by U+FFFD, so the output is always valid JSON in valid UTF-8.
 * <p>
 * The buffer must be able to grow (an {@code ExpandableDirectByteBuffer}) or be large enough for
 * the document.
 */
public final class JsonWriter
{
    private static final int MAX_DEPTH = 32;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] REPLACEMENT = {(byte)0xEF, (byte)0xBF, (byte)0xBD};

    private MutableDirectBuffer buffer;
    private int start;
    private int position;
    private int depth;
    /** Bit d set: the container at depth d already holds a member, so the next one needs a comma. */
    private long needsComma;
    private boolean afterName;

    /** Start a new document at {@code offset} of {@code buffer}. */
    public JsonWriter wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.start = offset;
        this.position = offset;
        this.depth = 0;
        this.needsComma = 0;
        this.afterName = false;
        return this;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /** @return bytes written since {@link #wrap}. */
    public int length()
    {
        return position - start;
    }

    public int position()
    {
        return position;
    }

    /** Pre-encode a member name once, at class-initialisation time, for use with {@link #name(byte[])}. */
    public static byte[] encodeName(final String name)
    {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    public JsonWriter startObject()
    {
        beforeValue();
        putByte('{');
        push();
        return this;
    }

    public JsonWriter endObject()
    {
        depth--;
        putByte('}');
        return this;
    }

    public JsonWriter startArray()
    {
        beforeValue();
        putByte('[');
        push();
        return this;
    }

    public JsonWriter endArray()
    {
        depth--;
        putByte(']');
        return this;
    }

    /** Write a member name; {@code name} must be plain JSON-safe text (see {@link #encodeName}). */
    public JsonWriter name(final byte[] name)
    {
        comma();
        putByte('"');
        buffer.putBytes(position, name);
        position += name.length;
        putByte('"');
        putByte(':');
        afterName = true;
        return this;
    }

    /** Write a member name taken from the wire: escaped like a string value. */
    public JsonWriter name(final DirectBuffer src, final int offset, final int length)
    {
        comma();
        putByte('"');
        appendEscaped(src, offset, length);
        putByte('"');
        putByte(':');
        afterName = true;
        return this;
    }

    /** Shortcut for {@code name(name).startObject()}. */
    public JsonWriter startObject(final byte[] name)
    {
        return name(name).startObject();
    }

    public JsonWriter value(final long value)
    {
        beforeValue();
        position += buffer.putLongAscii(position, value);
        return this;
    }

    public JsonWriter value(final boolean value)
    {
        beforeValue();
        putBytes(value ? TRUE : FALSE);
        return this;
    }

    public JsonWriter nullValue()
    {
        beforeValue();
        putBytes(NULL);
        return this;
    }

    /** Write a pre-encoded string value that needs no escaping (constants such as {@code "tcp"}). */
    public JsonWriter rawString(final byte[] utf8)
    {
        beforeValue();
        putByte('"');
        putBytes(utf8);
        putByte('"');
        return this;
    }

    /** Write untrusted bytes as a JSON string: escaped, with invalid UTF-8 replaced by U+FFFD. */
    public JsonWriter value(final DirectBuffer src, final int offset, final int length)
    {
        beforeValue();
        putByte('"');
        appendEscaped(src, offset, length);
        putByte('"');
        return this;
    }

    /** Open a string value whose content is appended in pieces with {@code append*} and closed by {@link #endString()}. */
    public JsonWriter startString()
    {
        beforeValue();
        putByte('"');
        return this;
    }

    public JsonWriter endString()
    {
        putByte('"');
        return this;
    }

    /** Append ASCII text that needs no escaping (digits, punctuation, hex) inside an open string. */
    public JsonWriter appendAscii(final byte[] ascii)
    {
        putBytes(ascii);
        return this;
    }

    public JsonWriter appendAscii(final char c)
    {
        putByte(c);
        return this;
    }

    public JsonWriter appendDecimal(final long value)
    {
        position += buffer.putLongAscii(position, value);
        return this;
    }

    /** Append {@code value} as exactly {@code digits} decimal digits, zero-padded. */
    public JsonWriter appendPadded(final long value, final int digits)
    {
        long v = value;
        for (int i = digits - 1; i >= 0; i--)
        {
            buffer.putByte(position + i, (byte)('0' + (v % 10)));
            v /= 10;
        }
        position += digits;
        return this;
    }

    /** Append {@code value} as lowercase hex without leading zeros ("0" for zero). */
    public JsonWriter appendHex(final int value)
    {
        if (value == 0)
        {
            putByte('0');
            return this;
        }
        final int digits = (35 - Integer.numberOfLeadingZeros(value)) >>> 2;
        for (int i = digits - 1; i >= 0; i--)
        {
            putByte(HEX[(value >>> (i * 4)) & 0xF]);
        }
        return this;
    }

    /** Append untrusted bytes inside an open string, escaped. */
    public JsonWriter appendEscaped(final DirectBuffer src, final int offset, final int length)
    {
        final int end = offset + length;
        int i = offset;
        while (i < end)
        {
            // A run of printable ASCII that needs no escape (most of any header or URL) is copied whole.
            final int runStart = i;
            while (i < end && isPlain(src.getByte(i)))
            {
                i++;
            }
            if (i > runStart)
            {
                buffer.putBytes(position, src, runStart, i - runStart);
                position += i - runStart;
                if (i == end)
                {
                    break;
                }
            }
            final int b = src.getByte(i) & 0xFF;
            if (b < 0x80)
            {
                appendAsciiEscaped(b);
                i++;
                continue;
            }
            final int sequenceLength = validUtf8SequenceLength(src, i, end, b);
            if (sequenceLength == 0)
            {
                putBytes(REPLACEMENT);
                i++;
            }
            else
            {
                for (int k = 0; k < sequenceLength; k++)
                {
                    putByte(src.getByte(i + k));
                }
                i += sequenceLength;
            }
        }
        return this;
    }

    /** @return true for a byte written as itself inside a JSON string: printable ASCII but quote and backslash. */
    private static boolean isPlain(final byte b)
    {
        return b >= 0x20 && b != 0x7F && b != '"' && b != '\\';
    }

    private void appendAsciiEscaped(final int b)
    {
        switch (b)
        {
            case '"' -> { putByte('\\'); putByte('"'); }
            case '\\' -> { putByte('\\'); putByte('\\'); }
            case '\n' -> { putByte('\\'); putByte('n'); }
            case '\r' -> { putByte('\\'); putByte('r'); }
            case '\t' -> { putByte('\\'); putByte('t'); }
            case '\b' -> { putByte('\\'); putByte('b'); }
            case '\f' -> { putByte('\\'); putByte('f'); }
            default ->
            {
                if (b < 0x20 || b == 0x7F)
                {
                    putByte('\\');
                    putByte('u');
                    putByte('0');
                    putByte('0');
                    putByte(HEX[b >>> 4]);
                    putByte(HEX[b & 0xF]);
                }
                else
                {
                    putByte(b);
                }
            }
        }
    }

    /** @return the length of the well-formed UTF-8 sequence at {@code i} (RFC 3629 table), or 0 when it is not one. */
    private static int validUtf8SequenceLength(final DirectBuffer src, final int i, final int end, final int b0)
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
        final int b1 = src.getByte(i + 1) & 0xFF;
        if (b1 < lo || b1 > hi)
        {
            return 0;
        }
        for (int k = 2; k < length; k++)
        {
            final int bk = src.getByte(i + k) & 0xFF;
            if (bk < 0x80 || bk > 0xBF)
            {
                return 0;
            }
        }
        return length;
    }

    private void beforeValue()
    {
        if (afterName)
        {
            afterName = false;
        }
        else
        {
            comma();
        }
    }

    private void comma()
    {
        if (depth > 0)
        {
            final long bit = 1L << (depth - 1);
            if ((needsComma & bit) != 0)
            {
                putByte(',');
            }
            else
            {
                needsComma |= bit;
            }
        }
    }

    private void push()
    {
        if (depth >= MAX_DEPTH)
        {
            throw new IllegalStateException("JSON nesting deeper than " + MAX_DEPTH);
        }
        depth++;
        needsComma &= ~(1L << (depth - 1));
    }

    private void putByte(final int b)
    {
        buffer.putByte(position++, (byte)b);
    }

    private void putBytes(final byte[] bytes)
    {
        buffer.putBytes(position, bytes);
        position += bytes.length;
    }
}
