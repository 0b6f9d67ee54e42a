package dev.httpcap.decoders.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.httpcap.decoders.tcp.TcpFlow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebSocketTest
{
    private static final String UPGRADE = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    private static final String SWITCHING = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    private static final byte[] MASK = {0x37, (byte)0xFA, 0x21, 0x3D};

    static byte[] frame(final boolean fin, final int opcode, final boolean masked, final byte[] payload, final boolean rsv1)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
        final int maskBit = masked ? 0x80 : 0;
        if (payload.length < 126)
        {
            out.write(maskBit | payload.length);
        }
        else if (payload.length < 65_536)
        {
            out.write(maskBit | 126);
            out.write(payload.length >> 8);
            out.write(payload.length);
        }
        else
        {
            out.write(maskBit | 127);
            for (int i = 7; i >= 0; i--)
            {
                out.write((int)((long)payload.length >> (8 * i)));
            }
        }
        if (masked)
        {
            out.writeBytes(MASK);
        }
        for (int i = 0; i < payload.length; i++)
        {
            out.write(masked ? payload[i] ^ MASK[i & 3] : payload[i]);
        }
        return out.toByteArray();
    }

    static byte[] client(final int opcode, final String text)
    {
        return frame(true, opcode, true, text.getBytes(StandardCharsets.UTF_8), false);
    }

    static byte[] server(final int opcode, final String text)
    {
        return frame(true, opcode, false, text.getBytes(StandardCharsets.UTF_8), false);
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static HttpHarness upgraded(final HttpConfig config)
    {
        return new HttpHarness(config).client(UPGRADE).server(SWITCHING);
    }

    @Test
    void shouldEmitEachMessageWithDirectionOpcodeSizeAndText()
    {
        final byte[] big = new byte[70_000];
        Arrays.fill(big, (byte)'b');
        final String medium = "m".repeat(300);
        final HttpHarness h = upgraded(new HttpConfig().wsPayloadBytes(1000));
        h.send(TcpFlow.FROM_CLIENT, concat(client(1, "hello"), client(1, medium), frame(true, 2, true, big, false)));
        h.send(TcpFlow.FROM_SERVER, concat(server(1, "héllo ✓"), server(2, "\u0000\u0001"), server(9, "")));
        h.end();
        assertEquals(List.of("GET /chat 101 1 []"), h.summary());
        final JsonNode handshake = h.only();
        assertEquals("dGhlIHNhbXBsZSBub25jZQ==", handshake.at("/http/request/headers/sec-websocket-key").asText());
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", handshake.at("/http/response/headers/sec-websocket-accept").asText());
        assertEquals(List.of(
            "client text 5 'hello' []",
            "client text 300 '" + medium + "' []",
            "client binary 70000 []",
            "server text 10 'héllo ✓' []",
            "server binary 2 []",
            "server ping 0 []"), h.wsSummary());
        final JsonNode first = h.wsEvents().get(0);
        assertEquals("websocket", first.at("/event/dataset").asText());
        assertEquals(1, first.at("/httpcap/trans_depth").asInt());
        assertEquals("10.0.0.1", first.at("/source/ip").asText());
        assertEquals(false, first.at("/websocket/compressed").asBoolean());
        assertTrue(h.wsText.get(0).endsWith("websocket client text 5 bytes \"hello\""), h.wsText.get(0));
        h.assertNoLeaks();
    }

    @Test
    void shouldReassembleFragmentsAroundInterleavedControlFramesWhateverTheSplit()
    {
        final byte[] stream = concat(
            frame(false, 1, true, "Hel".getBytes(StandardCharsets.UTF_8), false),
            frame(true, 9, true, "are you there".getBytes(StandardCharsets.UTF_8), false),
            frame(false, 0, true, "lo, ".getBytes(StandardCharsets.UTF_8), false),
            frame(true, 0, true, "world".getBytes(StandardCharsets.UTF_8), false),
            frame(true, 8, true, concat(new byte[] {0x03, (byte)0xE8}, "bye".getBytes(StandardCharsets.UTF_8)), false));
        final byte[] answer = concat(server(10, "are you there"), frame(true, 8, false, new byte[] {0x03, (byte)0xE8}, false));
        final List<String> expected = List.of(
            "client ping 13 []", "client text 12 'Hello, world' []", "client close 5 1000 'bye' []",
            "server pong 13 []", "server close 2 1000 []");
        for (int split = 0; split <= stream.length; split++)
        {
            final HttpHarness h = upgraded(new HttpConfig());
            h.send(TcpFlow.FROM_CLIENT, stream, 0, split);
            h.send(TcpFlow.FROM_CLIENT, stream, split, stream.length - split);
            final int answerSplit = Math.min(split, answer.length);
            h.send(TcpFlow.FROM_SERVER, answer, 0, answerSplit);
            h.send(TcpFlow.FROM_SERVER, answer, answerSplit, answer.length - answerSplit);
            h.end();
            assertEquals(expected, h.wsSummary(), "split at " + split);
            assertEquals(3, h.wsEvents().get(1).at("/websocket/frames").asInt());
        }
        final HttpHarness bytewise = upgraded(new HttpConfig());
        for (int i = 0; i < stream.length; i++)
        {
            bytewise.send(TcpFlow.FROM_CLIENT, stream, i, 1);
        }
        bytewise.send(TcpFlow.FROM_SERVER, answer).end();
        assertEquals(expected, bytewise.wsSummary());
    }

    @Test
    void shouldCutTextOnACharacterBoundary()
    {
        final HttpHarness h = upgraded(new HttpConfig().wsPayloadBytes(4));
        h.send(TcpFlow.FROM_CLIENT, client(1, "aé✓b")).end();
        assertEquals(List.of("client text 7 'aé' []"), h.wsSummary());
    }

    @Test
    void shouldStopAtAnInvalidFrameAndTagIt()
    {
        final byte[][] invalid = {
            frame(true, 3, true, new byte[1], false),                    // reserved opcode
            frame(true, 9, true, new byte[126], false),                 // control frame too long
            frame(false, 9, true, new byte[1], false),                  // fragmented control frame
            frame(true, 0, true, new byte[1], false),                   // continuation of nothing
            frame(true, 1, true, new byte[1], true),                    // RSV1 without an extension
            {(byte)0x82, (byte)(0x80 | 127), (byte)0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}, // 64-bit length overflow
        };
        for (int i = 0; i < invalid.length; i++)
        {
            final HttpHarness h = upgraded(new HttpConfig());
            h.send(TcpFlow.FROM_CLIENT, concat(client(1, "ok"), invalid[i], client(1, "never seen")));
            h.send(TcpFlow.FROM_SERVER, server(1, "still fine"));
            h.end();
            final List<String> summary = h.wsSummary();
            assertEquals(3, summary.size(), "case " + i + ": " + summary);
            assertEquals("client text 2 'ok' []", summary.get(0), "case " + i);
            assertTrue(summary.get(1).startsWith("client ") && summary.get(1).endsWith("[parse_error]"), "case " + i + ": " + summary);
            assertEquals("server text 10 'still fine' []", summary.get(2), "the other direction goes on; case " + i);
            assertEquals(1, h.decoder.counters().get(HttpCounters.Name.WEBSOCKET_PARSE_ERRORS));
            final JsonNode bad = h.wsEvents().get(1).get("websocket");
            assertTrue(bad.at("/payload/bytes").asLong() >= 0, "case " + i + ": " + bad);
            assertEquals(1, bad.get("frames").asInt(), "case " + i + ": " + bad);
            h.assertNoLeaks();
        }
    }

    @Test
    void shouldGoOnDecodingFramesMaskedTheWrongWayAndTagThem()
    {
        // Clients must mask and servers must not; a server that accepts an unmasked client frame
        // (or a client a masked server frame) goes on, and so do we.
        final HttpHarness h = upgraded(new HttpConfig());
        h.send(TcpFlow.FROM_CLIENT, concat(client(1, "ok"), frame(true, 1, false, "unmasked".getBytes(StandardCharsets.UTF_8), false),
            client(1, "after")));
        h.send(TcpFlow.FROM_SERVER, concat(frame(true, 1, true, "masked".getBytes(StandardCharsets.UTF_8), false),
            server(1, "fine")));
        h.end();
        assertEquals(List.of(
            "client text 2 'ok' []",
            "client text 8 'unmasked' [protocol_deviation]",
            "client text 5 'after' []",
            "server text 6 'masked' [protocol_deviation]",
            "server text 4 'fine' []"), h.wsSummary());
        assertEquals(0, h.decoder.counters().get(HttpCounters.Name.WEBSOCKET_PARSE_ERRORS));
        h.assertNoLeaks();
    }

    @Test
    void shouldSkipAGapInsideAPayloadAndStopAtOneElsewhere()
    {
        final byte[] big = frame(true, 2, false, new byte[3000], false);
        final HttpHarness h = upgraded(new HttpConfig());
        h.send(TcpFlow.FROM_SERVER, big, 0, 1000);
        h.gap(TcpFlow.FROM_SERVER, 1000);
        h.send(TcpFlow.FROM_SERVER, big, 2000, big.length - 2000);
        h.send(TcpFlow.FROM_SERVER, server(1, "after"));
        h.gap(TcpFlow.FROM_SERVER, 10);
        h.send(TcpFlow.FROM_SERVER, server(1, "lost"));
        h.end();
        assertEquals(List.of("server binary 3000 [gap]", "server text 5 'after' []"), h.wsSummary());
        assertEquals(1, h.decoder.counters().get(HttpCounters.Name.WEBSOCKET_GAPS));
    }

    @Test
    void shouldTagAMessageCutByTheEndOfTheConnection()
    {
        final byte[] f = client(1, "a long message");
        final HttpHarness h = upgraded(new HttpConfig());
        h.send(TcpFlow.FROM_CLIENT, f, 0, 8).end(true);
        // 2 header bytes, 4 mask bytes, then 2 of the 14 payload bytes before the reset.
        assertEquals(List.of("client text 2 'a ' [incomplete]"), h.wsSummary());
    }

    @Test
    void shouldInflatePermessageDeflateAcrossMessages()
    {
        final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        final HttpHarness h = new HttpHarness(new HttpConfig())
            .client(UPGRADE.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"))
            .server(SWITCHING.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"));
        final String first = "the quick brown fox jumps over the lazy dog";
        final String second = "the quick brown fox jumps over the lazy dog again";
        h.send(TcpFlow.FROM_SERVER, concat(
            frame(true, 1, false, compress(deflater, first), true),
            frame(true, 1, false, compress(deflater, second), true)));
        h.end();
        final List<JsonNode> events = h.wsEvents();
        assertEquals(2, events.size());
        assertEquals(first, events.get(0).at("/websocket/payload/text").asText());
        assertEquals(second, events.get(1).at("/websocket/payload/text").asText(), "the window carries over");
        assertTrue(events.get(1).at("/websocket/compressed").asBoolean());
        assertTrue(events.get(1).at("/websocket/payload/bytes").asInt() < second.length(), "back-reference into the window");
        assertEquals(second.length(), events.get(1).at("/websocket/payload/inflated_bytes").asInt());
        h.assertNoLeaks();
    }

    @Test
    void shouldNotDecodeFramesWhenTheUpgradeWasRefused()
    {
        final HttpHarness h = new HttpHarness().client(UPGRADE).server("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        h.send(TcpFlow.FROM_CLIENT, client(1, "x")).end();
        assertEquals(0, h.ws.size());
        assertEquals(List.of("GET /chat 400 1 []"), h.summary());
    }

    private static byte[] compress(final Deflater deflater, final String text)
    {
        deflater.setInput(text.getBytes(StandardCharsets.UTF_8));
        final byte[] buffer = new byte[1024];
        final int n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
        // RFC 7692: drop the 00 00 ff ff tail of the sync flush.
        return Arrays.copyOf(buffer, n - 4);
    }
}
