package dev.httpcap.decoders.http;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.event.HttpEventEncoder;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.tcp.TcpFlowTracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parsing, pairing and encoding HTTP transactions — whole, split across segments (so lines go
 * through the pooled line buffers), chunked, with captured and gzip-decoded bodies — allocates
 * nothing once the pools have grown. Measured with the JVM's per-thread allocation counter.
 */
class HttpSteadyStateAllocationTest
{
    private static final byte[] REQUESTS = (
        "GET /index.html?x=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\n" +
        "Cookie: a=b\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n" +
        "POST /api/v1/items HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json\r\nContent-Length: 13\r\n" +
        "\r\n{\"name\":\"x\"}\n").getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] RESPONSES = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10\r\nSet-Cookie: s=1\r\n\r\n0123456789" +
        "HTTP/1.1 100 Continue\r\n\r\n" +
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "4\r\n{\"id\r\n5\r\n\":42}\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);

    private final ExpandableDirectByteBuffer out = new ExpandableDirectByteBuffer(8192);
    private long encodedBytes;
    private int lastJsonLength;
    private HttpEventEncoder encoder;

    /** The same exchanges with a response body that is not UTF-8 (written as base64). */
    private static final byte[] BINARY_RESPONSES = binaryResponses();

    private static byte[] binaryResponses()
    {
        final String text = new String(RESPONSES, StandardCharsets.ISO_8859_1);
        final byte[] head = (text.substring(0, text.indexOf("HTTP/1.1 201")) +
            "HTTP/1.1 201 Created\r\nContent-Type: image/png\r\nContent-Length: 40\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        final byte[] all = Arrays.copyOf(head, head.length + 40);
        for (int i = 0; i < 40; i++)
        {
            all[head.length + i] = (byte)(0x89 + 3 * i);
        }
        return all;
    }

    @Test
    void shouldAllocateNothingPerTransactionOnceThePoolsHaveGrown()
    {
        assertAllocatesNothing(RESPONSES, HttpEventEncoder.DEFAULT_MAX_EVENT_BYTES);
    }

    /** Base64 bodies, and every event cut to fit a limit below its size: allocation-free too. */
    @Test
    void shouldAllocateNothingPerTransactionWithBase64Bodies()
    {
        assertAllocatesNothing(BINARY_RESPONSES, HttpEventEncoder.DEFAULT_MAX_EVENT_BYTES);
        assertEquals(0, encoder.truncatedEvents());
        assertTrue(lastJson().contains("\"content_base64\":\"iYyPkpWYm56hpKeqrbCztrm8v8LFyMvO0dTX2t3g4+bp7O/y9fj7/g==\""),
            lastJson());
    }

    @Test
    void shouldAllocateNothingPerTransactionWithEveryEventCutToFit()
    {
        assertAllocatesNothing(BINARY_RESPONSES, 1400);
        assertTrue(encoder.truncatedEvents() >= 2 * 22_000 * 8, "every event was cut: " + encoder.truncatedEvents());
        assertTrue(lastJson().contains("event_truncated") && lastJson().length() <= 1400, lastJson());
    }

    private String lastJson()
    {
        return out.getStringWithoutLengthUtf8(0, lastJsonLength);
    }

    private void assertAllocatesNothing(final byte[] responseBytes, final int maxEventBytes)
    {
        final HttpConfig config = new HttpConfig().headers(HeaderSelection.ALL).bodyBytes(64).decodeBody(true);
        encoder = new HttpEventEncoder(config, maxEventBytes);
        final HttpDecoder decoder = new HttpDecoder(config, (flow, tx) ->
        {
            lastJsonLength = encoder.encodeJson(flow, tx, out, 0);
            encodedBytes += lastJsonLength;
            encodedBytes += encoder.encodeText(flow, tx, out, 1 << 16);
        });
        final TcpFlowTracker tracker = new TcpFlowTracker(f -> { }, 1024, Long.MAX_VALUE / 4, 0);
        final TcpFlow[] flows = new TcpFlow[8];
        final TcpSegment syn = new TcpSegment();
        syn.ipVersion = 4;
        syn.srcLo = HttpHarness.CLIENT;
        syn.dstLo = HttpHarness.SERVER;
        syn.dstPort = 80;
        syn.vlan = -1;
        syn.flags = TcpSegment.SYN;
        syn.payload = new UnsafeBuffer(new byte[0]);
        for (int i = 0; i < flows.length; i++)
        {
            syn.srcPort = 40_000 + i;
            flows[i] = tracker.onSegment(syn);
        }
        final UnsafeBuffer requests = new UnsafeBuffer(REQUESTS);
        final UnsafeBuffer responses = new UnsafeBuffer(responseBytes);

        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        long time = 1;
        for (int round = 0; round < 2_000; round++)
        {
            time = exchange(decoder, flows, requests, responses, round, time);
        }
        final long transactionsBefore = decoder.counters().get(HttpCounters.Name.TRANSACTIONS);
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int round = 2_000; round < 22_000; round++)
        {
            time = exchange(decoder, flows, requests, responses, round, time);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        final long transactions = decoder.counters().get(HttpCounters.Name.TRANSACTIONS) - transactionsBefore;

        assertEquals(2 * 20_000 * flows.length, transactions);
        assertEquals(0, decoder.counters().get(HttpCounters.Name.PARSE_ERRORS));
        assertTrue(encodedBytes > 0);
        // 320,000 transactions: one object each would be >= 5 MB; a few KB are the JVM's own noise.
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes for " + transactions + " transactions");
        encoder.close();
    }

    /** Every flow gets both requests and both responses, split at a point that moves each round. */
    private static long exchange(
        final HttpDecoder decoder, final TcpFlow[] flows, final UnsafeBuffer requests, final UnsafeBuffer responses,
        final int round, final long time)
    {
        long t = time;
        for (int i = 0; i < flows.length; i++)
        {
            final int requestSplit = 1 + (round * 7 + i) % (REQUESTS.length - 1);
            final int responseSplit = 1 + (round * 13 + i) % (responses.capacity() - 1);
            decoder.onData(flows[i], TcpFlow.FROM_CLIENT, requests, 0, requestSplit, t++);
            decoder.onData(flows[i], TcpFlow.FROM_CLIENT, requests, requestSplit, REQUESTS.length - requestSplit, t++);
            decoder.onData(flows[i], TcpFlow.FROM_SERVER, responses, 0, responseSplit, t++);
            decoder.onData(flows[i], TcpFlow.FROM_SERVER, responses, responseSplit, responses.capacity() - responseSplit, t++);
        }
        return t;
    }
}
