package dev.httpcap.decoders.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import dev.httpcap.decoders.tcp.TcpFlow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives the HTTP decoder with arbitrary streams — pieces of real messages (start lines, framing
 * headers, chunk lines, bodies) mixed with random bytes, cut into segments anywhere, with gaps,
 * FINs and resets, under tiny limits — and checks that it never throws, never reads outside the
 * segment it was given (the harness surrounds each segment with bytes that would show up), never
 * holds more line buffers or transactions than configured, returns all of them when the
 * connection ends, and always writes valid JSON.
 * <p>
 * {@code mvn test} replays saved inputs and runs the random-driven variant;
 * {@code JAZZER_FUZZ=1 mvn -pl decoders test -Dtest=HttpDecoderFuzzTest#fuzz} fuzzes, guided by coverage.
 */
class HttpDecoderFuzzTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String[] PIECES = {
        "GET / HTTP/1.1\r\n", "POST /p?q=1 HTTP/1.1\r\n", "HEAD /h HTTP/1.0\r\n", "CONNECT a:443 HTTP/1.1\r\n",
        "GET http://x.test:8/a#f HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 100 Continue\r\n", "HTTP/1.0 404 Nope\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n", "HTTP/1.1 204 No Content\r\n", "HTTP/1.1 304 Not Modified\r\n",
        "Host: a\r\n", "Content-Length: 5\r\n", "Content-Length: 0\r\n", "Content-Length: x\r\n",
        "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip\r\n", "Connection: Upgrade\r\n", "Upgrade: websocket\r\n",
        "Content-Encoding: gzip\r\n", "Authorization: secret\r\n", "X-Long: " + "v".repeat(90) + "\r\n", " folded\r\n",
        "\r\n", "\r\n", "\r\n", "5\r\n", "0\r\n", "a;ext=1\r\n", "zz\r\n", "hello", "\r\n0\r\n\r\n", "\n", "\r",
        "\u0000\u00ff\u00c3", "\u001f\u008b\u0008\u0000",
        // WebSocket frames (after a 101): masked and unmasked text, fragments, ping, close, 16/64-bit lengths, RSV1.
        "\u0081\u0085abcd\u0009\u0007\u000f\u0008\u000e", "\u0081\u0005hello", "\u0001\u0083abcdXYZ", "\u0080\u0001!",
        "\u0089\u0080abcd", "\u0088\u0082abcd\u0062\u008a", "\u0082\u007e\u0001\u0000", "\u0082\u007f\u0000\u0000\u0000\u0000\u0000\u0001\u0000\u0000",
        "\u00c1\u0007\u00f2\u0048\u00cd\u00c9\u00c9\u0007\u0000", "Sec-WebSocket-Extensions: permessage-deflate\r\n",
        // Malformed and lenient: bad request lines, HTTP/0.9, versions in lower case, padded lengths, odd names.
        "OPTIONS HTTP/1.1\r\n", "GET / HTTP/1.\r\n", "GET/ HTTP/1.1\r\n", "\u0001\u0002GET /j HTTP/1.1\r\n", "GET /old\r\n",
        "http/1.1 200 OK\r\n", "GET /l Http/1.1\r\n", "Content-Length: 000000000000000000005\r\n", "Cookie\u0000: c\r\n",
        "GET /" + "u".repeat(70),
    };

    /**
     * One run: {@code choices} supplies every decision, from Jazzer or from a seeded Random.
     *
     * @return events written cut to fit the (small) event limit.
     */
    interface Choices
    {
        int pick(int min, int max);

        boolean flip();

        byte[] bytes(int max);
    }

    static long run(final Choices choices)
    {
        final HttpConfig config = new HttpConfig()
            .maxLineBytes(64)
            .maxHeaderBytes(256)
            .maxHeaders(choices.pick(1, 6))
            .lineBuffers(choices.pick(1, 3))
            .lineBufferBytes(choices.pick(1, 200))
            .maxTransactions(choices.pick(1, 5))
            .maxPipelined(choices.pick(1, 4))
            .bodyBytes(choices.flip() ? 0 : choices.pick(1, 40))
            .decodeBody(choices.flip())
            .headers(choices.flip() ? HeaderSelection.ALL : HeaderSelection.DEFAULT)
            .probeBytes(choices.pick(0, 300))
            .wsPayloadBytes(choices.pick(0, 20))
            .wsInflaters(choices.pick(0, 1))
            .bodyEncoding(HttpConfig.BodyEncoding.values()[choices.pick(0, 2)]);
        // Small enough that many events must be cut to fit (some below what their fixed part takes).
        final int maxEventBytes = choices.pick(300, 3000);
        final HttpHarness h = new HttpHarness(config, choices.flip(), choices.flip() ? 80 : 9999, maxEventBytes);
        final byte[][] streams = {stream(choices), stream(choices)};
        final int[] position = new int[2];
        final boolean[] ended = new boolean[2];
        try
        {
            final int steps = choices.pick(0, 40);
            for (int i = 0; i < steps; i++)
            {
                final int d = choices.flip() ? TcpFlow.FROM_CLIENT : TcpFlow.FROM_SERVER;
                if (ended[d])
                {
                    continue;
                }
                final int action = choices.pick(0, 19);
                final int left = streams[d].length - position[d];
                if (action == 0)
                {
                    h.gap(d, choices.pick(1, 300));
                }
                else if (action == 1)
                {
                    h.decoder.onEnd(h.flow, d, choices.flip(), h.now);
                    ended[d] = true;
                }
                else if (left > 0)
                {
                    final int n = choices.pick(1, left);
                    h.send(d, streams[d], position[d], n);
                    position[d] += n;
                }
                assertTrue(h.decoder.lineBuffersInUse() <= config.lineBuffers(), "line buffers over the limit");
                // A connection holding none may take a request's and a response's beyond the limit.
                assertTrue(h.decoder.transactionsInUse() <= config.maxTransactions() + 2, "transactions over the limit");
                assertTrue(h.decoder.inflatersInUse() <= config.wsInflaters(), "inflaters over the limit");
            }
            h.end(choices.flip());
            h.assertNoLeaks();
        }
        catch (final RuntimeException | AssertionError ex)
        {
            throw new AssertionError("streams: " + escape(streams[0]) + " / " + escape(streams[1]), ex);
        }
        for (final String line : h.ws)
        {
            try
            {
                MAPPER.readTree(line);
            }
            catch (final Exception ex)
            {
                throw new AssertionError("invalid JSON: " + line, ex);
            }
        }
        for (final String line : h.json)
        {
            try
            {
                MAPPER.readTree(line);
            }
            catch (final Exception ex)
            {
                throw new AssertionError("invalid JSON: " + line, ex);
            }
            assertTrue(line.getBytes(StandardCharsets.UTF_8).length <= maxEventBytes || line.contains("\"event_truncated\""),
                () -> "over " + maxEventBytes + " bytes and not cut: " + line);
        }
        assertEquals(h.json.size(), h.decoder.counters().get(HttpCounters.Name.TRANSACTIONS));
        return h.encoder.truncatedEvents();
    }

    private static byte[] stream(final Choices choices)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int pieces = choices.pick(0, 30);
        for (int i = 0; i < pieces; i++)
        {
            if (choices.pick(0, 9) == 0)
            {
                out.writeBytes(choices.bytes(40));
            }
            else
            {
                out.writeBytes(PIECES[choices.pick(0, PIECES.length - 1)].getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        return out.toByteArray();
    }

    private static String escape(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : bytes)
        {
            final int c = b & 0xFF;
            if (c >= 0x20 && c < 0x7F && c != '\\')
            {
                sb.append((char)c);
            }
            else
            {
                sb.append(String.format("\\x%02x", c));
            }
        }
        return sb.toString();
    }

    @FuzzTest(maxDuration = "30s")
    void fuzz(final FuzzedDataProvider data)
    {
        run(new Choices()
        {
            @Override
            public int pick(final int min, final int max)
            {
                return data.consumeInt(min, max);
            }

            @Override
            public boolean flip()
            {
                return data.consumeBoolean();
            }

            @Override
            public byte[] bytes(final int max)
            {
                return data.consumeBytes(max);
            }
        });
    }

    @Test
    void shouldSurviveRandomStreams()
    {
        long truncated = 0;
        for (long seed = 0; seed < 5_000; seed++)
        {
            final Random random = new Random(seed);
            truncated += run(new Choices()
            {
                @Override
                public int pick(final int min, final int max)
                {
                    return min + (int)(random.nextDouble() * ((long)max - min + 1));
                }

                @Override
                public boolean flip()
                {
                    return random.nextBoolean();
                }

                @Override
                public byte[] bytes(final int max)
                {
                    final byte[] b = new byte[random.nextInt(max + 1)];
                    random.nextBytes(b);
                    return b;
                }
            });
        }
        assertTrue(truncated > 100, "the runs cut events to fit: " + truncated);
    }
}
