package dev.httpcap.decoders.event;

import java.nio.charset.StandardCharsets;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void shouldGoOnAfterAFragmentAsAfterTheSameMembersWrittenOneByOne()
    {
        final JsonWriter.Fragment member = JsonWriter.Fragment.of("\"a\":{\"b\":[1,{}],\"c\":{\"d\":");
        final JsonWriter.Fragment value = JsonWriter.Fragment.of("{\"e\":");
        final JsonWriter.Fragment closing = JsonWriter.Fragment.of("\"f\":1},\"g\":");
        writer.wrap(buffer, 0).startObject().name(JsonWriter.encodeName("x")).value(0)
            .fragment(member).value(2).name(JsonWriter.encodeName("h")).fragment(value).value(3).endObject()
            .fragment(closing).value(4).endObject().name(JsonWriter.encodeName("i")).value(5).endObject();
        assertEquals("{\"x\":0,\"a\":{\"b\":[1,{}],\"c\":{\"d\":2,\"h\":{\"e\":3},\"f\":1},\"g\":4},\"i\":5}", written());
        writer.wrap(buffer, 0).startArray().fragment(value).value(1).endObject().fragment(value).value(2).endObject()
            .endArray();
        assertEquals("[{\"e\":1},{\"e\":2}]", written());
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.Fragment.of("\"a\":1"));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.Fragment.of("[\"a\":"));
    }

    @Test
    void shouldEscapeQuotesBackslashesAndControlCharacters()
    {
        assertEquals("\"a\\\"b\\\\c\\n\\r\\t\\u0000\\u001f\\u007f\"",
            escape("a\"b\\c\n\r\t\u0000\u001f\u007f".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldEscapeEveryByteThatNeedsItAtEveryLengthAndPosition()
    {
        // The plain bytes of a string are checked and copied a word at a time (short strings as one
        // word from overlapping reads): a byte that needs escaping must be caught wherever it falls.
        final byte[] specials = {'"', '\\', '\n', 0x01, 0x1F, 0x7F, (byte)0x80};
        final String[] escaped = {"\\\"", "\\\\", "\\n", "\\u0001", "\\u001f", "\\u007f", "\uFFFD"};
        final byte[] memory = new byte[64];
        for (int length = 1; length <= 24; length++)
        {
            for (int at = 0; at < length; at++)
            {
                for (int s = 0; s < specials.length; s++)
                {
                    java.util.Arrays.fill(memory, (byte)'"'); // around the string: bytes that would need escaping
                    final StringBuilder expected = new StringBuilder("\"");
                    for (int i = 0; i < length; i++)
                    {
                        final byte b = i == at ? specials[s] : (byte)('a' + i);
                        memory[7 + i] = b;
                        expected.append(i == at ? escaped[s] : String.valueOf((char)b));
                    }
                    writer.wrap(buffer, 0).value(new UnsafeBuffer(memory), 7, length);
                    assertEquals(expected.append('"').toString(), written(), "length " + length + " at " + at);
                }
                java.util.Arrays.fill(memory, (byte)'"');
                for (int i = 0; i < length; i++)
                {
                    memory[7 + i] = (byte)('a' + i);
                }
                writer.wrap(buffer, 0).value(new UnsafeBuffer(memory), 7, length);
                assertEquals('"' + new String(memory, 7, length, StandardCharsets.US_ASCII) + '"', written());
            }
        }
    }

    @Test
    void shouldWriteNumbersOfEveryLength()
    {
        long value = 1;
        for (int digits = 1; digits <= 19; digits++)
        {
            for (final long v : new long[] {value, value * 9 / 9 + value - 1, -value})
            {
                writer.wrap(buffer, 0).value(v);
                assertEquals(Long.toString(v), written());
            }
            value *= 10;
        }
        for (final long v : new long[] {0, Long.MAX_VALUE, Long.MIN_VALUE, 99, 100, 101})
        {
            writer.wrap(buffer, 0).value(v);
            assertEquals(Long.toString(v), written());
        }
        writer.wrap(buffer, 0).appendPadded(7, 9).appendPadded(123_456_789, 9).appendPadded(42, 3);
        assertEquals("000000007123456789042", written());
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
    @Test
    void shouldWriteBase64LikeTheJdkForEveryTailLength()
    {
        final java.util.Random random = new java.util.Random(42);
        for (int length = 0; length <= 70; length++)
        {
            final byte[] bytes = new byte[length + 3];
            random.nextBytes(bytes);
            writer.wrap(buffer, 0).base64Value(new UnsafeBuffer(bytes), 3, length);
            assertEquals('"' + java.util.Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(bytes, 3, 3 + length)) +
                '"', written());
        }
    }

    @Test
    void shouldTellUtf8TextFromBinaryAndAllowOnlyACutLastCharacter()
    {
        final byte[] text = "plain ascii, then \u00e9\u20ac\uD83D\uDE00 and more".getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer view = new UnsafeBuffer(text);
        assertEquals(text.length, Utf8.textLength(view, 0, text.length, false));
        final int euro = "plain ascii, then \u00e9".getBytes(StandardCharsets.UTF_8).length;
        for (int cut = 1; cut < 3; cut++)
        {
            assertEquals(-1, Utf8.textLength(view, 0, euro + cut, false), "ends inside a character");
            assertEquals(euro, Utf8.textLength(view, 0, euro + cut, true), "cut inside the euro sign");
        }
        assertEquals(-1, Utf8.textLength(new UnsafeBuffer(new byte[] {'a', (byte)0xC0, (byte)0xAF}), 0, 3, true),
            "an overlong form is not a cut character");
        assertEquals(-1, Utf8.textLength(new UnsafeBuffer(new byte[] {(byte)0x89, 'P', 'N', 'G'}), 0, 4, true));
        assertEquals(-1, Utf8.textLength(new UnsafeBuffer(new byte[] {(byte)0xE2, 'a', 'b'}), 0, 3, true),
            "a lead byte followed by text is not a cut character");
        assertEquals(3, Utf8.textLength(new UnsafeBuffer(new byte[] {0, 1, 2}), 0, 3, false), "control bytes are UTF-8");
    }

    @Test
    void shouldCutBodiesFirstThenHeadersThenTheRestOnCharacterAndEscapeBoundaries()
    {
        final String url = "/url\u00e9";
        final String value = "\"quoted\" \u20ac value";
        final UnsafeBuffer kept = new UnsafeBuffer(url.getBytes(StandardCharsets.UTF_8));
        final UnsafeBuffer header = new UnsafeBuffer(value.getBytes(StandardCharsets.UTF_8));
        final byte[] control = new byte[50];
        java.util.Arrays.fill(control, (byte)1);
        final UnsafeBuffer body = new UnsafeBuffer(control);
        final java.util.function.IntSupplier document = () ->
        {
            writer.wrap(buffer, 0).startObject()
                .name(JsonWriter.encodeName("u")).value(kept, 0, kept.capacity())
                .stringClass(JsonWriter.HEADER).name(JsonWriter.encodeName("h")).value(header, 0, header.capacity())
                .stringClass(JsonWriter.BODY).name(JsonWriter.encodeName("b")).value(body, 0, body.capacity())
                .name(JsonWriter.encodeName("b64")).base64Value(body, 0, body.capacity())
                .stringClass(JsonWriter.KEPT).endObject();
            return writer.length();
        };
        final int whole = document.getAsInt();
        writer.emptyStrings();
        final int fixed = document.getAsInt();
        assertEquals("{\"u\":\"\",\"h\":\"\",\"b\":\"\",\"b64\":\"\"}", written());
        writer.measureStrings();
        assertEquals(whole, document.getAsInt());
        final com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        for (int limit = fixed; limit <= whole; limit++)
        {
            writer.planCuts(limit - fixed);
            final int length = document.getAsInt();
            assertTrue(length <= limit, length + " > " + limit);
            final String json = written();
            final com.fasterxml.jackson.databind.JsonNode node;
            try
            {
                node = mapper.readTree(json);
            }
            catch (final java.io.IOException ex)
            {
                throw new AssertionError("invalid JSON at limit " + limit + ": " + json, ex);
            }
            final String u = node.get("u").asText();
            final String h = node.get("h").asText();
            final String b = node.get("b").asText() + node.get("b64").asText();
            assertTrue(url.startsWith(u) && value.startsWith(h), json);
            if (!b.isEmpty())
            {
                assertEquals(value, h, "headers whole while a body has room: " + json);
            }
            if (!h.isEmpty())
            {
                assertEquals(url, u, "the rest whole while headers have room: " + json);
            }
            // Each cut string may stop short of its share by less than one escape (6) or base64 group (4),
            // and the shares are equal: up to one byte per string is left over.
            assertTrue(length >= limit - 12, "cut far below the limit " + limit + ": " + json);
        }
        writer.stopCutting();
        assertEquals(whole, document.getAsInt());
    }
}
