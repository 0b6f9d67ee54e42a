package dev.httpcap.decoders.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.httpcap.decoders.event.HttpEventEncoder;
import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.http.HttpHarness.tags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the event shows of a body ({@code --body-bytes} counts decoded bytes; text, base64 or
 * either), and events too large for the hand-off cut to fit instead of dropped.
 */
class HttpEventEncoderTest
{
    private static final int LIMIT = 16 * 1024;

    private static byte[] gzip(final byte[] plain) throws Exception
    {
        final ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped))
        {
            gz.write(plain);
        }
        return zipped.toByteArray();
    }

    /** Words that do not repeat much: gzip gains little on them, so 64 compressed bytes hold far fewer than 64. */
    private static String text(final int length)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < length; i++)
        {
            sb.append(Integer.toString(i * 7919 % 10007, 36)).append(' ');
        }
        return sb.substring(0, length);
    }

    private static HttpHarness gzipExchange(final HttpConfig config, final byte[] plain) throws Exception
    {
        final byte[] body = gzip(plain);
        final HttpHarness h = new HttpHarness(config)
            .client("POST /p HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: " + body.length + "\r\n\r\n");
        h.send(TcpFlow.FROM_CLIENT, body);
        return h.server("HTTP/1.1 204 No Content\r\n\r\n").end();
    }

    @Test
    void shouldCountBodyBytesAfterDecodingWhenBodiesAreDecoded() throws Exception
    {
        final String plain = text(200);
        final JsonNode cut = gzipExchange(new HttpConfig().bodyBytes(64).decodeBody(true),
            plain.getBytes(StandardCharsets.US_ASCII)).only();
        assertEquals(plain.substring(0, 64), cut.at("/http/request/body/content").asText());
        assertEquals(List.of("body_truncated"), tags(cut));

        // A body whose gzip form is longer than the limit but whose text is not: shown whole, not cut.
        final String short50 = text(50);
        assertTrue(gzip(short50.getBytes(StandardCharsets.US_ASCII)).length > 64);
        final JsonNode whole = gzipExchange(new HttpConfig().bodyBytes(64).decodeBody(true),
            short50.getBytes(StandardCharsets.US_ASCII)).only();
        assertEquals(short50, whole.at("/http/request/body/content").asText());
        assertEquals(List.of(), tags(whole));
    }

    @Test
    void shouldStillCutBodiesThatAreNotDecodedAtTheLimit()
    {
        final String body = "0123456789".repeat(10);
        final HttpConfig config = new HttpConfig().bodyBytes(10).decodeBody(true);
        final JsonNode plain = new HttpHarness(config)
            .client("POST /p HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + body)
            .server("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 100\r\n\r\n" + body).end().only();
        assertEquals("0123456789", plain.at("/http/request/body/content").asText());
        assertEquals("0123456789", plain.at("/http/response/body/content").asText(), "br is not decoded: as captured");
        assertEquals(List.of("body_truncated"), tags(plain));
    }

    @Test
    void shouldWriteBodiesThatAreNotUtf8AsBase64ByDefault()
    {
        final byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++)
        {
            binary[i] = (byte)(0x80 + i); // not UTF-8 from the first byte
        }
        final String head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 256\r\n\r\n";
        final JsonNode auto = exchange(new HttpConfig().bodyBytes(1000), head, binary);
        assertEquals(Base64.getEncoder().encodeToString(binary), auto.at("/http/response/body/content_base64").asText());
        assertTrue(auto.at("/http/response/body/content").isMissingNode());
        assertEquals("hello", auto.at("/http/request/body/content").asText(), "text stays text");
        assertTrue(auto.at("/http/request/body/content_base64").isMissingNode());

        final JsonNode base64 = exchange(new HttpConfig().bodyBytes(1000).bodyEncoding(HttpConfig.BodyEncoding.BASE64),
            head, binary);
        assertEquals("aGVsbG8=", base64.at("/http/request/body/content_base64").asText());
        assertEquals(Base64.getEncoder().encodeToString(binary), base64.at("/http/response/body/content_base64").asText());

        final JsonNode text = exchange(new HttpConfig().bodyBytes(1000).bodyEncoding(HttpConfig.BodyEncoding.TEXT),
            head, binary);
        assertTrue(text.at("/http/response/body/content").asText().contains("\uFFFD"), "the old way: replacement characters");
        assertTrue(text.at("/http/response/body/content_base64").isMissingNode());

        // Cut inside a body: every length of the tail group of base64.
        for (int limit = 1; limit <= 7; limit++)
        {
            final JsonNode cut = exchange(new HttpConfig().bodyBytes(limit), head, binary);
            assertEquals(Base64.getEncoder().encodeToString(Arrays.copyOf(binary, limit)),
                cut.at("/http/response/body/content_base64").asText());
            assertTrue(tags(cut).contains("body_truncated"));
        }
    }

    @Test
    void shouldKeepTextCutInsideACharacterAsTextWithoutThatCharacter()
    {
        final byte[] body = "\u00e9".repeat(40).getBytes(StandardCharsets.UTF_8);
        final String head = "HTTP/1.1 200 OK\r\nContent-Length: 80\r\n\r\n";
        final JsonNode cut = exchange(new HttpConfig().bodyBytes(63), head, body);
        assertEquals("\u00e9".repeat(31), cut.at("/http/response/body/content").asText());
        final JsonNode whole = exchange(new HttpConfig().bodyBytes(80), head, body);
        assertEquals("\u00e9".repeat(40), whole.at("/http/response/body/content").asText());

        // A body that ends inside a character without being cut is not text.
        final byte[] broken = Arrays.copyOf(body, 79);
        final JsonNode odd = exchange(new HttpConfig().bodyBytes(100), "HTTP/1.1 200 OK\r\nContent-Length: 79\r\n\r\n", broken);
        assertEquals(Base64.getEncoder().encodeToString(broken), odd.at("/http/response/body/content_base64").asText());
    }

    private static JsonNode exchange(final HttpConfig config, final String head, final byte[] body)
    {
        final HttpHarness h = new HttpHarness(config)
            .client("POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello").server(head);
        h.send(TcpFlow.FROM_SERVER, body);
        return h.end().only();
    }

    // ---------------------------------------------------------------------------------------------
    // Events too large for the hand-off

    private static HttpHarness limited(final HttpConfig config, final int limit)
    {
        return new HttpHarness(config, false, 80, limit);
    }

    /** Every event of {@code h} (JSON and line) fits {@code limit}, near it, parses, and is tagged event_truncated. */
    private static JsonNode fitted(final HttpHarness h, final int limit)
    {
        return fitted(h, limit, true);
    }

    private static JsonNode fitted(final HttpHarness h, final int limit, final boolean nearLimit)
    {
        assertEquals(1, h.json.size());
        final String json = h.json.getFirst();
        final int length = json.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(length <= limit, "event of " + length + " bytes over the limit " + limit);
        assertTrue(!nearLimit || length > limit - 64, "cut to " + length + " bytes, far below the limit " + limit);
        assertTrue(h.text.getFirst().getBytes(StandardCharsets.UTF_8).length <= limit);
        final JsonNode e = h.only();
        assertTrue(tags(e).contains("event_truncated"), e.at("/tags").toString());
        return e;
    }

    @Test
    void shouldCutTheBodiesOfAnEventTooLargeForTheHandOffAndTagIt()
    {
        // A body of control characters is valid UTF-8, so text, and escaped six bytes for one.
        final byte[] body = new byte[180_000];
        Arrays.fill(body, (byte)1);
        final HttpHarness h = limited(new HttpConfig().bodyBytes(200_000), LIMIT)
            .client("GET /big HTTP/1.1\r\nHost: example.test\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 180000\r\n\r\n");
        h.send(TcpFlow.FROM_SERVER, body);
        h.end();
        final JsonNode e = fitted(h, LIMIT);
        final String content = e.at("/http/response/body/content").asText();
        assertTrue(content.length() > 2000 && content.chars().allMatch(c -> c == 1), "a prefix of the body");
        assertEquals(180_000, e.at("/http/response/body/bytes").asInt());
        assertEquals("example.test", e.at("/http/request/headers/host").asText(), "headers kept while bodies give room");
        assertEquals("text/plain", e.at("/http/response/headers/content-type").asText());
        assertEquals("/big", e.at("/url/original").asText());
        assertEquals(1, h.encoder.truncatedEvents());

        // 1.08 MB of escapes is over the default limit too.
        final HttpHarness d = new HttpHarness(new HttpConfig().bodyBytes(200_000))
            .client("GET /big HTTP/1.1\r\nHost: example.test\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 180000\r\n\r\n");
        d.send(TcpFlow.FROM_SERVER, body);
        d.end();
        fitted(d, HttpEventEncoder.DEFAULT_MAX_EVENT_BYTES);
    }

    @Test
    void shouldShareTheRoomBetweenBothBodiesKeepingTheShortOneWhole()
    {
        final String big = "q".repeat(50_000);
        final String small = "s".repeat(3_000);
        final HttpHarness h = limited(new HttpConfig().bodyBytes(100_000), LIMIT)
            .client("POST /p HTTP/1.1\r\nContent-Length: 50000\r\n\r\n" + big)
            .server("HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + small).end();
        final JsonNode e = fitted(h, LIMIT);
        assertEquals(small, e.at("/http/response/body/content").asText());
        assertTrue(big.startsWith(e.at("/http/request/body/content").asText()));
        assertTrue(e.at("/http/request/body/content").asText().length() > 10_000);
    }

    @Test
    void shouldCutHeaderValuesOnlyOnceTheBodiesAreGone()
    {
        final StringBuilder request = new StringBuilder("POST /keep?me=1 HTTP/1.1\r\nHost: example.test\r\nContent-Length: 20000\r\n");
        for (int i = 0; i < 10; i++)
        {
            request.append("X-Big-").append(i).append(": ").append(Character.toString('a' + i).repeat(3000)).append("\r\n");
        }
        request.append("X-Small: tiny\r\n\r\n").append("b".repeat(20_000));
        final HttpHarness h = limited(new HttpConfig().bodyBytes(100_000).headers(HeaderSelection.ALL).maxHeaderBytes(1 << 20), LIMIT)
            .client(request.toString()).server("HTTP/1.1 204 No Content\r\n\r\n").end();
        final JsonNode e = fitted(h, LIMIT);
        assertEquals("", e.at("/http/request/body/content").asText(), "the body gave up all its room");
        assertEquals("tiny", e.at("/http/request/headers/x-small").asText(), "short values stay whole");
        final int cut = e.at("/http/request/headers/x-big-0").asText().length();
        assertTrue(cut > 500 && cut < 3000, "cut to " + cut);
        for (int i = 0; i < 10; i++)
        {
            assertEquals(Character.toString('a' + i).repeat(cut), e.at("/http/request/headers/x-big-" + i).asText());
        }
        assertEquals("/keep?me=1", e.at("/url/original").asText());
        assertEquals("me=1", e.at("/url/query").asText());
    }

    @Test
    void shouldCutTheUrlLastAndTheReadableLineToo()
    {
        final String target = "/" + "\u0001".repeat(40_000);
        final HttpHarness h = limited(new HttpConfig().maxLineBytes(1 << 20).bodyBytes(1000), LIMIT)
            .client("POST " + target + " HTTP/1.1\r\nHost: example.test\r\nContent-Length: 4\r\n\r\nbody")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").end();
        final JsonNode e = fitted(h, LIMIT);
        assertEquals("", e.at("/http/request/body/content").asText());
        assertTrue(target.startsWith(e.at("/url/original").asText()));
        assertTrue(e.at("/url/original").asText().length() > 500);
        assertEquals("POST", e.at("/http/request/method").asText());
        final String line = h.text.getFirst();
        assertTrue(line.endsWith(" [event_truncated]"), line);
        assertTrue(line.getBytes(StandardCharsets.UTF_8).length > LIMIT - 64, "the line is cut near the limit too");
        assertFalse(line.contains("\u0001"), "escaped");
    }

    @Test
    void shouldLeaveTheHeadersOutWhenTheirNamesAloneDoNotFit()
    {
        final StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\n");
        for (int i = 0; i < 100; i++)
        {
            request.append("X-").append(String.valueOf((char)('a' + i % 26)).repeat(200)).append(i).append(": v\r\n");
        }
        request.append("\r\n");
        final HttpHarness h = limited(new HttpConfig().headers(HeaderSelection.ALL).maxHeaderBytes(1 << 20), LIMIT)
            .client(request.toString()).server("HTTP/1.1 204 No Content\r\n\r\n").end();
        final JsonNode e = fitted(h, LIMIT, false);
        assertTrue(e.at("/http/request/headers").isMissingNode());
        assertEquals(204, e.at("/http/response/status_code").asInt());
    }

    @Test
    void shouldCutAWebSocketMessageTooLargeForTheHandOff()
    {
        final byte[] payload = new byte[100_000];
        Arrays.fill(payload, (byte)'"');
        final HttpHarness h = limited(new HttpConfig().wsPayloadBytes(200_000), LIMIT)
            .client("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .server("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
        h.send(TcpFlow.FROM_SERVER, WebSocketTest.frame(true, 1, false, payload, false));
        final String json = h.ws.getFirst();
        assertTrue(json.length() <= LIMIT && json.length() > LIMIT - 64, json.length() + " bytes");
        final JsonNode e = h.wsEvents().getFirst();
        assertTrue(tags(e).contains("event_truncated"));
        final String text = e.at("/websocket/payload/text").asText();
        assertTrue(text.length() > 5000 && text.chars().allMatch(c -> c == '"'), "cut between escapes: " + text.length());
        assertEquals(100_000, e.at("/websocket/payload/bytes").asInt());
    }

    @Test
    void shouldNotTouchAnEventThatFits()
    {
        final HttpHarness h = limited(new HttpConfig().bodyBytes(100), LIMIT)
            .client("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").end();
        assertEquals(List.of(), tags(h.only()));
        assertEquals(0, h.encoder.truncatedEvents());
    }
}
