package dev.httpcap.decoders.event;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.agrona.AsciiEncoding;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * Writes one JSON document straight into a {@link MutableDirectBuffer}, without building a tree
 * and without allocating: names are pre-encoded {@code byte[]}s, runs of constant JSON are
 * {@link Fragment}s made once, numbers are written as ASCII digits in place (two per store), and
 * strings are checked and copied eight bytes at a time up to the first byte that needs escaping.
 * <p>
 * Strings taken from the wire are untrusted: control characters are escaped and invalid UTF-8
 * sequences are replaced by U+FFFD, so the output is always valid JSON in valid UTF-8.
 * <p>
 * The buffer must be able to grow (an {@code ExpandableDirectByteBuffer}) or be large enough for
 * the document: room is checked once per piece written (a name, a number, a run of plain bytes)
 * rather than once per byte, then the bytes are stored directly; a buffer that cannot grow fails
 * with the {@code IndexOutOfBoundsException} of its own bounds check, before anything is written
 * past its end.
 * <p>
 * A document that must fit a size limit is written again with its untrusted strings cut: each
 * belongs to a class ({@link #KEPT}, {@link #HEADER}, {@link #BODY}, set with {@link #stringClass});
 * {@link #measureStrings()} records how long each one comes out, {@link #planCuts(int)} shares the
 * room left among them — the bodies give up theirs first, then the header values, then the rest —
 * and the next writes cut every string to its class's length, on a character and escape boundary.
 */
public final class JsonWriter
{
    private static final int MAX_DEPTH = 32;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] REPLACEMENT = {(byte)0xEF, (byte)0xBF, (byte)0xBD};
    private static final byte[] BASE64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(StandardCharsets.US_ASCII);
    /** "00" to "99": two digits stored with one write. */
    private static final byte[] DIGIT_PAIRS = new byte[200];
    /** {@code ":} as one store. */
    private static final short NAME_END = UnsafeApi.getShort(new byte[] {'"', ':'}, BufferUtil.ARRAY_BASE_OFFSET);
    private static final byte[] LONG_MIN = Long.toString(Long.MIN_VALUE).getBytes(StandardCharsets.US_ASCII);

    static
    {
        for (int i = 0; i < 100; i++)
        {
            DIGIT_PAIRS[2 * i] = (byte)('0' + i / 10);
            DIGIT_PAIRS[2 * i + 1] = (byte)('0' + i % 10);
        }
    }

    /** Untrusted strings cut last when a document must fit: URL, method, user agent, phrases, ... (the default). */
    public static final int KEPT = 0;
    /** Header values: cut once the bodies are gone. */
    public static final int HEADER = 1;
    /** Bodies and payloads: cut first. */
    public static final int BODY = 2;
    private static final int NOT_CUTTING = 0;
    private static final int MEASURING = 1;
    private static final int CAPPING = 2;

    private MutableDirectBuffer buffer;
    /** The buffer's memory as {@link UnsafeApi} addresses it (array null for off-heap), and its capacity: re-read after it grows. */
    private byte[] array;
    private long address;
    private int capacity;
    private int start;
    private int position;
    private int depth;
    /** Bit d set: the container at depth d already holds a member, so the next one needs a comma. */
    private long needsComma;
    private boolean afterName;

    /** The class of the untrusted strings written now; {@link #KEPT} after {@link #wrap}. */
    private int stringClass;
    private int cutting = NOT_CUTTING;
    private final StringCuts cuts = new StringCuts();

    /** Start a new document at {@code offset} of {@code buffer}. */
    public JsonWriter wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        refresh();
        this.start = offset;
        this.position = offset;
        this.depth = 0;
        this.needsComma = 0;
        this.afterName = false;
        this.stringClass = KEPT;
        return this;
    }

    /** The class ({@link #KEPT}, {@link #HEADER}, {@link #BODY}) of the untrusted strings written from now on. */
    public JsonWriter stringClass(final int stringClass)
    {
        this.stringClass = stringClass;
        return this;
    }

    /** From now on (across {@link #wrap}s), record the output length of every untrusted string, whole. */
    public void measureStrings()
    {
        cutting = MEASURING;
        cuts.clearMeasured();
    }

    /** From now on (across {@link #wrap}s), write every untrusted string empty: what a document takes without them. */
    public void emptyStrings()
    {
        cutting = CAPPING;
        cuts.capAll(0);
    }

    /**
     * Share {@code room} output bytes among the strings last measured, and cut them to their share
     * from now on (across {@link #wrap}s): strings of class {@link #KEPT} get room first, then
     * {@link #HEADER}, then {@link #BODY}; within a class, every string is cut to one length, the
     * longest with which the class fits (short strings stay whole). The strings then take at most
     * {@code room} bytes.
     */
    public void planCuts(final int room)
    {
        cuts.plan(room);
        cutting = CAPPING;
    }

    /** Write untrusted strings whole again. */
    public void stopCutting()
    {
        cutting = NOT_CUTTING;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /** @return whether untrusted strings are being emptied, measured or cut (an event being fitted). */
    public boolean cutting()
    {
        return cutting != NOT_CUTTING;
    }

    /**
     * Write again, as a value, the bytes {@code [from, to)} of the buffer that this document already
     * holds (a value or object repeated under another name): one copy instead of formatting it
     * again. Bytes that hold untrusted strings must not be copied while {@link #cutting()}: the cuts
     * are planned per string written.
     */
    public JsonWriter copiedValue(final int from, final int to)
    {
        beforeValue();
        return appendCopy(from, to);
    }

    /** As {@link #copiedValue}, inside an open string (a piece of one string written earlier). */
    public JsonWriter appendCopy(final int from, final int to)
    {
        final int length = to - from;
        reserve(length);
        UnsafeApi.copyMemory(array, address + from, array, address + position, length);
        position += length;
        return this;
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
        final int length = name.length;
        reserve(length + 4);
        final byte[] array = this.array;
        long at = address + position;
        if (depth > 0)
        {
            final long bit = 1L << (depth - 1);
            if ((needsComma & bit) != 0)
            {
                UnsafeApi.putByte(array, at++, (byte)',');
            }
            else
            {
                needsComma |= bit;
            }
        }
        UnsafeApi.putByte(array, at++, (byte)'"');
        copy(name, array, at, length);
        at += length;
        UnsafeApi.putByte(array, at++, (byte)'"');
        UnsafeApi.putByte(array, at++, (byte)':');
        position = (int)(at - address);
        afterName = true;
        return this;
    }

    /** Write a member name taken from the wire: escaped like a string value. */
    public JsonWriter name(final DirectBuffer src, final int offset, final int length)
    {
        comma();
        putByte('"');
        escape(src, offset, length);
        reserve(2);
        UnsafeApi.putShort(array, address + position, NAME_END);
        position += 2;
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
        putLongAscii(value);
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
        final int length = utf8.length;
        reserve(length + 2);
        final long at = address + position;
        UnsafeApi.putByte(array, at, (byte)'"');
        copy(utf8, array, at + 1, length);
        UnsafeApi.putByte(array, at + 1 + length, (byte)'"');
        position += length + 2;
        return this;
    }

    /** Write a pre-rendered JSON value (an array of constants, made once at start-up). */
    public JsonWriter rawValue(final byte[] json)
    {
        beforeValue();
        putBytes(json);
        return this;
    }

    /**
     * Write pre-rendered members ({@code "a":1,"b":{...}}, made once at start-up) into the open
     * object; nothing when {@code members} is empty.
     */
    public JsonWriter rawMembers(final byte[] members)
    {
        if (members.length > 0)
        {
            comma();
            putBytes(members);
        }
        return this;
    }

    /**
     * Write a run of constant JSON that ends with the name of a member whose value comes next (see
     * {@link Fragment}): one copy for what would be several names and constants.
     */
    public JsonWriter fragment(final Fragment fragment)
    {
        if (fragment.member)
        {
            comma();
        }
        else
        {
            beforeValue();
        }
        putBytes(fragment.json);
        depth += fragment.depthChange;
        // Every container now open holds a member: the fragment's own, or the one it sits in.
        needsComma |= (1L << depth) - 1;
        afterName = true;
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

    /** Append {@code value} in 0..999 (an IPv4 octet) as decimal digits without leading zeros. */
    public JsonWriter appendSmallDecimal(final int value)
    {
        if (value < 0 || value > 999)
        {
            return appendDecimal(value);
        }
        reserve(3);
        final long at = address + position;
        if (value >= 100)
        {
            UnsafeApi.putByte(array, at, (byte)('0' + value / 100));
            UnsafeApi.putByte(array, at + 1, (byte)('0' + (value / 10) % 10));
            UnsafeApi.putByte(array, at + 2, (byte)('0' + value % 10));
            position += 3;
        }
        else if (value >= 10)
        {
            UnsafeApi.putByte(array, at, (byte)('0' + value / 10));
            UnsafeApi.putByte(array, at + 1, (byte)('0' + value % 10));
            position += 2;
        }
        else
        {
            UnsafeApi.putByte(array, at, (byte)('0' + value));
            position++;
        }
        return this;
    }

    /** Append {@code length} bytes of {@code ascii} from {@code offset}: text that needs no escaping. */
    public JsonWriter appendAscii(final byte[] ascii, final int offset, final int length)
    {
        if (offset < 0 || length < 0 || offset > ascii.length - length)
        {
            throw new IndexOutOfBoundsException("offset=" + offset + " length=" + length + " of " + ascii.length);
        }
        reserve(length);
        copy(ascii, offset, array, address + position, length);
        position += length;
        return this;
    }

    public JsonWriter appendDecimal(final long value)
    {
        putLongAscii(value);
        return this;
    }

    /** Append {@code value} (not negative) as exactly {@code digits} decimal digits, zero-padded. */
    public JsonWriter appendPadded(final long value, final int digits)
    {
        if (value < 0)
        {
            throw new IllegalArgumentException("negative: " + value);
        }
        reserve(digits);
        putDigits(array, address + position + digits, value, digits);
        position += digits;
        return this;
    }

    /**
     * Store the lowest {@code digits} decimal digits of {@code value} (not negative) so that they
     * end just before {@code end}, two at a time; room was reserved.
     */
    private static void putDigits(final byte[] array, final long end, final long value, final int digits)
    {
        long v = value;
        long at = end;
        int left = digits;
        while (left >= 2)
        {
            final long next = v / 100;
            at -= 2;
            UnsafeApi.putShort(array, at,
                UnsafeApi.getShort(DIGIT_PAIRS, BufferUtil.ARRAY_BASE_OFFSET + 2 * (v - next * 100)));
            v = next;
            left -= 2;
        }
        if (left == 1)
        {
            UnsafeApi.putByte(array, at - 1, (byte)('0' + v % 10));
        }
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

    /**
     * Write {@code length} bytes of {@code src} as a base64 string value (RFC 4648, padded): for
     * bodies that are not text. Cut to a whole number of 4-character groups when cutting.
     */
    public JsonWriter base64Value(final DirectBuffer src, final int offset, final int length)
    {
        beforeValue();
        putByte('"');
        int n = length;
        if (cutting != NOT_CUTTING)
        {
            final int whole = 4 * ((length + 2) / 3);
            if (cutting == MEASURING)
            {
                cuts.record(stringClass, whole);
            }
            else if (whole > cuts.cap(stringClass))
            {
                n = cuts.cap(stringClass) / 4 * 3;
            }
        }
        appendBase64(src, offset, n);
        putByte('"');
        return this;
    }

    private void appendBase64(final DirectBuffer src, final int offset, final int length)
    {
        if (length <= 0)
        {
            return;
        }
        src.boundsCheck(offset, length);
        final int out = 4 * ((length + 2) / 3);
        reserve(out);
        final byte[] srcArray = src.byteArray();
        final long srcAddress = src.addressOffset() + offset;
        final byte[] array = this.array;
        long at = address + position;
        final int whole = length - length % 3;
        for (int i = 0; i < whole; i += 3)
        {
            final int bits = (UnsafeApi.getByte(srcArray, srcAddress + i) & 0xFF) << 16 |
                (UnsafeApi.getByte(srcArray, srcAddress + i + 1) & 0xFF) << 8 |
                (UnsafeApi.getByte(srcArray, srcAddress + i + 2) & 0xFF);
            UnsafeApi.putByte(array, at, BASE64[bits >>> 18]);
            UnsafeApi.putByte(array, at + 1, BASE64[(bits >>> 12) & 0x3F]);
            UnsafeApi.putByte(array, at + 2, BASE64[(bits >>> 6) & 0x3F]);
            UnsafeApi.putByte(array, at + 3, BASE64[bits & 0x3F]);
            at += 4;
        }
        if (whole < length)
        {
            final int b0 = UnsafeApi.getByte(srcArray, srcAddress + whole) & 0xFF;
            final int b1 = whole + 1 < length ? UnsafeApi.getByte(srcArray, srcAddress + whole + 1) & 0xFF : 0;
            final int bits = b0 << 16 | b1 << 8;
            UnsafeApi.putByte(array, at, BASE64[bits >>> 18]);
            UnsafeApi.putByte(array, at + 1, BASE64[(bits >>> 12) & 0x3F]);
            UnsafeApi.putByte(array, at + 2, whole + 1 < length ? BASE64[(bits >>> 6) & 0x3F] : (byte)'=');
            UnsafeApi.putByte(array, at + 3, (byte)'=');
        }
        position += out;
    }

    /** Append untrusted bytes inside an open string, escaped. */
    public JsonWriter appendEscaped(final DirectBuffer src, final int offset, final int length)
    {
        if (cutting != NOT_CUTTING)
        {
            return appendEscapedCut(src, offset, length);
        }
        return escape(src, offset, length);
    }

    /** {@link #appendEscaped} while measuring or cutting strings. */
    private JsonWriter appendEscapedCut(final DirectBuffer src, final int offset, final int length)
    {
        final int before = position;
        escape(src, offset, length);
        final int written = position - before;
        if (cutting == MEASURING)
        {
            cuts.record(stringClass, written);
        }
        else if (written > cuts.cap(stringClass))
        {
            position = before + boundaryAtOrBefore(before, cuts.cap(stringClass));
        }
        return this;
    }

    /**
     * @return the longest prefix of the escaped output at {@code from}, of at most {@code cap}
     * bytes, that ends between two characters or escapes.
     */
    private int boundaryAtOrBefore(final int from, final int cap)
    {
        int i = 0;
        while (true)
        {
            final int b = buffer.getByte(from + i) & 0xFF;
            final int unit = b == '\\' ? (buffer.getByte(from + i + 1) == 'u' ? 6 : 2) :
                b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            if (i + unit > cap)
            {
                return i;
            }
            i += unit;
        }
    }

    private JsonWriter escape(final DirectBuffer src, final int offset, final int length)
    {
        if (length <= 0)
        {
            return this;
        }
        // One range check for the whole string; the scan below reads the source directly.
        src.boundsCheck(offset, length);
        final byte[] srcArray = src.byteArray();
        final long srcAddress = src.addressOffset();
        final int end = offset + length;
        int i = offset;
        if (length >= Long.BYTES)
        {
            i += copyPlainPrefix(srcArray, srcAddress + offset, length);
        }
        else if (LITTLE_ENDIAN)
        {
            i += copyPlainShort(srcArray, srcAddress + offset, length);
        }
        while (i < end)
        {
            final int run = plainRun(srcArray, srcAddress, i, end);
            if (run > 0)
            {
                reserve(run);
                UnsafeApi.copyMemory(srcArray, srcAddress + i, array, address + position, run);
                position += run;
                i += run;
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
            final int sequenceLength = Utf8.sequenceLength(src, i, end, b);
            if (sequenceLength == 0)
            {
                putBytes(REPLACEMENT);
                i++;
            }
            else
            {
                reserve(sequenceLength);
                for (int k = 0; k < sequenceLength; k++)
                {
                    UnsafeApi.putByte(array, address + position + k, src.getByte(i + k));
                }
                position += sequenceLength;
                i += sequenceLength;
            }
        }
        return this;
    }

    /**
     * Copy the bytes that need no escaping at the start of a string of {@code length >= 8} bytes at
     * {@code (srcArray, from)}, range-checked, a word at a time: each word is stored before it is
     * checked (the room for the whole string is reserved, and what follows the plain bytes is
     * written over), the last one overlapping the one before.
     *
     * @return how many bytes were plain and are now written.
     */
    private int copyPlainPrefix(final byte[] srcArray, final long from, final int length)
    {
        reserve(length);
        final byte[] array = this.array;
        final long to = address + position;
        final int last = length - Long.BYTES;
        int i = 0;
        while (true)
        {
            final int at = Math.min(i, last);
            long word = UnsafeApi.getLong(srcArray, from + at);
            UnsafeApi.putLong(array, to + at, word);
            if (!LITTLE_ENDIAN)
            {
                word = Long.reverseBytes(word);
            }
            // The bytes below i were checked already (the last word overlaps the one before).
            final long special = specialBytes(word) & (-1L << ((i - at) << 3));
            if (special != 0)
            {
                final int plain = at + (Long.numberOfTrailingZeros(special) >>> 3);
                position += plain;
                return plain;
            }
            if (at == last)
            {
                position += length;
                return length;
            }
            i += Long.BYTES;
        }
    }

    /**
     * Copy a string of {@code length} 1 to 7 bytes at {@code (srcArray, from)}, range-checked, when
     * none of its bytes needs escaping: read as one word from two overlapping reads (little-endian
     * order), checked at once, stored as they were read.
     *
     * @return {@code length} when it was plain and is now written, else 0 (nothing written).
     */
    private int copyPlainShort(final byte[] srcArray, final long from, final int length)
    {
        final long word;
        if (length >= Integer.BYTES)
        {
            word = (UnsafeApi.getInt(srcArray, from) & 0xFFFF_FFFFL) |
                (UnsafeApi.getInt(srcArray, from + length - Integer.BYTES) & 0xFFFF_FFFFL) << ((length - Integer.BYTES) << 3);
        }
        else if (length >= Short.BYTES)
        {
            word = (UnsafeApi.getShort(srcArray, from) & 0xFFFFL) |
                (UnsafeApi.getShort(srcArray, from + length - Short.BYTES) & 0xFFFFL) << ((length - Short.BYTES) << 3);
        }
        else
        {
            word = UnsafeApi.getByte(srcArray, from) & 0xFFL;
        }
        // The bytes above the string are zero in the word, which the check would take for controls.
        if ((specialBytes(word) & ((1L << (length << 3)) - 1)) != 0)
        {
            return 0;
        }
        reserve(length);
        copy(srcArray, from, array, address + position, length);
        position += length;
        return length;
    }

    /**
     * @return how many bytes from {@code from} need no escaping (printable ASCII other than {@code "}
     * and {@code \\}): checked eight at a time, then one by one. [from, end) was range-checked.
     */
    private static int plainRun(final byte[] srcArray, final long srcAddress, final int from, final int end)
    {
        int i = from;
        while (i + Long.BYTES <= end)
        {
            long word = UnsafeApi.getLong(srcArray, srcAddress + i);
            if (!LITTLE_ENDIAN)
            {
                word = Long.reverseBytes(word);
            }
            final long special = specialBytes(word);
            if (special != 0)
            {
                return i - from + (Long.numberOfTrailingZeros(special) >>> 3);
            }
            i += Long.BYTES;
        }
        while (i < end && isPlain(UnsafeApi.getByte(srcArray, srcAddress + i) & 0xFF))
        {
            i++;
        }
        return i - from;
    }

    /**
     * The high bit of each byte of the result is set where {@code word} has a byte below 0x20,
     * 0x7F or above, {@code "} or {@code \\}. A flag can be wrong only above a right one (borrows
     * and carries run upwards), and only the lowest is used.
     */
    private static long specialBytes(final long word)
    {
        final long quote = word ^ 0x2222_2222_2222_2222L;
        final long backslash = word ^ 0x5C5C_5C5C_5C5C_5C5CL;
        final long control = word - 0x2020_2020_2020_2020L;
        final long high = word + 0x0101_0101_0101_0101L;
        return ((control & ~word) |
            ((quote - 0x0101_0101_0101_0101L) & ~quote) |
            ((backslash - 0x0101_0101_0101_0101L) & ~backslash) |
            high | word) & 0x8080_8080_8080_8080L;
    }

    private static boolean isPlain(final int b)
    {
        return b >= 0x20 && b < 0x7F && b != '"' && b != '\\';
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
        if (position >= capacity)
        {
            reserve(1);
        }
        UnsafeApi.putByte(array, address + position, (byte)b);
        position++;
    }

    private void putBytes(final byte[] bytes)
    {
        final int length = bytes.length;
        reserve(length);
        copy(bytes, array, address + position, length);
        position += length;
    }

    /**
     * Copy {@code length} bytes of {@code src} to {@code (array, at)}; room was reserved. Short
     * pieces (names, constants) as two overlapping words of the largest size that fits, or as
     * longs; longer ones in bulk.
     */
    private static void copy(final byte[] src, final byte[] array, final long at, final int length)
    {
        copy(src, BufferUtil.ARRAY_BASE_OFFSET, array, at, length);
    }

    /** As {@link #copy(byte[], byte[], long, int)}, from {@code offset} of {@code src} (range-checked). */
    private static void copy(final byte[] src, final int offset, final byte[] array, final long at, final int length)
    {
        copy(src, BufferUtil.ARRAY_BASE_OFFSET + offset, array, at, length);
    }

    /** As {@link #copy(byte[], byte[], long, int)}, from {@code (src, from)} as {@link UnsafeApi} addresses it. */
    private static void copy(final byte[] src, final long from, final byte[] array, final long at, final int length)
    {
        if (length >= Long.BYTES)
        {
            if (length > 4 * Long.BYTES)
            {
                UnsafeApi.copyMemory(src, from, array, at, length);
                return;
            }
            final int last = length - Long.BYTES;
            for (int i = 0; i < last; i += Long.BYTES)
            {
                UnsafeApi.putLong(array, at + i, UnsafeApi.getLong(src, from + i));
            }
            UnsafeApi.putLong(array, at + last, UnsafeApi.getLong(src, from + last));
        }
        else if (length >= Integer.BYTES)
        {
            final int last = length - Integer.BYTES;
            UnsafeApi.putInt(array, at, UnsafeApi.getInt(src, from));
            UnsafeApi.putInt(array, at + last, UnsafeApi.getInt(src, from + last));
        }
        else if (length >= Short.BYTES)
        {
            final int last = length - Short.BYTES;
            UnsafeApi.putShort(array, at, UnsafeApi.getShort(src, from));
            UnsafeApi.putShort(array, at + last, UnsafeApi.getShort(src, from + last));
        }
        else if (length == 1)
        {
            UnsafeApi.putByte(array, at, UnsafeApi.getByte(src, from));
        }
    }

    /**
     * Make room for {@code bytes} more bytes at the position: an expandable buffer grows; any other
     * fails with its bounds-check exception, so nothing is ever stored past its end.
     */
    private void reserve(final int bytes)
    {
        if ((long)position + bytes > capacity)
        {
            buffer.checkLimit((int)Math.min(Integer.MAX_VALUE, (long)position + bytes));
            refresh();
        }
    }

    private void putLongAscii(final long value)
    {
        if (value < 0)
        {
            if (value == Long.MIN_VALUE)
            {
                putBytes(LONG_MIN);
                return;
            }
            putByte('-');
            putLongAscii(-value);
            return;
        }
        final int digits = AsciiEncoding.digitCount(value);
        reserve(digits);
        putDigits(array, address + position + digits, value, digits);
        position += digits;
    }

    private void refresh()
    {
        array = buffer.byteArray();
        address = buffer.addressOffset();
        capacity = buffer.capacity();
    }

    /**
     * Constant JSON made once at start-up and written with {@link #fragment}: members of the open
     * object ({@code "a":1,"b":{"c":}) or a value that opens objects ({@code {"ip":}), closing and
     * opening objects and arrays along the way, always ending with the name of a member whose value
     * the caller writes next.
     */
    public static final class Fragment
    {
        private final byte[] json;
        private final boolean member;
        private final int depthChange;

        private Fragment(final byte[] json, final boolean member, final int depthChange)
        {
            this.json = json;
            this.member = member;
            this.depthChange = depthChange;
        }

        /** @param json plain JSON-safe text, starting with a member's name or with '{', ending with a name and ':'. */
        public static Fragment of(final String json)
        {
            if (json.isEmpty() || (json.charAt(0) != '"' && json.charAt(0) != '{') || !json.endsWith("\":"))
            {
                throw new IllegalArgumentException("not members ending with a name: " + json);
            }
            int change = 0;
            boolean inString = false;
            for (int i = 0; i < json.length(); i++)
            {
                final char c = json.charAt(i);
                if (c == '"')
                {
                    inString = !inString;
                }
                else if (c == '\\')
                {
                    throw new IllegalArgumentException("escapes are not expected in a fragment: " + json);
                }
                else if (!inString && (c == '{' || c == '['))
                {
                    change++;
                }
                else if (!inString && (c == '}' || c == ']'))
                {
                    change--;
                }
            }
            return new Fragment(encodeName(json), json.charAt(0) == '"', change);
        }
    }
}
