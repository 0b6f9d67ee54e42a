package dev.httpcap.sinks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * What a Kafka record is keyed by, and how the key is found in an encoded JSON event without
 * parsing it. Kafka sends records with the same key to the same partition, in order, so keying by
 * {@link #COMMUNITY_ID} keeps every event of one connection in order.
 * <p>
 * The event encoder writes {@code network} before {@code url} and both before {@code http}, and
 * every quote inside a JSON string is escaped, so the first unescaped {@code "community_id":"} is
 * the connection's, and the first {@code "domain":"} after {@code "url":{} and before
 * {@code "http":{} is the URL's host. A header that happens to share a name comes later and is
 * never mistaken for them.
 */
public enum KafkaKey
{
    /** {@code network.community_id}: one connection's events stay ordered in one partition. */
    COMMUNITY_ID("community_id"),
    /** {@code url.domain}: one host's events in one partition. */
    HOST("host"),
    /** No key: the producer spreads records over partitions in sticky batches. */
    NONE("none");

    private static final Needle COMMUNITY_ID_FIELD = new Needle("\"community_id\":\"");
    private static final Needle URL_OBJECT = new Needle("\"url\":{");
    private static final Needle DOMAIN_FIELD = new Needle("\"domain\":\"");
    private static final Needle HTTP_OBJECT = new Needle("\"http\":{");
    private static final byte QUOTE = '"';
    private static final byte BACKSLASH = '\\';

    private final String specName;

    KafkaKey(final String specName)
    {
        this.specName = specName;
    }

    /** @return the name used on the command line and in a sink spec. */
    public String specName()
    {
        return specName;
    }

    /**
     * @param name as given on the command line.
     * @return the key with that name.
     * @throws IllegalArgumentException naming the accepted values.
     */
    public static KafkaKey parse(final String name)
    {
        for (final KafkaKey key : values())
        {
            if (key.specName.equals(name))
            {
                return key;
            }
        }
        throw new IllegalArgumentException("kafka key '" + name + "' is not community_id, host or none");
    }

    /**
     * Where the record key of one encoded event is. The shipper copies each event into the record's
     * value first and looks for the key there: a search of the array ({@link Needle}), which the JIT
     * compiles to far less than bounds-checked reads of a {@code DirectBuffer}; it copies the key
     * into an array of its own.
     *
     * @param event  holding the event JSON.
     * @param offset of its first byte.
     * @param length of the event.
     * @return the key's start and end in {@code event} (the string value, still JSON-escaped; read
     *         them with {@link #spanStart} and {@link #spanEnd}), or -1 when this mode has no key or
     *         the event has no such field.
     */
    long find(final byte[] event, final int offset, final int length)
    {
        final int end = offset + length;
        return switch (this)
        {
            case COMMUNITY_ID -> stringAfter(event, indexOf(event, offset, end, COMMUNITY_ID_FIELD), end);
            case HOST ->
            {
                final int url = indexOf(event, offset, end, URL_OBJECT);
                if (url < 0)
                {
                    yield -1;
                }
                final int http = indexOf(event, url, end, HTTP_OBJECT);
                yield stringAfter(event, indexOf(event, url, http < 0 ? end : http, DOMAIN_FIELD), end);
            }
            case NONE -> -1;
        };
    }

    static int spanStart(final long span)
    {
        return (int)(span >>> 32);
    }

    static int spanEnd(final long span)
    {
        return (int)span;
    }

    /** @return the index just past {@code pattern} in {@code [from, to)}, or -1. */
    static int indexOf(final byte[] bytes, final int from, final int to, final Needle pattern)
    {
        return pattern.indexOf(bytes, from, to);
    }

    /** @return the span of the JSON string that starts at {@code start} (its closing quote excluded), or -1. */
    private static long stringAfter(final byte[] bytes, final int start, final int end)
    {
        if (start < 0)
        {
            return -1;
        }
        for (int i = start; i < end; i++)
        {
            final byte b = bytes[i];
            if (b == BACKSLASH)
            {
                i++;
            }
            else if (b == QUOTE)
            {
                return (long)start << 32 | i;
            }
        }
        return -1;
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /**
     * A byte string to look for. A search must not wait on what it has just read to know where to
     * read next (Horspool's shift: a chain of dependent loads, a few nanoseconds a step), so where
     * the needle holds a byte that JSON text seldom has ({@code _}, a brace or bracket: its
     * anchor), the search reads the text eight bytes at a time and tests all eight for the anchor
     * at once (the zero-byte test of "Bit Twiddling Hacks" on the word XOR the anchor repeated),
     * comparing the whole needle only where one is. {@code "community_id":"} has one {@code _},
     * which the fields before it lack but for an {@code event.id} now and then. A needle without
     * one moves on by a shift over the last two bytes (Wu-Manber's bigrams, hashed into 4096
     * entries; a collision only shortens a shift). The shipper does this for every record.
     */
    static final class Needle
    {
        private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        private static final long ONES = 0x0101_0101_0101_0101L;
        private static final long HIGHS = 0x8080_8080_8080_8080L;
        private static final int HASH_MASK = (1 << 12) - 1;

        private final byte[] bytes;
        /** Index of the anchor byte in the needle, or -1 if it has none. */
        private final int anchor;
        /** The anchor byte in every byte of a long. */
        private final long anchors;
        private final byte[] shift = new byte[HASH_MASK + 1];
        /** How far to move on after a window whose last bigram matched but whose bytes did not. */
        private final int afterMismatch;

        Needle(final String text)
        {
            bytes = ascii(text);
            final int last = bytes.length - 1;
            if (last < 1 || last > Byte.MAX_VALUE)
            {
                throw new IllegalArgumentException("a needle is 2 to 128 bytes: " + text);
            }
            int rare = -1;
            for (int i = 0; i < bytes.length && rare < 0; i++)
            {
                final byte b = bytes[i];
                rare = b == '_' || b == '{' || b == '[' || b == '}' || b == ']' ? i : -1;
            }
            anchor = rare;
            anchors = rare < 0 ? 0 : (bytes[rare] & 0xFFL) * ONES;
            Arrays.fill(shift, (byte)last);
            int again = last;
            final int lastBigram = hash(bytes[last - 1], bytes[last]);
            for (int j = 1; j <= last; j++)
            {
                final int h = hash(bytes[j - 1], bytes[j]);
                shift[h] = (byte)Math.min(shift[h], last - j);
                if (j < last && h == lastBigram)
                {
                    again = Math.min(again, last - j);
                }
            }
            afterMismatch = again;
        }

        private static int hash(final byte first, final byte second)
        {
            return ((first & 0xFF) << 5 ^ (second & 0xFF)) & HASH_MASK;
        }

        /** @return the index just past the first occurrence in {@code [from, to)}, or -1. */
        int indexOf(final byte[] haystack, final int from, final int to)
        {
            return anchor < 0 ? bigramIndexOf(haystack, from, to) : anchorIndexOf(haystack, from, to);
        }

        private int anchorIndexOf(final byte[] haystack, final int from, final int to)
        {
            final byte[] needle = bytes;
            final int length = needle.length;
            // The anchor of a match at i is at i + anchor; the last possible match is at to - length.
            final int lastAnchor = to - length + anchor;
            int at = from + anchor;
            for (; at + Long.BYTES - 1 <= lastAnchor; at += Long.BYTES)
            {
                final long x = (long)LONGS.get(haystack, at) ^ anchors;
                // A high bit for each zero byte of x, that is each anchor; past the first, maybe some
                // others too (a borrow), which the comparison rules out.
                long found = (x - ONES) & ~x & HIGHS;
                while (0 != found)
                {
                    final int start = at + (Long.numberOfTrailingZeros(found) >>> 3) - anchor;
                    if (Arrays.equals(haystack, start, start + length, needle, 0, length))
                    {
                        return start + length;
                    }
                    found &= found - 1;
                }
            }
            final byte anchorByte = needle[anchor];
            for (; at <= lastAnchor; at++)
            {
                final int start = at - anchor;
                if (haystack[at] == anchorByte && Arrays.equals(haystack, start, start + length, needle, 0, length))
                {
                    return start + length;
                }
            }
            return -1;
        }

        private int bigramIndexOf(final byte[] haystack, final int from, final int to)
        {
            final byte[] needle = bytes;
            final int length = needle.length;
            final int last = length - 1;
            for (int i = from; i <= to - length; )
            {
                final int move = shift[hash(haystack[i + last - 1], haystack[i + last])];
                if (0 != move)
                {
                    i += move;
                }
                else if (Arrays.equals(haystack, i, i + length, needle, 0, length))
                {
                    return i + length;
                }
                else
                {
                    i += afterMismatch;
                }
            }
            return -1;
        }
    }
}
