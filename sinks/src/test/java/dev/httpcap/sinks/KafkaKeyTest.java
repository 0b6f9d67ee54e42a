package dev.httpcap.sinks;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KafkaKeyTest
{
    private static final String EVENT = "{\"@timestamp\":\"2026-11-24T15:11:27.123456000Z\"," +
        "\"event\":{\"dataset\":\"http\"},\"source\":{\"ip\":\"10.0.0.1\",\"port\":51234}," +
        "\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\",\"community_id\":\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\"}," +
        "\"url\":{\"original\":\"/a?\\\"domain\\\":\\\"evil\\\"\",\"path\":\"/a\",\"domain\":\"example.test\"}," +
        "\"http\":{\"request\":{\"headers\":{\"community_id\":\"header\",\"domain\":\"header\"}}}}";

    @Test
    void shouldFindTheConnectionsCommunityId()
    {
        assertEquals("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", key(KafkaKey.COMMUNITY_ID, EVENT));
    }

    @Test
    void shouldFindTheUrlDomainNotAnEscapedLookalikeOrAHeader()
    {
        assertEquals("example.test", key(KafkaKey.HOST, EVENT));
    }

    @Test
    void shouldHaveNoKeyWhenTheFieldIsMissing()
    {
        final String noUrlDomain = "{\"network\":{\"transport\":\"tcp\"},\"url\":{\"path\":\"/\"}," +
            "\"http\":{\"request\":{\"headers\":{\"domain\":\"header\"}}}}";
        assertNull(key(KafkaKey.COMMUNITY_ID, noUrlDomain));
        assertNull(key(KafkaKey.HOST, noUrlDomain), "a header named domain is not url.domain");
        assertNull(key(KafkaKey.NONE, EVENT));
    }

    @Test
    void shouldKeepEscapesInTheKey()
    {
        assertEquals("a\\\"b", key(KafkaKey.HOST, "{\"url\":{\"domain\":\"a\\\"b\"},\"http\":{}}"));
    }

    @Test
    void shouldGiveTheKeysPlaceWithoutCopyingIt()
    {
        final byte[] padded = ("xxxx" + EVENT + "yyyy").getBytes(StandardCharsets.UTF_8);
        final long span = KafkaKey.COMMUNITY_ID.find(padded, 4, padded.length - 8);
        assertEquals("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", new String(padded, KafkaKey.spanStart(span),
            KafkaKey.spanEnd(span) - KafkaKey.spanStart(span), StandardCharsets.UTF_8));
        assertEquals(-1, KafkaKey.NONE.find(padded, 4, padded.length - 8));
        assertEquals(-1, KafkaKey.HOST.find(padded, 4, 10), "not in the range given");
    }

    @Test
    void shouldFindTheFirstOccurrenceAsAPlainScanDoes()
    {
        for (final String needleText : new String[] {"\"community_id\":\"", "\"url\":{", "\"domain\":\"", "\"http\":{", "ab"})
        {
            final KafkaKey.Needle needle = new KafkaKey.Needle(needleText);
            final byte[] pattern = needleText.getBytes(StandardCharsets.US_ASCII);
            final byte[] alphabet = (needleText + "x\\").getBytes(StandardCharsets.US_ASCII);
            final java.util.Random random = new java.util.Random(16);
            for (int round = 0; round < 20_000; round++)
            {
                final byte[] text = new byte[random.nextInt(60)];
                for (int i = 0; i < text.length; i++)
                {
                    text[i] = alphabet[random.nextInt(alphabet.length)];
                }
                if (text.length >= pattern.length && random.nextBoolean())
                {
                    System.arraycopy(pattern, 0, text, random.nextInt(text.length - pattern.length + 1), pattern.length);
                }
                final int from = text.length == 0 ? 0 : random.nextInt(text.length);
                final int to = from + random.nextInt(text.length - from + 1);
                assertEquals(plainIndexOf(text, from, to, pattern), needle.indexOf(text, from, to),
                    () -> needleText + " in " + new String(text, StandardCharsets.US_ASCII) + " [" + from + ", " + to + ")");
            }
        }
    }

    @Test
    void shouldParseTheSpecNames()
    {
        assertEquals(KafkaKey.COMMUNITY_ID, KafkaKey.parse("community_id"));
        assertEquals(KafkaKey.HOST, KafkaKey.parse("host"));
        assertEquals(KafkaKey.NONE, KafkaKey.parse("none"));
        assertThrows(IllegalArgumentException.class, () -> KafkaKey.parse("flow"));
    }

    private static int plainIndexOf(final byte[] text, final int from, final int to, final byte[] pattern)
    {
        for (int i = from; i + pattern.length <= to; i++)
        {
            if (java.util.Arrays.equals(text, i, i + pattern.length, pattern, 0, pattern.length))
            {
                return i + pattern.length;
            }
        }
        return -1;
    }

    private static String key(final KafkaKey mode, final String json)
    {
        final byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        final long span = mode.find(bytes, 0, bytes.length);
        return span < 0 ? null :
            new String(bytes, KafkaKey.spanStart(span), KafkaKey.spanEnd(span) - KafkaKey.spanStart(span), StandardCharsets.UTF_8);
    }
}
