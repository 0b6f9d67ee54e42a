package dev.httpcap.decoders.json;

import java.nio.charset.StandardCharsets;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonWriterTest
{
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(16);
    private final JsonWriter writer = new JsonWriter();

    private String written()
    {
        return buffer.getStringWithoutLengthUtf8(0, writer.length());
    }

    private String escape(final byte[] input)
    {
        writer.wrap(buffer, 0).value(new UnsafeBuffer(input), 0, input.length);
        return written();
    }

    @Test
    void shouldSeparateMembersAndNestedContainersWithCommas()
    {
        writer.wrap(buffer, 0).startObject()
            .name(JsonWriter.encodeName("a")).value(1)
            .startObject(JsonWriter.encodeName("b")).name(JsonWriter.encodeName("c")).value(true).endObject()
            .name(JsonWriter.encodeName("d")).startArray().value(-2).nullValue().startObject().endObject().endArray()
            .name(JsonWriter.encodeName("e")).rawString(JsonWriter.encodeName("x"))
            .endObject();
        assertEquals("{\"a\":1,\"b\":{\"c\":true},\"d\":[-2,null,{}],\"e\":\"x\"}", written());
    }

    @Test
    void shouldEscapeQuotesBackslashesAndControlCharacters()
    {
        assertEquals("\"a\\\"b\\\\c\\n\\r\\t\\u0000\\u001f\\u007f\"",
            escape("a\"b\\c\n\r\t\u0000\u001f\u007f".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldKeepValidUtf8AndReplaceInvalidSequences()
    {
        assertEquals("\"h\u00e9\u20ac\uD83D\uDE00\"", escape("h\u00e9\u20ac\uD83D\uDE00".getBytes(StandardCharsets.UTF_8)));
        // Lone continuation byte, overlong encoding, surrogate, truncated sequence at the end.
        assertEquals("\"\uFFFDa\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\"",
            escape(new byte[] {(byte)0x80, 'a', (byte)0xC0, (byte)0xAF, (byte)0xED, (byte)0xA0, (byte)0x80, (byte)0xE2, (byte)0x82}));
    }

    @Test
    void shouldNeverProduceInvalidUtf8ForAnyTwoByteInput()
    {
        final byte[] input = new byte[2];
        for (int a = 0; a < 256; a++)
        {
            for (int b = 0; b < 256; b++)
            {
                input[0] = (byte)a;
                input[1] = (byte)b;
                final String out = escape(input);
                final byte[] reencoded = out.getBytes(StandardCharsets.UTF_8);
                assertEquals(writer.length(), reencoded.length, "input " + a + "," + b);
            }
        }
    }

    @Test
    void shouldEscapeEveryByteValueAtEveryPositionOfALongPlainString()
    {
        // The escaper copies runs of plain bytes eight at a time: put each byte value at each
        // position of a 19-byte run (two words and a tail) and compare with escaping it alone.
        final byte[] input = new byte[19];
        for (int value = 0; value < 128; value++)
        {
            final String alone = escape(new byte[] {(byte)value});
            final String escaped = alone.substring(1, alone.length() - 1);
            for (int at = 0; at < input.length; at++)
            {
                java.util.Arrays.fill(input, (byte)'a');
                input[at] = (byte)value;
                final String expected = "\"" + "a".repeat(at) + escaped + "a".repeat(input.length - at - 1) + "\"";
                assertEquals(expected, escape(input), "byte " + value + " at " + at);
            }
        }
        for (int value = 128; value < 256; value++)
        {
            for (int at = 0; at < input.length; at++)
            {
                java.util.Arrays.fill(input, (byte)'a');
                input[at] = (byte)value;
                final String expected = "\"" + "a".repeat(at) + "\uFFFD" + "a".repeat(input.length - at - 1) + "\"";
                assertEquals(expected, escape(input), "byte " + value + " at " + at);
            }
        }
    }

    @Test
    void shouldFailOnAFullFixedBufferWithoutWritingPastItsEnd()
    {
        // A fixed buffer over the middle of an array: every document too long for it must fail with
        // the buffer's bounds exception and leave the bytes around the window untouched.
        final byte[] name = JsonWriter.encodeName("a-member-name-longer-than-sixteen-bytes");
        final byte[] text = "plain text then \"quotes\" and \u00e9 and more plain text".getBytes(StandardCharsets.UTF_8);
        int fitted = 0;
        for (int window = 0; window < 200; window++)
        {
            final byte[] memory = new byte[window + 64];
            java.util.Arrays.fill(memory, (byte)0x55);
            final UnsafeBuffer fixed = new UnsafeBuffer(memory, 32, window);
            final JsonWriter fixedWriter = new JsonWriter();
            boolean failed = false;
            try
            {
                fixedWriter.wrap(fixed, 0).startObject()
                    .name(name).value(-1234567890123L)
                    .name(JsonWriter.encodeName("t")).value(new UnsafeBuffer(text), 0, text.length)
                    .name(JsonWriter.encodeName("r")).rawString(JsonWriter.encodeName("raw-string-of-some-length"))
                    .name(JsonWriter.encodeName("n")).value(7)
                    .endObject();
            }
            catch (final IndexOutOfBoundsException expected)
            {
                failed = true;
            }
            for (int i = 0; i < 32; i++)
            {
                assertEquals((byte)0x55, memory[i], "window " + window + " byte before it");
                assertEquals((byte)0x55, memory[32 + window + i], "window " + window + " byte after it");
            }
            if (!failed)
            {
                assertEquals(fitted == 0 ? window : fitted, fixedWriter.length(), "window " + window);
                fitted = fixedWriter.length();
            }
            else
            {
                assertEquals(0, fitted, "failed in window " + window + " after fitting in a smaller one");
            }
        }
        assertEquals(156, fitted, "the document fits from its own length on");
        assertThrows(IndexOutOfBoundsException.class,
            () -> new JsonWriter().wrap(new UnsafeBuffer(new byte[4]), 0).name(name));
    }

    @Test
    void shouldCopyNamesAndAsciiOfEveryShortLengthAndWriteSmallDecimals()
    {
        final StringBuilder expected = new StringBuilder("{");
        writer.wrap(buffer, 0).startObject();
        for (int length = 0; length <= 40; length++)
        {
            final String name = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".substring(0, length);
            final byte[] ascii = ("0123456789" + name).getBytes(StandardCharsets.US_ASCII);
            writer.name(JsonWriter.encodeName(name)).startString().appendAscii(ascii, 10, length).endString();
            expected.append(length == 0 ? "" : ",").append('"').append(name).append("\":\"").append(name).append('"');
        }
        for (final int value : new int[] {0, 7, 9, 10, 42, 99, 100, 255, 999, 1000, -1, 65535})
        {
            writer.name(JsonWriter.encodeName("n" + value)).startString().appendSmallDecimal(value).endString();
            expected.append(",\"n").append(value).append("\":\"").append(value).append('"');
        }
        writer.endObject();
        assertEquals(expected.append('}').toString(), written());
        assertThrows(IndexOutOfBoundsException.class, () -> writer.appendAscii(new byte[4], 2, 3));
    }
}
