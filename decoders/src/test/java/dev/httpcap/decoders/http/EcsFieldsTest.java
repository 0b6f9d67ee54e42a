package dev.httpcap.decoders.http;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.httpcap.decoders.event.Observer;
import dev.httpcap.decoders.tcp.TcpFlow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ECS fields of an HTTP event that come from the request's text, the body and the observer (issue 20). */
class EcsFieldsTest
{
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private static JsonNode exchange(final String request)
    {
        return new HttpHarness().client(request).server(OK).end().only();
    }

    private static String basic(final String credentials)
    {
        return Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldTakeTheUserNameOfBasicCredentialsAndNeverThePassword()
    {
        final String credentials = basic("alice:s3cret:with:colons");
        final HttpHarness h = new HttpHarness(new HttpConfig().headers(HeaderSelection.ALL))
            .client("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + credentials + "\r\n\r\n").server(OK).end();
        final JsonNode e = h.only();
        assertEquals("alice", e.at("/user/name").asText());
        assertEquals("[redacted]", e.at("/http/request/headers/authorization").asText());
        final String all = String.join("\n", h.json) + String.join("\n", h.text);
        assertFalse(all.contains("s3cret") || all.contains(credentials) || all.contains(basic("alice:s3cret")), all);

        // Any case of the scheme, UTF-8 names, padding; no user without a colon or with another scheme.
        assertEquals("zoë", exchange("GET / HTTP/1.1\r\nauthorization: bAsIc " + basic("zoë:x") + "\r\n\r\n").at("/user/name").asText());
        assertEquals("ab", exchange("GET / HTTP/1.1\r\nAuthorization: Basic " + basic("ab:") + "\r\n\r\n").at("/user/name").asText());
        assertEquals("", exchange("GET / HTTP/1.1\r\nAuthorization: Basic " + basic(":pw") + "\r\n\r\n").at("/user/name").asText());
        assertTrue(exchange("GET / HTTP/1.1\r\nAuthorization: Basic " + basic("nocolon") + "\r\n\r\n").at("/user").isMissingNode());
        assertTrue(exchange("GET / HTTP/1.1\r\nAuthorization: Bearer abc.def\r\n\r\n").at("/user").isMissingNode());
        assertTrue(exchange("GET / HTTP/1.1\r\nAuthorization: Basic !!!!\r\n\r\n").at("/user").isMissingNode());
    }

    @Test
    void shouldTakeTheUrlApartWithItsPortScheme()
    {
        final JsonNode e = exchange("GET /a/b?x=1 HTTP/1.1\r\nHost: example:8899\r\nReferer: http://example:8899/\r\n" +
            "X-Request-ID: f0e1d2c3\r\n\r\n");
        assertEquals("/a/b?x=1", e.at("/url/original").asText());
        assertEquals("http", e.at("/url/scheme").asText());
        assertEquals("example", e.at("/url/domain").asText());
        assertEquals(8899, e.at("/url/port").asInt());
        assertTrue(e.at("/url/port").isIntegralNumber());
        assertEquals("http://example:8899/a/b?x=1", e.at("/url/full").asText());
        assertEquals("example", e.at("/destination/domain").asText());
        assertEquals("example", e.at("/server/domain").asText());
        assertEquals("[\"example\"]", e.at("/related/hosts").toString());
        assertEquals("http://example:8899/", e.at("/http/request/referrer").asText());
        assertEquals("f0e1d2c3", e.at("/http/request/id").asText());

        // An absolute-form target's own scheme and authority, its user information left out.
        final JsonNode proxy = exchange("GET https://bob:pw@proxy.test:3128/p HTTP/1.1\r\nHost: other\r\n\r\n");
        assertEquals("https", proxy.at("/url/scheme").asText());
        assertEquals("proxy.test", proxy.at("/url/domain").asText());
        assertEquals(3128, proxy.at("/url/port").asInt());
        assertEquals("https://proxy.test:3128/p", proxy.at("/url/full").asText());
        // IPv6 literal; no port written: none reported.
        final JsonNode v6 = exchange("GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n");
        assertEquals("2001:db8::1", v6.at("/url/domain").asText());
        assertTrue(v6.at("/url/port").isMissingNode());
        assertEquals("http://[2001:db8::1]/", v6.at("/url/full").asText());
        // CONNECT: the authority, no scheme, no full URL.
        final JsonNode connect = exchange("CONNECT db.test:5432 HTTP/1.1\r\nHost: db.test:5432\r\n\r\n");
        assertEquals("db.test", connect.at("/url/domain").asText());
        assertEquals(5432, connect.at("/url/port").asInt());
        assertTrue(connect.at("/url/scheme").isMissingNode() && connect.at("/url/full").isMissingNode());
        // Without Host: no domain anywhere.
        final JsonNode bare = exchange("GET /x HTTP/1.0\r\n\r\n");
        assertTrue(bare.at("/url/full").isMissingNode() && bare.at("/destination/domain").isMissingNode()
            && bare.at("/related/hosts").isMissingNode());
    }

    @Test
    void shouldWriteTheEcsEventFieldsAndSizes()
    {
        final HttpHarness h = new HttpHarness().client("GET /missing HTTP/1.1\r\nHost: h\r\n\r\n")
            .server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").end();
        final JsonNode e = h.only();
        assertEquals("event", e.at("/event/kind").asText());
        assertEquals("[\"network\",\"web\"]", e.at("/event/category").toString());
        assertEquals("[\"access\",\"error\",\"protocol\"]", e.at("/event/type").toString());
        assertEquals(e.at("/@timestamp").asText(), e.at("/event/start").asText());
        assertEquals("http", e.at("/network/protocol").asText());
        assertEquals(e.at("/source/bytes").asLong(), e.at("/http/request/bytes").asLong());
        assertEquals(e.at("/destination/bytes").asLong(), e.at("/http/response/bytes").asLong());
        assertEquals(e.at("/source/bytes").asLong() + e.at("/destination/bytes").asLong(), e.at("/network/bytes").asLong());
        assertEquals(e.at("/source").toString(), e.at("/client").toString());
        assertEquals(e.at("/destination").toString(), e.at("/server").toString());
        assertEquals("[\"10.0.0.1\",\"10.0.0.2\"]", e.at("/related/ip").toString());
        assertTrue(e.at("/httpcap/info_code").isMissingNode());
        assertTrue(e.at("/observer").isMissingNode() && e.at("/host").isMissingNode() && e.at("/network/direction").isMissingNode(),
            "no observer when reading a file");
        assertTrue(e.at("/ecs/version").asText().matches("\\d+\\.\\d+\\.\\d+"));
    }

    @Test
    void shouldTellTheMimeTypeFromTheBodyNotFromContentType()
    {
        final HttpConfig config = new HttpConfig().bodyBytes(32);
        final byte[] png = {(byte)0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13};
        final HttpHarness h = new HttpHarness(config).client("GET /i HTTP/1.1\r\nHost: h\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + png.length + "\r\n\r\n");
        h.send(TcpFlow.FROM_SERVER, png);
        assertEquals("image/png", h.end().only().at("/http/response/mime_type").asText());

        final JsonNode json = new HttpHarness(config).client("POST /j HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n {\"a\":1}")
            .server(OK).end().only();
        assertEquals("application/json", json.at("/http/request/mime_type").asText());
        assertEquals("text/plain", json.at("/http/response/mime_type").asText());

        // A HEAD answer has no body: no type, whatever Content-Type says.
        final JsonNode head = new HttpHarness(config).client("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
            .server("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 999\r\n\r\n").end().only();
        assertTrue(head.at("/http/response/mime_type").isMissingNode(), head.toString());
        // Without --body-bytes nothing of the body is seen: no type.
        assertTrue(exchange("GET / HTTP/1.1\r\n\r\n").at("/http/response/mime_type").isMissingNode());
    }

    @Test
    void shouldSayWhereALiveCaptureSawTheTraffic() throws Exception
    {
        final Observer observer = Observer.of("sensor-1", List.of(InetAddress.getByName("10.0.0.2")), "eth7");
        final JsonNode e = new HttpHarness().observer(observer).client("GET / HTTP/1.1\r\n\r\n").server(OK).end().only();
        assertEquals("sensor-1", e.at("/observer/hostname").asText());
        assertEquals("[\"10.0.0.2\"]", e.at("/observer/ip").toString());
        assertEquals("eth7", e.at("/observer/ingress/interface/name").asText());
        assertEquals("httpcap", e.at("/observer/product").asText());
        assertEquals("sensor-1", e.at("/host/name").asText());
        assertEquals("ingress", e.at("/network/direction").asText(), "the server is this host");

        final Observer client = Observer.of("laptop", List.of(InetAddress.getByName("10.0.0.1")), "wlan0");
        assertEquals("egress", new HttpHarness().observer(client).client("GET / HTTP/1.1\r\n\r\n").server(OK).end().only()
            .at("/network/direction").asText());
        final Observer neither = Observer.of("tap", List.of(InetAddress.getByName("192.0.2.9")), "mirror0");
        assertTrue(new HttpHarness().observer(neither).client("GET / HTTP/1.1\r\n\r\n").server(OK).end().only()
            .at("/network/direction").isMissingNode(), "traffic between two other hosts: not known");
    }
}
