package dev.httpcap.decoders.http;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.http.WebSocketTest.client;
import static dev.httpcap.decoders.http.WebSocketTest.concat;
import static dev.httpcap.decoders.http.WebSocketTest.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventIdTest
{
    private static final String GET = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private static final String UPGRADE = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    private static final String SWITCHING = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    @Test
    void shouldGiveEveryEventItsOwnIdAndTheSameOneWhenTheCaptureIsReadAgain()
    {
        final List<String> first = ids(1_700_000_000_000_000_000L);
        final List<String> again = ids(1_700_000_000_000_000_000L);
        assertEquals(8, first.size(), first.toString());
        assertEquals(first, again, "the same capture read twice");
        assertEquals(first.size(), new HashSet<>(first).size(), "ids are unique: " + first);
        for (final String id : first)
        {
            assertTrue(id.matches("[A-Za-z0-9_-]{22}"), id);
        }
        final List<String> later = ids(1_700_000_000_000_000_000L + 1);
        for (int i = 0; i < first.size(); i++)
        {
            assertNotEquals(first.get(i), later.get(i), "the same 4-tuple reused later is another connection");
        }
    }

    /** Three pipelined transactions, then an upgraded connection's five messages sent in one segment each way. */
    private static List<String> ids(final long start)
    {
        final HttpHarness http = new HttpHarness();
        http.now = start;
        http.client(GET + GET + GET).server(OK + OK + OK).end();
        final HttpHarness ws = new HttpHarness();
        ws.now = start;
        ws.client(UPGRADE).server(SWITCHING);
        ws.send(TcpFlow.FROM_CLIENT, concat(client(1, "a"), client(1, "a"), client(9, "")));
        ws.send(TcpFlow.FROM_SERVER, concat(server(1, "a"), server(1, "a")));
        ws.end();
        final List<String> ids = new ArrayList<>();
        for (final JsonNode event : http.events())
        {
            ids.add(event.at("/event/id").asText());
        }
        for (final JsonNode event : ws.wsEvents())
        {
            ids.add(event.at("/event/id").asText());
        }
        return ids;
    }
}
