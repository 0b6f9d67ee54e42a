package dev.httpcap.decoders.http;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.http.HttpHarness.tags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code httpcap.timing}: the handshake, upload, server and download times of each transaction, from
 * hand-made segments at chosen times, and which of them are left out when they cannot be known.
 */
class HttpTimingTest
{
    private static final long MS = 1_000_000;
    private static final String GET = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";

    /** The harness adds 1 ms before each segment; this makes the next one arrive at {@code ms} after its start. */
    private static HttpHarness at(final HttpHarness h, final long ms)
    {
        h.now = START + ms * MS - MS;
        return h;
    }

    private static final long START = new HttpHarness().now;

    private static long timing(final JsonNode event, final String name)
    {
        final JsonNode value = event.at("/httpcap/timing/" + name);
        return value.isMissingNode() ? -1 : value.asLong();
    }

    @Test
    void shouldSplitTheDurationIntoUploadServerAndDownload()
    {
        final HttpHarness h = new HttpHarness();
        final String post = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\n";
        at(h, 10).client(post);
        at(h, 13).client("abc");
        at(h, 17).client("def");
        at(h, 217).server(OK.substring(0, 20));
        at(h, 230).server(OK.substring(20));
        h.end();
        final JsonNode e = h.only();
        assertEquals(7 * MS, timing(e, "upload"), "first to last request byte");
        assertEquals(200 * MS, timing(e, "server"), "last request byte to first response byte");
        assertEquals(13 * MS, timing(e, "download"), "first to last response byte");
        assertEquals(e.at("/event/duration").asLong(), timing(e, "upload") + timing(e, "server") + timing(e, "download"));
        assertEquals(-1, timing(e, "handshake"), "no SYN-ACK and ACK were seen");
        assertEquals(List.of(), tags(e));
    }

    @Test
    void shouldGiveTheHandshakeToEveryTransactionOfTheConnection()
    {
        final HttpHarness h = new HttpHarness().handshake(3 * MS, 17 * MS);
        h.client(GET).server(OK).client(GET).server(OK).end();
        final List<JsonNode> events = h.events();
        assertEquals(2, events.size());
        for (final JsonNode e : events)
        {
            assertEquals(20 * MS, timing(e, "handshake"), e::toString);
        }
    }

    @Test
    void shouldLeaveTheHandshakeOutWhenTheCaptureBeganMidstream()
    {
        final HttpHarness h = new HttpHarness(new HttpConfig(), true, 80);
        // The end of a response the capture caught the tail of, then a whole exchange.
        at(h, 1).server("tail of an earlier body\r\n");
        at(h, 5).client(GET);
        at(h, 9).server(OK);
        h.end();
        final JsonNode e = h.only();
        assertTrue(tags(e).contains("midstream"), e::toString);
        assertEquals(-1, timing(e, "handshake"));
        assertEquals(0, timing(e, "upload"), "seen whole from its request line");
        assertEquals(4 * MS, timing(e, "server"));
        assertEquals(0, timing(e, "download"));
    }

    /** 100 Continue: the client's wait for it is upload; server time runs from the body's end to the final status line. */
    @Test
    void shouldTimeTheServerToTheFinalResponseNotTheInterimOne()
    {
        final HttpHarness h = new HttpHarness();
        at(h, 1).client("PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        at(h, 2).server("HTTP/1.1 100 Continue\r\n\r\n");
        at(h, 3).client("body");
        at(h, 50).server("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n");
        at(h, 52).server("ok");
        h.end();
        final JsonNode e = h.only();
        assertEquals(100, e.at("/httpcap/info_code").asInt());
        assertEquals(2 * MS, timing(e, "upload"));
        assertEquals(47 * MS, timing(e, "server"));
        assertEquals(2 * MS, timing(e, "download"));
        assertEquals(e.at("/event/duration").asLong(), timing(e, "upload") + timing(e, "server") + timing(e, "download"));

        // 103 Early Hints after the whole request: the hints are not the answer either.
        final HttpHarness hints = new HttpHarness();
        at(hints, 1).client(GET);
        at(hints, 4).server("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n");
        at(hints, 30).server(OK);
        hints.end();
        final JsonNode early = hints.only();
        assertEquals(103, early.at("/httpcap/info_code").asInt());
        assertEquals(29 * MS, timing(early, "server"));
        assertEquals(0, timing(early, "download"));
    }

    /** Pipelined requests: each one's server time runs from its own last byte, the wait behind earlier answers included. */
    @Test
    void shouldTimePipelinedRequestsEachFromItsOwnEnd()
    {
        final HttpHarness h = new HttpHarness();
        at(h, 1).client(GET + GET.replace("/a", "/b"));
        at(h, 5).server(OK);
        at(h, 8).server(OK.substring(0, 30));
        at(h, 9).server(OK.substring(30));
        h.end();
        final List<JsonNode> events = h.events();
        assertEquals(List.of("GET /a 200 1 []", "GET /b 200 2 []"), h.summary());
        assertEquals(0, timing(events.get(0), "upload"));
        assertEquals(4 * MS, timing(events.get(0), "server"));
        assertEquals(0, timing(events.get(0), "download"));
        assertEquals(0, timing(events.get(1), "upload"));
        assertEquals(7 * MS, timing(events.get(1), "server"));
        assertEquals(1 * MS, timing(events.get(1), "download"));
    }

    @Test
    void shouldLeaveOutWhatAGapInTheRequestBodyHides()
    {
        final HttpHarness h = new HttpHarness();
        at(h, 1).client("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\n\r\nab");
        h.gap(TcpFlow.FROM_CLIENT, 6); // the body's last bytes were never captured: its end is unknown
        at(h, 20).server(OK);
        h.end();
        final JsonNode e = h.only();
        assertTrue(tags(e).contains("gap"), e::toString);
        assertEquals(-1, timing(e, "upload"));
        assertEquals(-1, timing(e, "server"));
        assertEquals(0, timing(e, "download"), "the response was seen whole");
    }

    @Test
    void shouldLeaveOutTheDownloadWhenAGapHitTheResponse()
    {
        final HttpHarness h = new HttpHarness();
        at(h, 1).client(GET);
        at(h, 3).server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01");
        h.gap(TcpFlow.FROM_SERVER, 4);
        at(h, 9).server("6789");
        h.end();
        final JsonNode e = h.only();
        assertTrue(tags(e).contains("gap"), e::toString);
        assertEquals(0, timing(e, "upload"));
        assertEquals(2 * MS, timing(e, "server"), "the first response byte was seen");
        assertEquals(-1, timing(e, "download"));
    }

    /** After a loss on a pipelining connection the pairing is a guess: no server time between two messages that may not belong together. */
    @Test
    void shouldLeaveOutTheServerTimeOfAGuessedPairing()
    {
        final HttpHarness h = new HttpHarness();
        at(h, 1).client(GET + GET.replace("/a", "/b") + GET.replace("/a", "/c"));
        at(h, 2).server(OK);
        h.gap(TcpFlow.FROM_SERVER, 40); // the answer to /b, or part of it
        at(h, 6).server(OK);
        h.end();
        final List<JsonNode> events = h.events();
        assertEquals(3, events.size(), h.json::toString);
        assertEquals(1 * MS, timing(events.get(0), "server"));
        for (final JsonNode e : events.subList(1, 3))
        {
            if (tags(e).contains("gap"))
            {
                assertEquals(-1, timing(e, "server"), e::toString);
            }
        }
        assertTrue(events.stream().anyMatch(e -> tags(e).contains("gap") && e.at("/http/response/status_code").asInt() == 200),
            "the response after the loss was paired by a guess, tagged gap: " + h.json);
    }

    @Test
    void shouldLeaveOutServerAndDownloadWithoutAResponse()
    {
        final HttpHarness h = new HttpHarness();
        at(h, 1).client("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");
        at(h, 4).client("abc");
        h.end();
        final JsonNode e = h.only();
        assertTrue(tags(e).contains("no_response"), e::toString);
        assertEquals(3 * MS, timing(e, "upload"));
        assertEquals(-1, timing(e, "server"));
        assertEquals(-1, timing(e, "download"));
    }

    @Test
    void shouldLeaveOutTheDownloadOfAResponseCutByAReset()
    {
        final HttpHarness h = new HttpHarness();
        at(h, 1).client(GET);
        at(h, 3).server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
        h.end(true);
        final JsonNode e = h.only();
        assertTrue(tags(e).contains("incomplete"), e::toString);
        assertEquals(2 * MS, timing(e, "server"));
        assertEquals(-1, timing(e, "download"));

        // A body delimited by the close is whole when the connection ends with a FIN, cut when it is reset.
        final HttpHarness close = new HttpHarness();
        at(close, 1).client(GET);
        at(close, 3).server("HTTP/1.1 200 OK\r\n\r\nabc");
        at(close, 8).server("def");
        close.end(false);
        assertEquals(5 * MS, timing(close.only(), "download"));
        final HttpHarness reset = new HttpHarness();
        at(reset, 1).client(GET);
        at(reset, 3).server("HTTP/1.1 200 OK\r\n\r\nabc");
        reset.end(true);
        assertEquals(-1, timing(reset.only(), "download"));
    }

    /** A server that answers before the request's end (413 to a body still arriving) did not wait for it: no server time. */
    @Test
    void shouldLeaveOutTheServerTimeOfAnAnswerBeforeTheRequestEnded()
    {
        final HttpHarness h = new HttpHarness();
        at(h, 1).client("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc");
        at(h, 2).server("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n");
        at(h, 3).client("def");
        h.end();
        final JsonNode e = h.only();
        assertEquals(413, e.at("/http/response/status_code").asInt());
        assertEquals(2 * MS, timing(e, "upload"));
        assertEquals(-1, timing(e, "server"));
        assertEquals(0, timing(e, "download"));
    }

    @Test
    void shouldWriteNoTimingObjectWhenNothingIsKnown()
    {
        final HttpHarness h = new HttpHarness();
        at(h, 1).client("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 30\r\n\r\n");
        h.end(true);
        final JsonNode e = h.only();
        assertFalse(e.at("/httpcap").has("timing"), e::toString);
    }
}
