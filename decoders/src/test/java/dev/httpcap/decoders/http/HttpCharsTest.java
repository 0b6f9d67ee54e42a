package dev.httpcap.decoders.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The word-at-a-time scans and the header-name table against byte-at-a-time reference code, on
 * every range of random lines (heap and direct buffers, ranges at odd offsets and ending anywhere,
 * so the last partial word and the short-range path are both taken).
 */
class HttpCharsTest
{
    private static final byte[] ALPHABET = "aZ:\n\r -x\u00c1\u0080\u00ff\u0000@[`{".getBytes(StandardCharsets.ISO_8859_1);

    @Test
    void shouldCountLeadingSpacesAndTabsAsAByteLoopDoes()
    {
        final SplittableRandom random = new SplittableRandom(7);
        final byte[] alphabet = " \t !\u0000\u00a0\u0089\u0029\r\n".getBytes(StandardCharsets.ISO_8859_1);
        for (int round = 0; round < 20_000; round++)
        {
            final byte[] bytes = new byte[8];
            for (int i = 0; i < 8; i++)
            {
                bytes[i] = alphabet[random.nextInt(alphabet.length)];
            }
            final DirectBuffer buffer = new UnsafeBuffer(bytes);
            int spaces = 0;
            while (spaces < 8 && (bytes[spaces] == ' ' || bytes[spaces] == '\t'))
            {
                spaces++;
            }
            assertEquals(spaces, HttpChars.leadingSpaces(HttpChars.wordAt(buffer, 0)), () -> "in " + describe(bytes));
        }
    }

    @Test
    void shouldFindTheNewlineAndTheColonBeforeItAsAByteLoopDoes()
    {
        final SplittableRandom random = new SplittableRandom(42);
        for (int round = 0; round < 300; round++)
        {
            final byte[] bytes = new byte[1 + random.nextInt(60)];
            for (int i = 0; i < bytes.length; i++)
            {
                bytes[i] = random.nextInt(4) == 0 ? ALPHABET[random.nextInt(ALPHABET.length)] : (byte)('a' + random.nextInt(26));
            }
            for (final DirectBuffer buffer : buffers(bytes))
            {
                for (int from = 0; from <= bytes.length; from++)
                {
                    for (int to = from; to <= bytes.length; to++)
                    {
                        final long scan = HttpChars.scanLine(buffer, from, to);
                        int newline = -1;
                        int colon = -1;
                        for (int i = from; i < to; i++)
                        {
                            if (bytes[i] == '\n')
                            {
                                newline = i;
                                break;
                            }
                            if (bytes[i] == ':' && colon < 0)
                            {
                                colon = i;
                            }
                        }
                        final String where = "[" + from + ", " + to + ") of " + describe(bytes);
                        assertEquals(newline, HttpChars.newline(scan), "newline in " + where);
                        assertEquals(colon, HttpChars.colon(scan), "colon in " + where);
                    }
                }
            }
        }
    }

    @Test
    void shouldLowercaseAsciiLettersOnly()
    {
        for (int b = 0; b < 256; b++)
        {
            final long word = 0x4142434445464748L ^ ((long)b << 24) ^ b;
            long expected = 0;
            for (int k = 7; k >= 0; k--)
            {
                expected = (expected << 8) | (HttpChars.lower((byte)(word >>> (8 * k))) & 0xFF);
            }
            assertEquals(expected, HttpChars.lowerAscii(word), "word " + Long.toHexString(word));
        }
    }

    @Test
    void shouldLookUpNamesInAnyCaseWhateverTheirLengthAndWhereTheyLie()
    {
        final HeaderSelection selection =
            HeaderSelection.parse("accept,x-a,x-forwarded-for,a-very-long-selected-header-name-beyond-three-words");
        final HeaderNames names = new HeaderNames(selection);
        final HeaderNames all = new HeaderNames(HeaderSelection.ALL);
        final HeaderNames none = new HeaderNames(HeaderSelection.NONE);
        final List<String> probes = List.of(
            "Accept", "ACCEPT", "accepT", "Accept-Encoding", "Accep", "X-A", "x-b", "X-Forwarded-For", "x-forwarded-fo",
            "A-Very-Long-Selected-Header-Name-Beyond-Three-Words", "a-very-long-selected-header-name-beyond-three-wordz",
            "Host", "HOST", "Hosts", "Upgrade", "Connection", "User-Agent", "Content-Type", "Content-Length",
            "Content-Encoding", "Transfer-Encoding", "Sec-WebSocket-Extensions", "Authorization",
            "Proxy-Authorization", "Cookie", "Set-Cookie", "Set-Cookie2", "Content-Lengt\u00c8", "X",
            "content-length\u0000");
        for (final String probe : probes)
        {
            final String lower = probe.toLowerCase(Locale.ROOT);
            // The name and, as on the wire, what follows it: the lookup may read on to the limit only.
            for (final String line : List.of(probe, probe + ": v", probe + ":"))
            {
                final byte[] bytes = line.getBytes(StandardCharsets.ISO_8859_1);
                for (final DirectBuffer buffer : buffers(bytes))
                {
                    final int expectedKind = kind(lower);
                    final boolean sensitive =
                        List.of("authorization", "proxy-authorization", "cookie", "set-cookie").contains(lower);
                    final boolean selected = List.of("accept", "x-a", "x-forwarded-for",
                        "a-very-long-selected-header-name-beyond-three-words").contains(lower);
                    final int value = names.lookup(buffer, 0, probe.length(), bytes.length);
                    assertEquals(expectedKind, HeaderNames.kind(value), probe);
                    assertEquals(sensitive, (value & HeaderNames.SENSITIVE) != 0, probe);
                    assertEquals(selected, (value & HeaderNames.SELECTED) != 0, probe);
                    assertEquals(true, (all.lookup(buffer, 0, probe.length(), bytes.length) & HeaderNames.SELECTED) != 0);
                    assertEquals(false, (none.lookup(buffer, 0, probe.length(), bytes.length) & HeaderNames.SELECTED) != 0);
                    assertEquals(expectedKind, HeaderNames.kind(all.lookup(buffer, 0, probe.length(), bytes.length)));
                }
            }
        }
    }

    @Test
    void shouldStoreNamesLowercasedAndValuesAsTheyAreWhateverTheirLength()
    {
        final SplittableRandom random = new SplittableRandom(7);
        for (int length = 0; length <= 140; length++)
        {
            final byte[] bytes = new byte[length + 2];
            for (int i = 0; i < bytes.length; i++)
            {
                bytes[i] = ALPHABET[random.nextInt(ALPHABET.length)];
            }
            for (final DirectBuffer buffer : buffers(bytes))
            {
                // The name ends at the limit (nothing after it may be read) or two bytes before it.
                for (final int limit : new int[] {length, length + 2})
                {
                    final HttpTransaction tx = new HttpTransaction(4096, 8);
                    tx.append(new UnsafeBuffer(new byte[3]), 0, 3); // not at the store's start
                    final int nameAt = tx.appendLowercase(buffer, 0, length, limit);
                    final int valueAt = tx.appendValue(buffer, 0, length);
                    assertEquals(3 + 2 * length, tx.storeLength);
                    for (int i = 0; i < length; i++)
                    {
                        assertEquals(HttpChars.lower(bytes[i]), tx.store.getByte(nameAt + i), "name byte " + i + " of " + length);
                        assertEquals(bytes[i], tx.store.getByte(valueAt + i), "value byte " + i + " of " + length);
                    }
                }
            }
        }
    }

    private static int kind(final String lower)
    {
        return switch (lower)
        {
            case "host" -> HeaderNames.HOST;
            case "upgrade" -> HeaderNames.UPGRADE;
            case "connection" -> HeaderNames.CONNECTION;
            case "user-agent" -> HeaderNames.USER_AGENT;
            case "content-type" -> HeaderNames.CONTENT_TYPE;
            case "content-length" -> HeaderNames.CONTENT_LENGTH;
            case "content-encoding" -> HeaderNames.CONTENT_ENCODING;
            case "transfer-encoding" -> HeaderNames.TRANSFER_ENCODING;
            case "sec-websocket-extensions" -> HeaderNames.SEC_WEBSOCKET_EXTENSIONS;
            case "referer" -> HeaderNames.REFERER;
            case "x-request-id" -> HeaderNames.X_REQUEST_ID;
            case "authorization" -> HeaderNames.AUTHORIZATION;
            default -> HeaderNames.OTHER;
        };
    }

    /** The bytes in a heap buffer wrapped at an odd offset, and in a direct buffer of exactly their size. */
    private static List<DirectBuffer> buffers(final byte[] bytes)
    {
        final byte[] padded = new byte[bytes.length + 3];
        System.arraycopy(bytes, 0, padded, 3, bytes.length);
        final UnsafeBuffer heap = new UnsafeBuffer(padded, 3, bytes.length);
        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes.length));
        direct.putBytes(0, bytes);
        return List.of(heap, direct);
    }

    private static String describe(final byte[] bytes)
    {
        final StringBuilder text = new StringBuilder();
        for (final byte b : bytes)
        {
            text.append(b >= ' ' && b < 127 ? String.valueOf((char)b) : String.format("\\x%02x", b & 0xFF));
        }
        return text.toString();
    }
}
