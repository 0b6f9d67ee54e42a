package dev.httpcap.decoders.http;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.httpcap.decoders.tcp.TcpFlow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed, lenient and hostile HTTP: every transaction still gets its event (issue 15). */
class MalformedHttpTest
{
    private static final String BAD_REQUEST =
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope\n";
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @Test
    void shouldReportABadFirstRequestLineAndItsResponseOnAnHttpPort()
    {
        // Each line a peer's test suite sends first; the server's 400 must be reported with it.
        final String[][] cases = {
            {"OPTIONS HTTP/1.1", "OPTIONS", null},
            {"GET / HTTP/1.", "GET", "/"},
            {"GET/ HTTP/1.1", null, null},
            {"GET HTTP/1.1", "GET", null},
            {"\u00c3\u00a9\u00c3\u00a9 / HTTP/1.1", null, null},
        };
        for (final String[] c : cases)
        {
            final HttpHarness h = new HttpHarness().client(c[0] + "\r\nHost: a\r\n\r\n").server(BAD_REQUEST).end();
            final JsonNode e = h.only();
            assertEquals(400, e.at("/http/response/status_code").asInt(), c[0]);
            assertTrue(HttpHarness.tags(e).contains("parse_error"), c[0] + ": " + e);
            assertFalse(HttpHarness.tags(e).contains("no_response"), c[0] + ": " + e);
            assertEquals(c[1] == null ? "" : c[1], e.at("/http/request/method").asText(""), c[0]);
            assertEquals(c[2] == null ? "" : c[2], e.at("/url/original").asText(""), c[0]);
            // The raw line as the wire had it (these bytes are UTF-8).
            assertEquals(new String(c[0].getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8),
                e.at("/httpcap/request_line").asText(), c[0]);
            assertEquals(0, h.decoder.counters().get(HttpCounters.Name.NOT_HTTP), c[0]);
            assertEquals(1, h.decoder.counters().get(HttpCounters.Name.PARSE_ERRORS), c[0]);
            h.assertNoLeaks();
        }
    }

    @Test
    void shouldFindARequestLineBehindJunkAndResynchroniseAfterABadOne()
    {
        final HttpHarness h = new HttpHarness()
            .client("\u0001\u0002\u0003\u0004GET /txt HTTP/1.1\r\nHost: a\r\n\r\n").server(OK)
            .client("BREW /pot HTCPCP/1.0\r\n\r\n").server(BAD_REQUEST.replace("Connection: close\r\n", ""))
            .client("GET /after HTTP/1.1\r\n\r\n").server(OK)
            .end();
        assertEquals(List.of(
            "GET /txt 200 1 [parse_error]",
            "BREW /pot 400 2 [parse_error]",
            "GET /after 200 3 []"), h.summary());
        h.assertNoLeaks();
    }

    @Test
    void shouldStillDropAConnectionWhoseServerDoesNotSpeakHttp()
    {
        // TLS on port 80: the client's hello is a bad request only until the server answers in TLS.
        final HttpHarness tls = new HttpHarness()
            .client("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003")
            .server("\u0016\u0003\u0003\u0000\u007a\u0002\u0000\u0000\u0076")
            .end();
        assertEquals(0, tls.json.size());
        assertEquals(1, tls.decoder.counters().get(HttpCounters.Name.NOT_HTTP));
        assertEquals(0, tls.decoder.counters().get(HttpCounters.Name.CONNECTIONS));
        tls.assertNoLeaks();
    }

    @Test
    void shouldReportHttp09SimpleRequestsWithTheirBareResponse()
    {
        final HttpHarness h = new HttpHarness()
            .client("GET /old/page.html\r\n")
            .server("<html>hello from 1991</html>\n")
            .end();
        final JsonNode e = h.only();
        assertEquals("0.9", e.at("/http/version").asText());
        assertEquals("GET", e.at("/http/request/method").asText());
        assertEquals("/old/page.html", e.at("/url/original").asText());
        assertEquals(29, e.at("/http/response/body/bytes").asLong());
        assertTrue(e.at("/http/response/status_code").isMissingNode(), e.toString());
        assertEquals(List.of(), HttpHarness.tags(e));
        assertEquals(0, h.decoder.counters().get(HttpCounters.Name.PARSE_ERRORS));
        h.assertNoLeaks();
    }

    @Test
    void shouldAcceptAVersionInAnyCaseAsADeviation()
    {
        final HttpHarness h = new HttpHarness()
            .client("GET /a HTTP/1.1\r\n\r\n").server("http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .client("GET /b Http/1.0\r\n\r\n").server(OK)
            .end();
        assertEquals(List.of("GET /a 200 1 [protocol_deviation]", "GET /b 200 2 [protocol_deviation]"), h.summary());
        assertEquals("1.1", h.events().get(0).at("/http/version").asText());
        assertEquals("1.0", h.events().get(1).at("/http/version").asText());

        // The first line of a connection, too.
        final HttpHarness first = new HttpHarness(new HttpConfig(), false, 9999)
            .client("GET / HTTP/1.1\r\n\r\n").server("hTTp/1.1 204 No Content\r\n\r\n").end();
        assertEquals(List.of("GET / 204 1 [protocol_deviation]"), first.summary());
    }

    @Test
    void shouldCountAnEndlessRequestLineAsAParseErrorAndReportItsResponse()
    {
        final HttpConfig config = new HttpConfig();
        final HttpHarness h = new HttpHarness(config).client("GET /");
        final String chunk = "a".repeat(64 * 1024);
        for (int i = 0; i < 64; i++)
        {
            h.client(chunk); // 4 MiB of target, no end in sight
        }
        h.server("HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\n\r\n");
        assertEquals(1, h.json.size(), "the 414 pairs with the cut request at once");
        final JsonNode e = h.only();
        assertEquals(414, e.at("/http/response/status_code").asInt());
        assertEquals("GET", e.at("/http/request/method").asText());
        assertTrue(HttpHarness.tags(e).contains("parse_error"), e.toString());
        assertEquals(config.maxLineBytes() - 4, e.at("/url/original").asText().length());
        assertEquals(1, h.decoder.counters().get(HttpCounters.Name.REQUESTS));
        assertEquals(1, h.decoder.counters().get(HttpCounters.Name.PARSE_ERRORS));
        assertEquals(0, h.decoder.counters().get(HttpCounters.Name.ORPHAN_RESPONSES));
        h.client("a".repeat(1000) + " HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n").server(OK).end();
        assertEquals("GET /next 200 2 []", h.summary().get(1));
        h.assertNoLeaks();
    }

    @Test
    void shouldReadAContentLengthWithLeadingZerosByItsValue()
    {
        final String smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\nX: " + "x".repeat(10) + "\r\n\r\n";
        assertEquals(50, smuggled.length());
        final HttpHarness h = new HttpHarness()
            .client("POST /outer HTTP/1.1\r\nHost: a\r\nContent-Length: 00000000000000000000000000000050\r\n\r\n" + smuggled)
            .server(OK)
            .client("GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
            .server(OK)
            .end();
        assertEquals(List.of("POST /outer 200 1 []", "GET /next 200 2 []"), h.summary());
        assertEquals(50, h.events().get(0).at("/http/request/body/bytes").asLong());
        assertEquals(0, h.decoder.counters().get(HttpCounters.Name.PARSE_ERRORS));

        // Twenty significant digits are still too many.
        final HttpHarness tooBig = new HttpHarness()
            .client("POST /big HTTP/1.1\r\nContent-Length: 00012345678901234567890\r\n\r\n").end();
        assertEquals(List.of("POST /big - 1 [parse_error, no_response]"), tooBig.summary());
    }

    @Test
    void shouldReportEveryConnectionWhenTheLineBuffersRunDry()
    {
        // 6,000 connections whose request and status lines are cut by a segment boundary, all at
        // once, with buffers for 1,000 lines: none may vanish.
        final int connections = 6_000;
        final HttpConfig config = new HttpConfig().lineBuffers(1_000);
        final HttpHarness h = HttpHarness.withFlows(config, connections + 1);
        final TcpFlow[] flows = new TcpFlow[connections];
        for (int i = 0; i < connections; i++)
        {
            flows[i] = h.newFlow(10_000 + i, false);
            h.send(flows[i], TcpFlow.FROM_CLIENT, "GET /item/" + i);
        }
        for (int i = 0; i < connections; i++)
        {
            h.send(flows[i], TcpFlow.FROM_CLIENT, " HTTP/1.1\r\nHost: a\r\n\r\n");
            h.send(flows[i], TcpFlow.FROM_SERVER, "HTTP/1.1 20");
        }
        for (int i = 0; i < connections; i++)
        {
            h.send(flows[i], TcpFlow.FROM_SERVER, "0 OK\r\nContent-Length: 2\r\n\r\nok");
            h.end(flows[i], false);
        }
        assertEquals(connections, h.json.size());
        assertEquals(0, h.decoder.counters().get(HttpCounters.Name.NOT_HTTP));
        int overloaded = 0;
        int whole = 0;
        for (final JsonNode e : h.events())
        {
            final List<String> tags = HttpHarness.tags(e);
            assertFalse(tags.contains("no_response"), e.toString());
            assertEquals(2, e.at("/http/response/body/bytes").asLong(), e.toString());
            if (tags.contains("decoder_overload"))
            {
                overloaded++;
            }
            else
            {
                assertEquals(List.of(), tags);
                assertEquals(200, e.at("/http/response/status_code").asInt());
                assertTrue(e.at("/url/original").asText().startsWith("/item/"), e.toString());
                whole++;
            }
        }
        assertEquals(1_000, whole, "the first 1,000 lines had buffers");
        assertEquals(connections - 1_000, overloaded);
        assertTrue(h.decoder.counters().get(HttpCounters.Name.LINE_BUFFERS_EXHAUSTED) >= connections - 1_000);
        h.assertNoLeaks();
    }

    @Test
    void shouldReportDeeplyPipelinedRequestsThatOutgrowTheirQueueAndThePool()
    {
        // 200 connections x 100 pipelined requests, never answered: 20,000 events, though the
        // queue holds 64 requests and the worker's pool 1,000 transactions.
        final int connections = 200;
        final HttpConfig config = new HttpConfig().maxPipelined(64).maxTransactions(1_000);
        final HttpHarness h = HttpHarness.withFlows(config, connections + 1);
        final TcpFlow[] flows = new TcpFlow[connections];
        for (int i = 0; i < connections; i++)
        {
            flows[i] = h.newFlow(10_000 + i, false);
        }
        for (int r = 0; r < 100; r++)
        {
            for (int i = 0; i < connections; i++)
            {
                h.send(flows[i], TcpFlow.FROM_CLIENT, "GET /" + r + " HTTP/1.1\r\nHost: c" + i + "\r\n\r\n");
            }
        }
        for (int i = 0; i < connections; i++)
        {
            h.end(flows[i], false);
        }
        assertEquals(connections * 100L, h.decoder.counters().get(HttpCounters.Name.REQUESTS));
        assertEquals(connections * 100, h.json.size());
        assertTrue(h.decoder.transactionsInUse() == 0);
        int overflowed = 0;
        for (final JsonNode e : h.events())
        {
            final List<String> tags = HttpHarness.tags(e);
            assertTrue(tags.contains("no_response"), e.toString());
            if (tags.contains("pipeline_overflow") || tags.contains("decoder_overload"))
            {
                overflowed++;
            }
        }
        assertTrue(overflowed >= connections * 36, "the queue holds 64 of each connection's 100: " + overflowed);
        assertTrue(h.decoder.counters().get(HttpCounters.Name.TRANSACTIONS_EXHAUSTED) > 0);
        h.assertNoLeaks();
    }

    @Test
    void shouldRedactASensitiveNameWhateverNonTokenBytesFollowIt()
    {
        final String[] sensitive = {"Cookie", "Set-Cookie", "Authorization", "Proxy-Authorization"};
        for (final HeaderSelection selection : new HeaderSelection[] {HeaderSelection.ALL, HeaderSelection.DEFAULT})
        {
            for (final String name : sensitive)
            {
                for (int b = 0; b < 256; b++)
                {
                    if (b == ':' || b == '\n' || HttpChars.isTokenChar(b))
                    {
                        continue; // the end of the name or line, or a longer (other) name
                    }
                    for (final String junk : new String[] {String.valueOf((char)b), (char)b + "\u0000", (char)b + ";"})
                    {
                        final String field = name + junk + ": secret-" + b + "\r\n";
                        final boolean response = name.startsWith("Set");
                        final HttpHarness h = new HttpHarness(new HttpConfig().headers(selection))
                            .client("GET / HTTP/1.1\r\nHost: a\r\n" + (response ? "" : field) + "\r\n")
                            .server("HTTP/1.1 200 OK\r\n" + (response ? field : "") + "Content-Length: 0\r\n\r\n")
                            .end();
                        final String event = h.json.get(0);
                        assertFalse(event.contains("secret-"), () -> "byte " + junk.chars().boxed().toList() + " after " + name
                            + " leaks: " + event);
                        if (selection == HeaderSelection.ALL)
                        {
                            assertTrue(event.contains("[redacted]"), event);
                        }
                    }
                }
            }
        }
        // Redaction off: the same field is kept as sent.
        final HttpHarness kept = new HttpHarness(new HttpConfig().headers(HeaderSelection.ALL).redact(false))
            .client("GET / HTTP/1.1\r\nCookie\u0000: secret\r\n\r\n").end();
        assertTrue(kept.json.get(0).contains("secret"), kept.json.get(0));
    }
}
