package dev.httpcap.benchmarks;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.http.HeaderSelection;
import dev.httpcap.decoders.http.HttpConfig;
import dev.httpcap.decoders.http.HttpCounters;
import dev.httpcap.decoders.http.HttpDecoder;
import dev.httpcap.decoders.event.HttpEventEncoder;
import dev.httpcap.decoders.http.HttpTransaction;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.tcp.TcpFlowTracker;

/**
 * httpcap's HTTP/1.x parser against Netty's {@code HttpRequestDecoder}/{@code HttpResponseDecoder}
 * on the same bytes. One operation is one request and its response parsed, on one keep-alive
 * connection that is fed again and again: for httpcap one {@link HttpTransaction} handed to the
 * listener, for Netty the request and response objects (and their content) read from two
 * {@link EmbeddedChannel}s and released.
 * <ul>
 * <li>{@code browser}: a Chrome-like page GET with 14 header fields and its 200 response with 11
 * fields and a 1.5 KB Content-Length HTML body;</li>
 * <li>{@code api}: a JSON POST with a Bearer token and Content-Length body, answered 201 with a
 * chunked JSON body in three chunks.</li>
 * </ul>
 * With {@code segments = 3} each message arrives in three pieces cut in the middle of header
 * fields (the ones a third and two thirds of the way down its header block), so both parsers
 * resume mid-line.
 * <p>
 * {@link #httpcap} uses the default configuration ({@code default} header selection, redaction
 * on, no body capture); {@link #httpcapAllHeaders} keeps every header field (closer to Netty,
 * which materialises them all); {@link #httpcapJson} also writes each transaction's JSON event,
 * which Netty has no equivalent of. Netty gets each segment as a retained slice of a pooled direct
 * buffer (no copy, nothing allocated for it), one {@code channelRead} + {@code channelReadComplete}
 * per segment as from a socket, with its default decoder settings.
 * <p>
 * The {@code paired} benchmarks run an httpcap configuration and Netty in turns within each
 * invocation and report both median times per exchange: the ratio to quote on a busy machine.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Two more warm-up iterations than the other benchmarks: on a busy 2-core machine the JIT threads
// sometimes had not finished compiling Netty's decoder after 3 (iterations 4-8 times slower).
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Xmx1g",
    // As in Netty's own microbenchmarks: sampled leak tracking is a debugging aid, not parsing.
    "-Dio.netty.leakDetection.level=disabled"})
public class HttpParserBenchmark
{
    @Param({"browser", "api"})
    public String exchange;

    @Param({"1", "3"})
    public int segments;

    private byte[] request;
    private byte[] response;
    /** Segment boundaries: {@code [0, length]} or {@code [0, cut1, cut2, length]}. */
    private int[] requestCuts;
    private int[] responseCuts;
    private String expected;

    private UnsafeBuffer requestWire;
    private UnsafeBuffer responseWire;
    private HttpDecoder decoder;
    private HttpDecoder allHeadersDecoder;
    private HttpDecoder jsonDecoder;
    private TcpFlow flow;
    private TcpFlow allHeadersFlow;
    private TcpFlow jsonFlow;
    private HttpEventEncoder encoder;
    private final ExpandableDirectByteBuffer json = new ExpandableDirectByteBuffer(4096);
    private long now = 1_700_000_000_000_000_000L;

    private EmbeddedChannel requestChannel;
    private EmbeddedChannel responseChannel;
    private ByteBuf nettyRequest;
    private ByteBuf nettyResponse;
    private long nettyHeads;
    private long nettyLasts;
    private long nettyFailures;

    private String checkedHead = "";
    private final long[] checkedBytes = new long[2];

    private Blackhole bh;
    /** Set during the set-up check: transactions and Netty objects are described here instead of consumed. */
    private List<String> check;

    @Setup(Level.Trial)
    public void setUp()
    {
        switch (exchange)
        {
            case "browser" ->
            {
                request = ascii(BROWSER_REQUEST);
                final String html = html();
                response = ascii(BROWSER_RESPONSE_HEAD.replace("{length}", Integer.toString(html.length())) + html);
                expected = "GET /products/shoes/running?color=blue&size=42 200 request body 0, response body " +
                    html.length();
            }
            case "api" ->
            {
                final String body = API_REQUEST_BODY;
                request = ascii(API_REQUEST_HEAD.replace("{length}", Integer.toString(body.length())) + body);
                final String[] chunks = API_RESPONSE_CHUNKS;
                final StringBuilder chunked = new StringBuilder(API_RESPONSE_HEAD);
                int total = 0;
                for (final String chunk : chunks)
                {
                    chunked.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
                    total += chunk.length();
                }
                chunked.append("0\r\n\r\n");
                response = ascii(chunked.toString());
                expected = "POST /api/v2/orders 201 request body " + body.length() + ", response body " + total;
            }
            default -> throw new IllegalArgumentException("exchange: " + exchange);
        }
        requestCuts = cuts(request, segments);
        responseCuts = cuts(response, segments);

        requestWire = direct(request);
        responseWire = direct(response);
        final TcpFlowTracker tracker = new TcpFlowTracker(f -> { }, 16, Long.MAX_VALUE / 4, 0);
        decoder = new HttpDecoder(new HttpConfig(), (f, tx) -> consume(tx));
        flow = newFlow(tracker, 40_000);
        allHeadersDecoder = new HttpDecoder(new HttpConfig().headers(HeaderSelection.ALL), (f, tx) -> consume(tx));
        allHeadersFlow = newFlow(tracker, 40_001);
        final HttpConfig jsonConfig = new HttpConfig();
        encoder = new HttpEventEncoder(jsonConfig);
        jsonDecoder = new HttpDecoder(jsonConfig, this::encode);
        jsonFlow = newFlow(tracker, 40_002);

        requestChannel = new EmbeddedChannel(new HttpRequestDecoder());
        responseChannel = new EmbeddedChannel(new HttpResponseDecoder());
        nettyRequest = pooledDirect(request);
        nettyResponse = pooledDirect(response);

        checkBothSidesParse();
    }

    /** One exchange through each parser, described: the benchmark is void unless all of them saw the same messages. */
    private void checkBothSidesParse()
    {
        final List<String> seen = new ArrayList<>();
        check = seen;
        try
        {
            for (int round = 0; round < 2; round++)
            {
                feed(decoder, flow);
                feed(allHeadersDecoder, allHeadersFlow);
                feed(jsonDecoder, jsonFlow);
                netty();
            }
        }
        finally
        {
            check = null;
        }
        final String nettyExpected = "netty " + expected;
        final List<String> wanted = List.of(
            expected, expected, expected + " json", nettyExpected,
            expected, expected, expected + " json", nettyExpected);
        if (!seen.equals(wanted))
        {
            throw new IllegalStateException("the parsers did not both parse the exchange: expected " + wanted + ", saw " + seen);
        }
        if (nettyRequest.refCnt() != 1 || nettyResponse.refCnt() != 1)
        {
            throw new IllegalStateException("a Netty message was not released");
        }
        checkCounters();
        nettyHeads = nettyLasts = 0;
    }

    @TearDown(Level.Iteration)
    public void checkCounters()
    {
        for (final HttpDecoder d : new HttpDecoder[] {decoder, allHeadersDecoder, jsonDecoder})
        {
            if (d.counters().get(HttpCounters.Name.PARSE_ERRORS) != 0 || d.counters().get(HttpCounters.Name.RESYNCS) != 0 || d.counters().get(HttpCounters.Name.ORPHAN_RESPONSES) != 0 || d.counters().get(HttpCounters.Name.NO_RESPONSE) != 0 ||
                d.counters().get(HttpCounters.Name.REQUESTS) != d.counters().get(HttpCounters.Name.TRANSACTIONS) || d.counters().get(HttpCounters.Name.RESPONSES) != d.counters().get(HttpCounters.Name.TRANSACTIONS) || d.transactionsInUse() != 0)
            {
                throw new IllegalStateException("httpcap lost its place: " + d.counters().get(HttpCounters.Name.REQUESTS) + " requests, " +
                    d.counters().get(HttpCounters.Name.RESPONSES) + " responses, " + d.counters().get(HttpCounters.Name.TRANSACTIONS) + " transactions, " + d.counters().get(HttpCounters.Name.PARSE_ERRORS) +
                    " parse errors, " + d.transactionsInUse() + " transactions in use");
            }
        }
        if (nettyFailures != 0 || nettyHeads != nettyLasts || !requestChannel.inboundMessages().isEmpty() ||
            !responseChannel.inboundMessages().isEmpty())
        {
            throw new IllegalStateException("Netty lost its place: " + nettyHeads + " messages, " + nettyLasts +
                " ends, " + nettyFailures + " failures");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        decoder.onFlowEnd(flow);
        allHeadersDecoder.onFlowEnd(allHeadersFlow);
        jsonDecoder.onFlowEnd(jsonFlow);
        encoder.close();
        requestChannel.finishAndReleaseAll();
        responseChannel.finishAndReleaseAll();
        nettyRequest.release();
        nettyResponse.release();
    }

    @Benchmark
    public void httpcap(final Blackhole bh)
    {
        this.bh = bh;
        feed(decoder, flow);
    }

    @Benchmark
    public void httpcapAllHeaders(final Blackhole bh)
    {
        this.bh = bh;
        feed(allHeadersDecoder, allHeadersFlow);
    }

    @Benchmark
    public void httpcapJson(final Blackhole bh)
    {
        this.bh = bh;
        feed(jsonDecoder, jsonFlow);
    }

    @Benchmark
    public void netty(final Blackhole bh)
    {
        this.bh = bh;
        netty();
    }

    /**
     * {@link #httpcap} and {@link #netty} in every invocation, in turns (each goes first every other
     * time), each timed on its own. The separate benchmarks run a minute apart on a shared machine
     * whose speed changes from second to second; here both parsers are measured at the same
     * moments, and {@link Clocks} reports each one's median time per exchange in every iteration
     * (medians, so that the preemptions and GC pauses of a busy machine do not count). Each
     * {@code paired} benchmark runs one httpcap configuration only, so that its fork's JIT profile
     * is that of a worker running that configuration.
     */
    @Benchmark
    public void paired(final Blackhole bh, final Clocks clocks)
    {
        this.bh = bh;
        pairWithNetty(decoder, flow, clocks);
    }

    /** {@link #httpcapAllHeaders} and {@link #netty} in turns, as {@link #paired}. */
    @Benchmark
    public void pairedAllHeaders(final Blackhole bh, final Clocks clocks)
    {
        this.bh = bh;
        pairWithNetty(allHeadersDecoder, allHeadersFlow, clocks);
    }

    /** {@link #httpcapJson} and {@link #netty} in turns, as {@link #paired}. */
    @Benchmark
    public void pairedJson(final Blackhole bh, final Clocks clocks)
    {
        this.bh = bh;
        pairWithNetty(jsonDecoder, jsonFlow, clocks);
    }

    private void pairWithNetty(final HttpDecoder decoder, final TcpFlow flow, final Clocks clocks)
    {
        final long start = System.nanoTime();
        final long middle;
        if ((clocks.count & 1) == 0)
        {
            feed(decoder, flow);
            middle = System.nanoTime();
            netty();
            clocks.record(middle - start, System.nanoTime() - middle);
        }
        else
        {
            netty();
            middle = System.nanoTime();
            feed(decoder, flow);
            clocks.record(System.nanoTime() - middle, middle - start);
        }
    }

    /**
     * The median nanoseconds per exchange of each parser in one iteration of a {@code paired}
     * benchmark. JMH adds these counters up over the iterations in its summary line; the values
     * of each iteration are in its JSON result file ({@code -rf json}).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Clocks
    {
        private static final int SAMPLES = 1 << 20;

        public long httpcapMedianNanos;
        public long nettyMedianNanos;
        private final int[] httpcapSamples = new int[SAMPLES];
        private final int[] nettySamples = new int[SAMPLES];
        private int count;

        @Setup(Level.Iteration)
        public void clear()
        {
            count = 0;
        }

        void record(final long httpcapNanos, final long nettyNanos)
        {
            final int i = count++ & (SAMPLES - 1);
            httpcapSamples[i] = (int)Math.min(httpcapNanos, Integer.MAX_VALUE);
            nettySamples[i] = (int)Math.min(nettyNanos, Integer.MAX_VALUE);
        }

        @TearDown(Level.Iteration)
        public void medians()
        {
            httpcapMedianNanos = median(httpcapSamples);
            nettyMedianNanos = median(nettySamples);
        }

        private long median(final int[] times)
        {
            final int n = Math.min(count, SAMPLES);
            if (n == 0)
            {
                return 0;
            }
            Arrays.sort(times, 0, n);
            return times[n / 2];
        }
    }

    // ---------------------------------------------------------------------------------------------
    // httpcap

    private void feed(final HttpDecoder decoder, final TcpFlow flow)
    {
        send(decoder, flow, TcpFlow.FROM_CLIENT, requestWire, requestCuts);
        send(decoder, flow, TcpFlow.FROM_SERVER, responseWire, responseCuts);
    }

    private void send(
        final HttpDecoder decoder, final TcpFlow flow, final int direction, final UnsafeBuffer wire, final int[] cuts)
    {
        for (int i = 1; i < cuts.length; i++)
        {
            now += 1_000;
            decoder.onData(flow, direction, wire, cuts[i - 1], cuts[i] - cuts[i - 1], now);
        }
    }

    private void consume(final HttpTransaction tx)
    {
        if (check != null)
        {
            check.add(describe(tx));
            return;
        }
        bh.consume(tx.status());
        bh.consume(tx.requestBodyBytes());
        bh.consume(tx.responseBodyBytes());
        bh.consume(tx.tags());
    }

    private void encode(final TcpFlow flow, final HttpTransaction tx)
    {
        final int length = encoder.encodeJson(flow, tx, json, 0);
        if (check != null)
        {
            final String event = json.getStringWithoutLengthUtf8(0, length);
            final boolean plausible = event.contains("\"method\":\"" + tx.method() + "\"") &&
                event.contains("\"status_code\":" + tx.status());
            check.add(describe(tx) + (plausible ? " json" : " bad json: " + event));
            return;
        }
        bh.consume(length);
    }

    private static String describe(final HttpTransaction tx)
    {
        return tx.method() + " " + tx.target() + " " + tx.status() + " request body " + tx.requestBodyBytes() +
            ", response body " + tx.responseBodyBytes() + (tx.tags() != 0 ? " tags " + tx.tags() : "");
    }

    // ---------------------------------------------------------------------------------------------
    // Netty

    private void netty()
    {
        write(requestChannel, nettyRequest, requestCuts);
        write(responseChannel, nettyResponse, responseCuts);
        if (check != null)
        {
            check.add("netty " + checkedHead + " request body " + checkedBytes[0] + ", response body " + checkedBytes[1]);
            checkedHead = "";
            checkedBytes[0] = checkedBytes[1] = 0;
        }
    }

    private void write(final EmbeddedChannel channel, final ByteBuf wire, final int[] cuts)
    {
        for (int i = 1; i < cuts.length; i++)
        {
            // A derived buffer of the pooled template (recycled, no copy), released by the decoder.
            channel.writeOneInbound(wire.retainedSlice(cuts[i - 1], cuts[i] - cuts[i - 1]), channel.voidPromise());
            channel.flushInbound();
            drain(channel);
        }
    }

    private void drain(final EmbeddedChannel channel)
    {
        Object message;
        while ((message = channel.readInbound()) != null)
        {
            if (((HttpObject)message).decoderResult().isFailure())
            {
                nettyFailures++;
            }
            if (message instanceof HttpRequest r)
            {
                nettyHeads++;
                if (check != null)
                {
                    checkedHead += r.method().name() + " " + r.uri();
                }
                else
                {
                    bh.consume(r.method());
                }
            }
            else if (message instanceof HttpResponse r)
            {
                nettyHeads++;
                if (check != null)
                {
                    checkedHead += " " + r.status().code();
                }
                else
                {
                    bh.consume(r.status().code());
                }
            }
            if (message instanceof HttpContent c)
            {
                final int bytes = c.content().readableBytes();
                if (check != null)
                {
                    checkedBytes[channel == requestChannel ? 0 : 1] += bytes;
                }
                else
                {
                    bh.consume(bytes);
                }
                if (message instanceof LastHttpContent)
                {
                    nettyLasts++;
                }
            }
            ReferenceCountUtil.release(message);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Messages

    static final String BROWSER_REQUEST =
        "GET /products/shoes/running?color=blue&size=42 HTTP/1.1\r\n" +
        "Host: shop.example.com\r\n" +
        "Connection: keep-alive\r\n" +
        "Cache-Control: max-age=0\r\n" +
        "Upgrade-Insecure-Requests: 1\r\n" +
        "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " +
        "Chrome/131.0.0.0 Safari/537.36\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8," +
        "application/signed-exchange;v=b3;q=0.7\r\n" +
        "Sec-Fetch-Site: same-origin\r\n" +
        "Sec-Fetch-Mode: navigate\r\n" +
        "Sec-Fetch-User: ?1\r\n" +
        "Sec-Fetch-Dest: document\r\n" +
        "Referer: https://shop.example.com/products/shoes\r\n" +
        "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
        "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n" +
        "Cookie: session_id=8f3b2a1c9d4e5f60718293a4b5c6d7e8; cart_items=3; _ga=GA1.2.1234567890.1700000000; " +
        "theme=dark\r\n" +
        "\r\n";

    static final String BROWSER_RESPONSE_HEAD =
        "HTTP/1.1 200 OK\r\n" +
        "Date: Wed, 25 Nov 2026 10:15:30 GMT\r\n" +
        "Server: nginx/1.26.2\r\n" +
        "Content-Type: text/html; charset=utf-8\r\n" +
        "Content-Length: {length}\r\n" +
        "Connection: keep-alive\r\n" +
        "Cache-Control: private, max-age=0, must-revalidate\r\n" +
        "ETag: \"5f3a-1a2b3c4d5e6f\"\r\n" +
        "Last-Modified: Tue, 24 Nov 2026 08:00:00 GMT\r\n" +
        "Vary: Accept-Encoding\r\n" +
        "X-Content-Type-Options: nosniff\r\n" +
        "Set-Cookie: session_id=8f3b2a1c9d4e5f60718293a4b5c6d7e8; Path=/; HttpOnly; Secure; SameSite=Lax\r\n" +
        "\r\n";

    /** About 1.5 KB of product-listing HTML. */
    static String html()
    {
        final StringBuilder html = new StringBuilder(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
            "<title>Running shoes - Example Shop</title>\n<link rel=\"stylesheet\" href=\"/static/css/main.3f2a1b.css\">\n" +
            "</head>\n<body>\n<main class=\"listing\">\n<h1>Running shoes</h1>\n<ul class=\"products\">\n");
        for (int i = 1; i <= 8; i++)
        {
            html.append("<li class=\"product\"><a href=\"/products/shoes/running/").append(1000 + i)
                .append("\"><img src=\"/img/p/").append(1000 + i).append("-240.webp\" alt=\"Trail runner ").append(i)
                .append("\"><span class=\"price\">").append(89 + i * 5).append(".99 EUR</span></a></li>\n");
        }
        html.append("</ul>\n</main>\n<script src=\"/static/js/app.9c8d7e.js\" defer></script>\n</body>\n</html>\n");
        return html.toString();
    }

    static final String API_REQUEST_HEAD =
        "POST /api/v2/orders HTTP/1.1\r\n" +
        "Host: api.example.com\r\n" +
        "User-Agent: okhttp/4.12.0\r\n" +
        "Accept: application/json\r\n" +
        "Content-Type: application/json; charset=utf-8\r\n" +
        "Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjXzEwMjkzOCIsImlhdCI6MTcwMDAwMDAw" +
        "MCwic2NvcGUiOiJvcmRlcnM6d3JpdGUifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\r\n" +
        "X-Request-Id: 7c9e6679-7425-40de-944b-e07fc1f90ae7\r\n" +
        "Accept-Encoding: gzip\r\n" +
        "Connection: keep-alive\r\n" +
        "Content-Length: {length}\r\n" +
        "\r\n";

    static final String API_REQUEST_BODY =
        "{\"customer_id\":\"c_102938\",\"items\":[{\"sku\":\"SHOE-RUN-42-BLU\",\"qty\":1,\"price\":129.99}," +
        "{\"sku\":\"SOCK-3PK\",\"qty\":2,\"price\":14.50}],\"currency\":\"EUR\",\"shipping\":{\"method\":\"express\"," +
        "\"address\":{\"line1\":\"Hauptstrasse 12\",\"city\":\"Berlin\",\"postcode\":\"10115\",\"country\":\"DE\"}}," +
        "\"coupon\":null}";

    static final String API_RESPONSE_HEAD =
        "HTTP/1.1 201 Created\r\n" +
        "Date: Wed, 25 Nov 2026 10:15:31 GMT\r\n" +
        "Content-Type: application/json\r\n" +
        "Transfer-Encoding: chunked\r\n" +
        "Connection: keep-alive\r\n" +
        "Location: /api/v2/orders/ord_7HqK2mZ9\r\n" +
        "Cache-Control: no-store\r\n" +
        "X-Request-Id: 7c9e6679-7425-40de-944b-e07fc1f90ae7\r\n" +
        "Strict-Transport-Security: max-age=31536000\r\n" +
        "\r\n";

    /** A JSON order as a streaming server flushes it: three chunks. */
    static final String[] API_RESPONSE_CHUNKS = {
        "{\"id\":\"ord_7HqK2mZ9\",\"status\":\"confirmed\",\"customer_id\":\"c_102938\",\"created_at\":" +
            "\"2026-11-25T10:15:31Z\",\"items\":[{\"sku\":\"SHOE-RUN-42-BLU\",\"name\":\"Trail runner 42 blue\"," +
            "\"qty\":1,\"unit_price\":129.99,\"total\":129.99},{\"sku\":\"SOCK-3PK\",\"name\":\"Running socks, 3 pack\"," +
            "\"qty\":2,\"unit_price\":14.50,\"total\":29.00}],",
        "\"subtotal\":158.99,\"shipping\":{\"method\":\"express\",\"price\":9.90,\"carrier\":\"DHL\"," +
            "\"estimated_delivery\":\"2026-11-27\",\"address\":{\"line1\":\"Hauptstrasse 12\",\"city\":\"Berlin\"," +
            "\"postcode\":\"10115\",\"country\":\"DE\"}},\"tax\":{\"rate\":0.19,\"amount\":30.21,\"included\":true}," +
            "\"total\":168.89,\"currency\":\"EUR\",",
        "\"payment\":{\"status\":\"authorized\",\"method\":\"card\",\"brand\":\"visa\",\"last4\":\"4242\"}," +
            "\"links\":{\"self\":\"/api/v2/orders/ord_7HqK2mZ9\",\"invoice\":\"/api/v2/orders/ord_7HqK2mZ9/invoice\"," +
            "\"tracking\":null}}"};

    /**
     * Where the message is cut into {@code segments} pieces: for 3, in the middle of the header
     * fields a third and two thirds of the way down the header block.
     */
    static int[] cuts(final byte[] message, final int segments)
    {
        if (segments == 1)
        {
            return new int[] {0, message.length};
        }
        if (segments != 3)
        {
            throw new IllegalArgumentException("segments: 1 or 3");
        }
        final String text = new String(message, StandardCharsets.ISO_8859_1);
        final int headersEnd = text.indexOf("\r\n\r\n") + 2;
        final List<Integer> lines = new ArrayList<>();
        for (int line = text.indexOf("\r\n") + 2; line < headersEnd; line = text.indexOf("\r\n", line) + 2)
        {
            lines.add(line);
        }
        final int first = lines.get(lines.size() / 3);
        final int second = lines.get(2 * lines.size() / 3);
        return new int[] {
            0, (first + text.indexOf('\r', first)) / 2, (second + text.indexOf('\r', second)) / 2, message.length};
    }

    static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static UnsafeBuffer direct(final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes.length));
        buffer.putBytes(0, bytes);
        return buffer;
    }

    private static ByteBuf pooledDirect(final byte[] bytes)
    {
        final ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length, bytes.length);
        buffer.writeBytes(bytes);
        return buffer;
    }

    private TcpFlow newFlow(final TcpFlowTracker tracker, final int clientPort)
    {
        final TcpSegment syn = new TcpSegment();
        syn.timestampNanos = now;
        syn.ipVersion = 4;
        syn.srcLo = 0x0000_FFFF_0A00_0001L;
        syn.dstLo = 0x0000_FFFF_0A00_0002L;
        syn.srcPort = clientPort;
        syn.dstPort = 80;
        syn.vlan = -1;
        syn.flags = TcpSegment.SYN;
        syn.seq = 100;
        syn.payload = new UnsafeBuffer(new byte[0]);
        return tracker.onSegment(syn);
    }
}
