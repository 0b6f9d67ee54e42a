package dev.httpcap.decoders.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.http.HttpHarness.tags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpDecoderTest
{
    private static final String GET =
        "GET /search?q=a%20b HTTP/1.1\r\n" +
        "Host: example.test:8080\r\n" +
        "User-Agent: curl/8.5.0\r\n" +
        "Accept: */*\r\n" +
        "\r\n";
    private static final String OK =
        "HTTP/1.1 200 OK\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Length: 11\r\n" +
        "\r\n" +
        "hello world";

    @Test
    void shouldEmitOneEventPerTransactionWithTheSchemaFields()
    {
        final HttpHarness h = new HttpHarness().client(GET).server(OK).end();
        final JsonNode e = h.only();
        assertEquals("http", e.at("/event/dataset").asText());
        assertEquals("success", e.at("/event/outcome").asText());
        assertEquals(1_000_000, e.at("/event/duration").asLong(), "first request byte to last response byte");
        assertEquals("10.0.0.1", e.at("/source/ip").asText());
        assertEquals(40_000, e.at("/source/port").asInt());
        assertEquals(GET.length(), e.at("/source/bytes").asInt());
        assertEquals("10.0.0.2", e.at("/destination/ip").asText());
        assertEquals(OK.length(), e.at("/destination/bytes").asInt());
        assertEquals("tcp", e.at("/network/transport").asText());
        assertEquals("ipv4", e.at("/network/type").asText());
        assertTrue(e.at("/network/community_id").asText().startsWith("1:"));
        assertEquals("/search?q=a%20b", e.at("/url/original").asText());
        assertEquals("/search", e.at("/url/path").asText());
        assertEquals("q=a%20b", e.at("/url/query").asText());
        assertEquals("example.test", e.at("/url/domain").asText());
        assertEquals("curl/8.5.0", e.at("/user_agent/original").asText());
        assertEquals("1.1", e.at("/http/version").asText());
        assertEquals("GET", e.at("/http/request/method").asText());
        assertEquals(0, e.at("/http/request/body/bytes").asInt());
        assertEquals("example.test:8080", e.at("/http/request/headers/host").asText());
        assertEquals("*/*", e.at("/http/request/headers/accept").asText());
        assertEquals(200, e.at("/http/response/status_code").asInt());
        assertEquals("OK", e.at("/http/response/status_phrase").asText());
        assertTrue(e.at("/http/response/mime_type").isMissingNode(), "no body bytes captured: no type told from them");
        assertEquals(11, e.at("/http/response/body/bytes").asInt());
        assertEquals("11", e.at("/http/response/headers/content-length").asText());
        assertEquals(List.of(), tags(e));
        assertEquals(1, e.at("/httpcap/trans_depth").asInt());
        assertTrue(e.at("/httpcap/info_code").isMissingNode(), "no interim status: absent, not null");
        assertTrue(h.text.get(0).matches(
            "\\S+Z 10\\.0\\.0\\.1:40000 > 10\\.0\\.0\\.2:80 GET example\\.test:8080/search\\?q=a%20b 200 1\\.000ms \\d+/\\d+"),
            h.text.get(0));
        h.assertNoLeaks();
    }

    @Test
    void shouldGiveTheSameEventsWhateverTheSegmentBoundaries()
    {
        final String requests = GET +
            "POST /api/items HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\nX-Trailer: t\r\n\r\n" +
            "HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n";
        final String responses = OK +
            "HTTP/1.1 100 Continue\r\n\r\n" +
            "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n" +
            "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n";
        final HttpHarness whole = new HttpHarness().client(requests).server(responses).end();
        final List<String> expected = withoutTimes(whole.json);
        assertEquals(3, expected.size(), whole.json::toString);
        assertEquals(List.of("GET /search?q=a%20b 200 1 []", "POST /api/items 201 2 []", "HEAD /x 200 3 []"), whole.summary());
        assertEquals(100, whole.events().get(1).at("/httpcap/info_code").asInt());
        assertEquals(8, whole.events().get(1).at("/http/request/body/bytes").asInt());
        assertEquals(20, whole.events().get(1).at("/http/response/body/bytes").asInt());

        final byte[] c = requests.getBytes(StandardCharsets.ISO_8859_1);
        final byte[] s = responses.getBytes(StandardCharsets.ISO_8859_1);
        for (int split = 1; split < Math.max(c.length, s.length); split++)
        {
            final HttpHarness h = new HttpHarness();
            final int cs = Math.min(split, c.length);
            final int ss = Math.min(split, s.length);
            h.send(TcpFlow.FROM_CLIENT, c, 0, cs);
            h.send(TcpFlow.FROM_CLIENT, c, cs, c.length - cs);
            h.send(TcpFlow.FROM_SERVER, s, 0, ss);
            h.send(TcpFlow.FROM_SERVER, s, ss, s.length - ss);
            h.end();
            assertEquals(expected, withoutTimes(h.json), "split at " + split);
            h.assertNoLeaks();
        }
        final HttpHarness bytewise = new HttpHarness();
        for (int i = 0; i < c.length; i++)
        {
            bytewise.send(TcpFlow.FROM_CLIENT, c, i, 1);
        }
        for (int i = 0; i < s.length; i++)
        {
            bytewise.send(TcpFlow.FROM_SERVER, s, i, 1);
        }
        bytewise.end();
        assertEquals(expected, withoutTimes(bytewise.json));
        bytewise.assertNoLeaks();
    }

    @Test
    void shouldPairPipelinedRequestsInOrder()
    {
        final HttpHarness h = new HttpHarness()
            .client("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nBB")
            .server("HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n")
            .end();
        assertEquals(List.of("GET /1 200 1 []", "GET /2 404 2 []", "GET /3 302 3 []"), h.summary());
        assertEquals("failure", h.events().get(1).at("/event/outcome").asText());
        assertEquals("/x", h.events().get(2).at("/http/response/headers/location").asText());
    }

    @Test
    void shouldPairDeeplyPipelinedRequestsInOrderAsTheQueueGrows()
    {
        // 20 requests in flight: the connection's queue starts with 4 slots and doubles to 32.
        final int depth = 20;
        final StringBuilder requests = new StringBuilder();
        final StringBuilder responses = new StringBuilder();
        final List<String> expected = new ArrayList<>();
        for (int i = 1; i <= depth; i++)
        {
            requests.append("GET /").append(i).append(" HTTP/1.1\r\nHost: a\r\n\r\n");
            final int status = 400 + i;
            responses.append("HTTP/1.1 ").append(status).append(" X\r\nContent-Length: ").append(i % 3).append("\r\n\r\n")
                .append("ab", 0, i % 3);
            expected.add("GET /" + i + " " + status + " " + i + " []");
        }
        final HttpHarness h = new HttpHarness().client(requests.toString());
        assertEquals(0, h.json.size());
        // Answered in two halves, with more requests coming in between: the queue wraps.
        final String all = responses.toString();
        final int half = all.indexOf("HTTP/1.1 411");
        h.server(all.substring(0, half));
        assertEquals(10, h.json.size());
        h.client("GET /21 HTTP/1.1\r\nHost: a\r\n\r\n").server(all.substring(half))
            .server("HTTP/1.1 204 No Content\r\n\r\n").end();
        expected.add("GET /21 204 21 []");
        assertEquals(expected, h.summary());
        assertEquals(0, h.decoder.counters().get(HttpCounters.Name.PIPELINE_OVERFLOWS));
        h.assertNoLeaks();
    }

    @Test
    void shouldGiveUpTheOldestRequestWhenMoreThanTheLimitAreInFlight()
    {
        // maxPipelined 8: the 9th request in flight pushes the oldest out, unanswered.
        final StringBuilder requests = new StringBuilder();
        for (int i = 1; i <= 9; i++)
        {
            requests.append("GET /").append(i).append(" HTTP/1.1\r\nHost: a\r\n\r\n");
        }
        final HttpHarness h = new HttpHarness(new HttpConfig().maxPipelined(8)).client(requests.toString());
        assertEquals(List.of("GET /1 - 1 [no_response, pipeline_overflow]"), h.summary());
        assertEquals(1, h.decoder.counters().get(HttpCounters.Name.PIPELINE_OVERFLOWS));
        h.end();
        h.assertNoLeaks();
    }

    @Test
    void shouldEmitEachTransactionWhenItsResponseEndsNotWhenTheConnectionDoes()
    {
        final HttpHarness h = new HttpHarness().client(GET).server(OK);
        assertEquals(1, h.json.size());
        h.client(GET);
        assertEquals(1, h.json.size());
        h.server(OK);
        assertEquals(2, h.json.size());
        h.end();
        assertEquals(2, h.json.size());
    }

    @Test
    void shouldReportInterimResponsesAsInfoCode()
    {
        final HttpHarness h = new HttpHarness()
            .client("POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            .server("HTTP/1.1 100 Continue\r\n\r\n")
            .client("data")
            .server("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
            .client("GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .end();
        assertEquals(List.of("POST /upload 204 1 []", "GET /next 200 2 []"), h.summary());
        assertEquals(103, h.events().get(0).at("/httpcap/info_code").asInt());
        assertEquals(4, h.events().get(0).at("/http/request/body/bytes").asInt());
    }

    @Test
    void shouldExpectNoBodyAfterHeadOr204Or304()
    {
        final HttpHarness h = new HttpHarness()
            .client("HEAD /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\n\r\nGET /d HTTP/1.1\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")
            .server("HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\n\r\n")
            .server("HTTP/1.1 204 No Content\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .end();
        assertEquals(List.of("HEAD /a 200 1 []", "GET /b 304 2 []", "GET /c 204 3 []", "GET /d 200 4 []"), h.summary());
        assertEquals(0, h.events().get(0).at("/http/response/body/bytes").asInt());
    }

    @Test
    void shouldEndACloseDelimitedBodyWithTheConnection()
    {
        final HttpHarness h = new HttpHarness()
            .client("GET /old HTTP/1.0\r\n\r\n")
            .server("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>")
            .server("</html>");
        assertEquals(0, h.json.size());
        h.decoder.onEnd(h.flow, TcpFlow.FROM_SERVER, false, h.now + 5);
        assertEquals(1, h.json.size(), "emitted at the server's FIN");
        h.end();
        final JsonNode e = h.only();
        assertEquals(13, e.at("/http/response/body/bytes").asInt());
        assertEquals("1.0", e.at("/http/version").asText());
        assertEquals(List.of(), tags(e));
    }

    @Test
    void shouldTagACloseDelimitedBodyIncompleteWhenTheCloseIsNeverSeen()
    {
        // The capture (or the idle timeout) ends the connection's record before the server's FIN:
        // the body may have gone on, so the event is tagged and its download time is not given.
        final HttpHarness h = new HttpHarness()
            .client("GET /old HTTP/1.0\r\n\r\n")
            .server("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>");
        assertEquals(0, h.json.size());
        h.decoder.onFlowEnd(h.flow);
        final JsonNode e = h.only();
        assertEquals(6, e.at("/http/response/body/bytes").asInt());
        assertEquals(200, e.at("/http/response/status_code").asInt());
        assertEquals(List.of("incomplete"), tags(e));
        assertTrue(e.at("/httpcap/timing/download").isMissingNode(), e.toString());
    }

    @Test
    void shouldTreatTheBytesAfterAConnectOrUpgradeAsOpaque()
    {
        final HttpHarness connect = new HttpHarness()
            .client("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
            .server("HTTP/1.1 200 Connection Established\r\n\r\n")
            .client("\u0016\u0003\u0001 not http at all\r\n\r\n")
            .server("\u0016\u0003\u0003 GET / HTTP/1.1\r\n\r\n")
            .end();
        final JsonNode e = connect.only();
        assertEquals("CONNECT", e.at("/http/request/method").asText());
        assertEquals("example.test", e.at("/url/domain").asText());
        assertEquals(List.of(), tags(e));

        final HttpHarness upgrade = new HttpHarness()
            .client("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            .server("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            .client("\u0081\u0085abcdHELLO")
            .server("\u0081\u0002hi")
            .end();
        assertEquals(List.of("GET /chat 101 1 []"), upgrade.summary());
        upgrade.assertNoLeaks();
    }

    @Test
    void shouldGoOnWithHttpWhenAnUpgradeIsRefused()
    {
        final HttpHarness h = new HttpHarness()
            .client("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .client("GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .end();
        assertEquals(List.of("GET /chat 200 1 []", "GET /next 200 2 []"), h.summary());
    }

    @Test
    void shouldSplitAbsoluteFormTargets()
    {
        final HttpHarness h = new HttpHarness()
            .client("GET http://user:pw@proxy.example:3128/p/a?x=1#frag HTTP/1.1\r\nHost: other\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").end();
        final JsonNode url = h.only().get("url");
        assertEquals("proxy.example", url.get("domain").asText());
        assertEquals("/p/a", url.get("path").asText());
        assertEquals("x=1", url.get("query").asText());
        assertEquals("http", url.get("scheme").asText());
    }

    @Test
    void shouldSkipAGapInsideABodyOfKnownLengthAndCarryOn()
    {
        final HttpHarness h = new HttpHarness()
            .client(GET)
            .server("HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + "x".repeat(1000))
            .gap(TcpFlow.FROM_SERVER, 1000)
            .server("y".repeat(1000))
            .client("GET /after HTTP/1.1\r\n\r\n")
            .server(OK)
            .end();
        assertEquals(List.of("GET /search?q=a%20b 200 1 [gap]", "GET /after 200 2 []"), h.summary());
        assertEquals(3000, h.events().get(0).at("/http/response/body/bytes").asInt());
    }

    @Test
    void shouldResynchroniseAfterAGapInTheHeaders()
    {
        final HttpHarness h = new HttpHarness()
            .client("GET /one HTTP/1.1\r\nHost: a\r\nAcc")
            .gap(TcpFlow.FROM_CLIENT, 500)
            .client("ept: */*\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n")
            .server(OK)
            .server(OK)
            .end();
        assertEquals(List.of("GET /one 200 1 [gap]", "GET /two 200 2 []"), h.summary());
        h.assertNoLeaks();
    }

    @Test
    void shouldNotPairAResponseWithARequestLostInAGap()
    {
        // One request at a time: /1 answered, /2 and its response lost, /3 seen, then a response.
        final HttpHarness h = new HttpHarness()
            .client("GET /1 HTTP/1.1\r\n\r\n").server(OK)
            .client("GET /2 HTTP/1.1\r\n\r\n")
            .gap(TcpFlow.FROM_SERVER, 200)
            .client("GET /3 HTTP/1.1\r\n\r\n")
            .server(OK)
            .end();
        // /3's answer comes after the server's gap: it could as well answer a /4 lost on the
        // client's side whose gap shows only when the client sends again, so the pairing is a guess.
        assertEquals(List.of("GET /1 200 1 []", "GET /2 - 2 [gap, no_response]", "GET /3 200 3 [gap]"), h.summary());

        // The client's request was lost: the response to it must not be paired with the next one.
        final HttpHarness lost = new HttpHarness()
            .client("GET /1 HTTP/1.1\r\n\r\n").server(OK)
            .gap(TcpFlow.FROM_CLIENT, 50)
            .server(OK)
            .client("GET /3 HTTP/1.1\r\n\r\n")
            .server(OK)
            .end();
        assertEquals(List.of("GET /1 200 1 []", "- - 200 2 [gap]", "GET /3 200 3 []"), lost.summary());
    }

    @Test
    void shouldTagTransactionsWhoseDepthOrPairingIsAGuessWhenBothDirectionsLostBytes()
    {
        // /2 and its answer both lost: nothing tells a transaction is missing, so /3 is numbered 2
        // (and tagged once the second loss shows, while it still waits for its answer).
        final HttpHarness vanished = new HttpHarness()
            .client("GET /1 HTTP/1.1\r\n\r\n").server(OK)
            .gap(TcpFlow.FROM_CLIENT, 20)
            .client("GET /3 HTTP/1.1\r\n\r\n")
            .gap(TcpFlow.FROM_SERVER, 38)
            .server(OK)
            .client("GET /4 HTTP/1.1\r\n\r\n").server(OK)
            .end();
        assertEquals(List.of("GET /1 200 1 []", "GET /3 200 2 [gap, depth_guessed]", "GET /4 200 3 [depth_guessed]"), vanished.summary());
        vanished.assertNoLeaks();

        // /2's answer lost, then /3 lost: /3's answer comes before the client's gap shows, and is
        // paired with /2.
        final HttpHarness mispaired = new HttpHarness()
            .client("GET /1 HTTP/1.1\r\n\r\n").server(OK)
            .client("GET /2 HTTP/1.1\r\n\r\n")
            .gap(TcpFlow.FROM_SERVER, 38)
            .server("HTTP/1.1 204 No Content\r\n\r\n")
            .gap(TcpFlow.FROM_CLIENT, 20)
            .client("GET /4 HTTP/1.1\r\n\r\n").server(OK)
            .end();
        assertEquals(List.of("GET /1 200 1 []", "GET /2 204 2 [gap]", "GET /4 200 3 [depth_guessed]"), mispaired.summary());
        mispaired.assertNoLeaks();

        // Losses far apart cannot take one transaction whole: the depths stay trusted.
        final HttpHarness apart = new HttpHarness()
            .client("GET /1 HTTP/1.1\r\n\r\n").server(OK)
            .gap(TcpFlow.FROM_CLIENT, 20)
            .server(OK)
            .client("GET /3 HTTP/1.1\r\n\r\n").server(OK)
            .client("GET /4 HTTP/1.1\r\n\r\n")
            .gap(TcpFlow.FROM_SERVER, 38)
            .client("GET /5 HTTP/1.1\r\n\r\n").server(OK)
            .client("GET /6 HTTP/1.1\r\n\r\n").server(OK)
            .end();
        assertEquals(List.of("GET /1 200 1 []", "- - 200 2 [gap]", "GET /3 200 3 []", "GET /4 - 4 [gap, no_response]",
            "GET /5 200 5 [gap]", "GET /6 200 6 []"), apart.summary());
        apart.assertNoLeaks();
    }

    @Test
    void shouldFindTheFirstMessageBoundaryWhenTheCaptureStartsMidstream()
    {
        final HttpHarness h = new HttpHarness(new HttpConfig(), true, 80)
            .client("ncoding: gzip\r\n\r\n")
            .server("tail of a body\r\nHTTP/1.1 is not at the start of this line\r\n")
            .server(OK)
            .client(GET)
            .server(OK)
            .end();
        assertEquals(List.of("- - 200 1 [midstream]", "GET /search?q=a%20b 200 2 [midstream]"), h.summary());
    }

    @Test
    void shouldTagRequestsWithoutResponseAndCutMessages()
    {
        final HttpHarness noResponse = new HttpHarness().client(GET).end();
        assertEquals(List.of("GET /search?q=a%20b - 1 [no_response]"), noResponse.summary());
        assertEquals("unknown", noResponse.only().at("/event/outcome").asText());

        final HttpHarness cut = new HttpHarness()
            .client(GET).server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort").end(true);
        assertEquals(List.of("GET /search?q=a%20b 200 1 [incomplete]"), cut.summary());
        cut.assertNoLeaks();
    }

    @Test
    void shouldTagBrokenLimitsAndGrammarAndCarryOn()
    {
        final HttpConfig config = new HttpConfig().maxLineBytes(100).maxHeaders(3);
        final HttpHarness h = new HttpHarness(config)
            .client("GET /" + "a".repeat(200) + " HTTP/1.1\r\nHost: a\r\n\r\n")
            .client("GET /long-header HTTP/1.1\r\nX-Big: " + "b".repeat(300) + "\r\nHost: a\r\n\r\n")
            .client("GET /many HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n")
            .client("\u0000\u0001garbage\r\n")
            .client("GET /good HTTP/1.1\r\n\r\n")
            .end();
        final List<String> summary = h.summary();
        assertEquals("GET /" + "a".repeat(95) + " - 1 [parse_error, no_response]", summary.get(0));
        assertEquals(List.of(
            "GET /long-header - 2 [headers_truncated, no_response]",
            "GET /many - 3 [headers_truncated, no_response]",
            "- - - 4 [parse_error, no_response]",
            "GET /good - 5 [no_response]"), summary.subList(1, 5));
        h.assertNoLeaks();
    }

    @Test
    void shouldIgnoreConnectionsThatAreNotHttp()
    {
        // Junk before a request line on an HTTP port is a bad request, not a reason to drop the
        // connection (MalformedHttpTest has a server that answers in TLS: that one is dropped).
        final HttpHarness junk = new HttpHarness().client("\u0016\u0003\u0001\u0002\u0000GET / HTTP/1.1\r\n\r\n").server(OK).end();
        assertEquals(List.of("GET / 200 1 [parse_error]"), junk.summary());
        assertEquals(0, junk.decoder.counters().get(HttpCounters.Name.NOT_HTTP));
        junk.assertNoLeaks();

        final HttpHarness otherPort = new HttpHarness(new HttpConfig(), false, 6379).client("PING\r\n").server("+PONG\r\n").end();
        assertEquals(0, otherPort.json.size());

        final HttpHarness detected = new HttpHarness(new HttpConfig(), false, 9999).client(GET).server(OK).end();
        assertEquals(1, detected.json.size());

        final HttpHarness notDetected = new HttpHarness(new HttpConfig().detectOnAnyPort(false), false, 9999)
            .client(GET).server(OK).end();
        assertEquals(0, notDetected.json.size());
    }

    @Test
    void shouldRedactCredentialsAndSelectHeaders()
    {
        final String request = "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic c2VjcmV0\r\nCookie: s=1\r\n" +
            "X-Dup: one\r\nx-dup: two\r\n\r\n";
        final String response = "HTTP/1.1 200 OK\r\nSet-Cookie: t=2\r\nContent-Length: 0\r\n\r\n";
        final JsonNode all = new HttpHarness(new HttpConfig().headers(HeaderSelection.ALL)).client(request).server(response).end().only();
        assertEquals("[redacted]", all.at("/http/request/headers/authorization").asText());
        assertEquals("[redacted]", all.at("/http/request/headers/cookie").asText());
        assertEquals("[redacted]", all.at("/http/response/headers/set-cookie").asText());
        assertEquals("one, two", all.at("/http/request/headers/x-dup").asText());
        assertFalse(all.toString().contains("c2VjcmV0"));

        final JsonNode open = new HttpHarness(new HttpConfig().headers(HeaderSelection.ALL).redact(false))
            .client(request).server(response).end().only();
        assertEquals("Basic c2VjcmV0", open.at("/http/request/headers/authorization").asText());

        final JsonNode none = new HttpHarness(new HttpConfig().headers(HeaderSelection.NONE)).client(request).server(response).end().only();
        assertTrue(none.at("/http/request/headers").isMissingNode());
        assertEquals("a", none.at("/url/domain").asText(), "host is kept for url.domain whatever the selection");

        final JsonNode listed = new HttpHarness(new HttpConfig().headers(HeaderSelection.parse("X-Dup, content-length")))
            .client(request).server(response).end().only();
        assertEquals(1, listed.at("/http/request/headers").size());
        assertEquals("0", listed.at("/http/response/headers/content-length").asText());

        // Selection is by name in any case on the wire; kept names are lowercased, credentials
        // redacted even when listed, and an unlisted field leaves nothing behind.
        final String shouting = "GET / HTTP/1.1\r\nHOST: b\r\nX-Request-ID: r1\r\nCOOKIE: s=1\r\nX-Other: o\r\n\r\n";
        final JsonNode byDefault = new HttpHarness(new HttpConfig()).client(shouting).server(response).end().only();
        assertEquals("{\"host\":\"b\",\"x-request-id\":\"r1\"}", byDefault.at("/http/request/headers").toString());
        final JsonNode listedCookie = new HttpHarness(new HttpConfig().headers(HeaderSelection.parse("cookie,x-other")))
            .client(shouting).server(response).end().only();
        assertEquals("{\"cookie\":\"[redacted]\",\"x-other\":\"o\"}", listedCookie.at("/http/request/headers").toString());
        assertEquals("b", listedCookie.at("/url/domain").asText());
    }

    @Test
    void shouldRedactMoreNamesWhenAskedInAnyCaseAndEvenWithBytesAfterTheName()
    {
        final String request = "GET / HTTP/1.1\r\nHost: a\r\nX-Api-Key: k3y\r\nx-auth-token\0: t0k\r\nX-Other: o\r\n\r\n";
        final JsonNode event = new HttpHarness(new HttpConfig().headers(HeaderSelection.ALL).redactNames(List.of("x-api-key",
            "X-Auth-Token"))).client(request).server(OK).end().only();
        assertEquals("[redacted]", event.at("/http/request/headers/x-api-key").asText());
        assertEquals("o", event.at("/http/request/headers/x-other").asText());
        assertFalse(event.toString().contains("k3y"), event.toString());
        assertFalse(event.toString().contains("t0k"), event.toString());
        assertThrows(IllegalArgumentException.class, () -> HeaderRules.of(HeaderSelection.ALL, true, List.of("bad name")));
    }

    @Test
    void shouldTakeNewHeaderRulesBetweenMessagesOfOneConnection()
    {
        final String request = "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: ua\r\nX-Api-Key: k3y\r\n\r\n";
        final HttpHarness harness = new HttpHarness(new HttpConfig()).client(request).server(OK);
        harness.decoder.rules(HeaderRules.of(HeaderSelection.parse("host,user-agent,x-api-key"), true, List.of("x-api-key")));
        harness.client(request).server(OK);
        harness.decoder.rules(HeaderRules.of(HeaderSelection.NONE, false, List.of()));
        harness.client(request).server(OK).end();
        assertEquals(3, harness.json.size(), harness.json::toString);
        assertEquals("{\"host\":\"a\"}", harness.events().get(0).at("/http/request/headers").toString());
        assertEquals("{\"host\":\"a\",\"user-agent\":\"ua\",\"x-api-key\":\"[redacted]\"}",
            harness.events().get(1).at("/http/request/headers").toString());
        assertTrue(harness.events().get(2).at("/http/request/headers").isMissingNode());
    }

    @Test
    void shouldKeepEveryHeaderUpToTheLimitWhateverTheTableStartsWith()
    {
        // A transaction's header table starts small and grows up to --max-headers.
        final StringBuilder request = new StringBuilder("GET /many HTTP/1.1\r\nHost: a\r\n");
        for (int i = 1; i <= 59; i++)
        {
            request.append("X-Field-").append(i).append(": v").append(i).append("\r\n");
        }
        request.append("\r\n");
        final String response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

        final JsonNode all = new HttpHarness(new HttpConfig().headers(HeaderSelection.ALL))
            .client(request.toString()).server(response).end().only();
        assertEquals(60, all.at("/http/request/headers").size());
        assertEquals("v59", all.at("/http/request/headers/x-field-59").asText());
        assertFalse(all.toString().contains("headers_truncated"));

        final JsonNode limited = new HttpHarness(new HttpConfig().headers(HeaderSelection.ALL).maxHeaders(40))
            .client(request.toString()).server(response).end().only();
        assertEquals(40, limited.at("/http/request/headers").size());
        assertTrue(limited.at("/tags").toString().contains("headers_truncated"));
    }

    @Test
    void shouldCaptureAndDecodeBodiesWhenAsked() throws Exception
    {
        final byte[] plain = "{\"greeting\":\"hello, hello, hello\"}".getBytes(StandardCharsets.UTF_8);
        final java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(zipped))
        {
            gz.write(plain);
        }
        final byte[] body = zipped.toByteArray();
        final String head = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
            Integer.toHexString(body.length) + "\r\n";
        final HttpHarness h = new HttpHarness(new HttpConfig().bodyBytes(64).decodeBody(true))
            .client("POST /p HTTP/1.1\r\nContent-Length: 70\r\n\r\n" + "z".repeat(70))
            .server(head);
        h.send(TcpFlow.FROM_SERVER, body);
        h.server("\r\n0\r\n\r\n").end();
        final JsonNode e = h.only();
        assertEquals("z".repeat(64), e.at("/http/request/body/content").asText());
        assertEquals(new String(plain, StandardCharsets.UTF_8), e.at("/http/response/body/content").asText());
        assertEquals(body.length, e.at("/http/response/body/bytes").asInt());
        assertEquals(List.of("body_truncated"), tags(e));
    }

    @Test
    void shouldEscapeWhateverTheWireCarries()
    {
        final HttpHarness h = new HttpHarness(new HttpConfig().headers(HeaderSelection.ALL))
            .client("GET /\"quote\\\u0001\u00ff\u00c3 HTTP/1.1\r\nX-Ctl: a\u0007b\r\n\r\n")
            .server(OK).end();
        final JsonNode e = h.only();
        assertEquals("/\"quote\\\u0001\ufffd\ufffd", e.at("/url/original").asText());
        assertEquals("a\u0007b", e.at("/http/request/headers/x-ctl").asText());
    }

    @Test
    void shouldAcceptLowercaseNamesAndOptionalWhitespace()
    {
        final JsonNode e = new HttpHarness()
            .client("GET / HTTP/1.1\r\nhost:\t a.example \r\n\r\n")
            .server("HTTP/1.1 200 OK\r\ncontent-length:2\r\ntransfer-encoding : gzip, CHUNKED\r\n\r\n2\r\nok\r\n0\r\n\r\n")
            .end().only();
        assertEquals("a.example", e.at("/url/domain").asText());
        assertEquals(2, e.at("/http/response/body/bytes").asInt(), "chunked wins over content-length");
    }

    /** The events without what depends on capture times: {@code @timestamp}, {@code event.start/end}, durations and {@code event.id}. */
    private static List<String> withoutTimes(final List<String> events)
    {
        return events.stream()
            .map(s -> s.replaceAll("\"@timestamp\":\"[^\"]*\"", "").replaceAll("\"duration\":\\d+", "")
                .replaceAll("\"(handshake|upload|server|download)\":\\d+", "\"$1\"")
                .replaceAll("\"(start|end)\":\"[^\"]*\"", "")
                .replaceAll("\"dataset\":\"(\\w+)\",\"id\":\"[^\"]*\"", "\"dataset\":\"$1\""))
            .toList();
    }
}
