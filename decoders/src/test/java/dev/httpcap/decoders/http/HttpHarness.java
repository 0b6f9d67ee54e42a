package dev.httpcap.decoders.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.event.HttpEventEncoder;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.tcp.TcpFlowTracker;
import dev.httpcap.decoders.websocket.WebSocketMessage;

/**
 * Drives an {@link HttpDecoder} directly with stream bytes (no reassembler) for one connection,
 * and collects its events as JSON and text lines.
 */
final class HttpHarness implements HttpEventListener
{
    static final long CLIENT = 0x0000_FFFF_0A00_0001L;
    static final long SERVER = 0x0000_FFFF_0A00_0002L;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    final HttpConfig config;
    final HttpDecoder decoder;
    HttpEventEncoder encoder;
    private final int maxEventBytes;
    final TcpFlow flow;
    private final TcpFlowTracker tracker;
    private final int serverPort;
    final List<String> json = new ArrayList<>();
    final List<String> text = new ArrayList<>();
    final List<String> ws = new ArrayList<>();
    final List<String> wsText = new ArrayList<>();
    private final ExpandableDirectByteBuffer out = new ExpandableDirectByteBuffer(4096);
    long now = 1_700_000_000_000_000_000L;

    HttpHarness()
    {
        this(new HttpConfig());
    }

    HttpHarness(final HttpConfig config)
    {
        this(config, false, 80);
    }

    HttpHarness(final HttpConfig config, final boolean midstream, final int serverPort)
    {
        this(config, midstream, serverPort, HttpEventEncoder.DEFAULT_MAX_EVENT_BYTES);
    }

    HttpHarness(final HttpConfig config, final boolean midstream, final int serverPort, final int maxEventBytes)
    {
        this(config, midstream, serverPort, maxEventBytes, 16);
    }

    /** @param maxFlows connections the harness may open at once (see {@link #newFlow}). */
    HttpHarness(
        final HttpConfig config, final boolean midstream, final int serverPort, final int maxEventBytes, final int maxFlows)
    {
        this.config = config;
        this.decoder = new HttpDecoder(config, this);
        this.encoder = new HttpEventEncoder(config, maxEventBytes);
        this.maxEventBytes = maxEventBytes;
        this.tracker = new TcpFlowTracker(f -> { }, maxFlows, Long.MAX_VALUE / 4, 0);
        this.serverPort = serverPort;
        this.flow = newFlow(40_000, midstream);
    }

    /** Encode the events as seen by {@code observer} (a live capture) from now on. */
    HttpHarness observer(final dev.httpcap.decoders.event.Observer observer)
    {
        encoder = new HttpEventEncoder(config, maxEventBytes, observer);
        return this;
    }

    /** @return a harness for {@code maxFlows} connections at once on one decoder (see {@link #newFlow}). */
    static HttpHarness withFlows(final HttpConfig config, final int maxFlows)
    {
        return new HttpHarness(config, false, 80, HttpEventEncoder.DEFAULT_MAX_EVENT_BYTES, maxFlows);
    }

    /** @return another connection to the same server, from client port {@code clientPort}, on this decoder. */
    TcpFlow newFlow(final int clientPort, final boolean midstream)
    {
        final TcpSegment syn = new TcpSegment();
        syn.timestampNanos = now;
        syn.ipVersion = 4;
        syn.srcLo = CLIENT;
        syn.dstLo = SERVER;
        syn.srcPort = clientPort;
        syn.dstPort = serverPort;
        syn.vlan = -1;
        syn.flags = midstream ? TcpSegment.ACK : TcpSegment.SYN;
        syn.seq = 100;
        syn.payload = new UnsafeBuffer(new byte[0]);
        return tracker.onSegment(syn);
    }

    /**
     * Completes the handshake that {@link #flow}'s SYN (at the harness's start) began: the server's
     * SYN-ACK {@code synAckAfterNanos} later, the client's ACK of it {@code ackAfterNanos} after that.
     */
    HttpHarness handshake(final long synAckAfterNanos, final long ackAfterNanos)
    {
        final TcpSegment s = new TcpSegment();
        s.ipVersion = 4;
        s.vlan = -1;
        s.payload = new UnsafeBuffer(new byte[0]);
        now += synAckAfterNanos;
        s.timestampNanos = now;
        s.srcLo = SERVER;
        s.dstLo = CLIENT;
        s.srcPort = serverPort;
        s.dstPort = flow.clientPort();
        s.flags = TcpSegment.SYN | TcpSegment.ACK;
        s.seq = 5000;
        s.ack = 101;
        tracker.onSegment(s);
        now += ackAfterNanos;
        s.timestampNanos = now;
        s.srcLo = CLIENT;
        s.dstLo = SERVER;
        s.srcPort = flow.clientPort();
        s.dstPort = serverPort;
        s.flags = TcpSegment.ACK;
        s.seq = 101;
        s.ack = 5001;
        tracker.onSegment(s);
        return this;
    }

    @Override
    public void onTransaction(final TcpFlow flow, final HttpTransaction transaction)
    {
        int length = encoder.encodeJson(flow, transaction, out, 0);
        json.add(out.getStringWithoutLengthUtf8(0, length));
        length = encoder.encodeText(flow, transaction, out, 0);
        text.add(out.getStringWithoutLengthUtf8(0, length));
    }

    @Override
    public void onWebSocketMessage(final TcpFlow flow, final WebSocketMessage message)
    {
        int length = encoder.encodeWebSocketJson(flow, message, out, 0);
        ws.add(out.getStringWithoutLengthUtf8(0, length));
        length = encoder.encodeWebSocketText(flow, message, out, 0);
        wsText.add(out.getStringWithoutLengthUtf8(0, length));
    }

    List<JsonNode> wsEvents()
    {
        final List<JsonNode> nodes = new ArrayList<>();
        for (final String line : ws)
        {
            try
            {
                nodes.add(MAPPER.readTree(line));
            }
            catch (final Exception ex)
            {
                throw new AssertionError("not JSON: " + line, ex);
            }
        }
        return nodes;
    }

    /** "direction opcode bytes text|close_code [tags]" per WebSocket event. */
    List<String> wsSummary()
    {
        final List<String> lines = new ArrayList<>();
        for (final JsonNode e : wsEvents())
        {
            final JsonNode w = e.get("websocket");
            String line = w.get("direction").asText() + " " + w.get("opcode").asText() + " " + w.at("/payload/bytes").asLong();
            if (w.at("/payload/text").isTextual())
            {
                line += " '" + w.at("/payload/text").asText() + "'";
            }
            if (w.has("close_code"))
            {
                line += " " + w.get("close_code").asInt() + (w.has("close_reason") ? " '" + w.get("close_reason").asText() + "'" : "");
            }
            line += " " + tags(e);
            lines.add(line);
        }
        return lines;
    }

    HttpHarness client(final String data)
    {
        return send(TcpFlow.FROM_CLIENT, data.getBytes(StandardCharsets.ISO_8859_1));
    }

    HttpHarness server(final String data)
    {
        return send(TcpFlow.FROM_SERVER, data.getBytes(StandardCharsets.ISO_8859_1));
    }

    HttpHarness send(final int direction, final byte[] data)
    {
        return send(direction, data, 0, data.length);
    }

    /**
     * Deliver {@code data[offset, offset + length)} in a buffer of exactly that size (bounds-checked,
     * so a read outside the segment throws), at a non-zero offset of the buffer it views.
     */
    HttpHarness send(final int direction, final byte[] data, final int offset, final int length)
    {
        return send(flow, direction, data, offset, length);
    }

    /** {@code data} on connection {@code on} (see {@link #newFlow}). */
    HttpHarness send(final TcpFlow on, final int direction, final String data)
    {
        final byte[] bytes = data.getBytes(StandardCharsets.ISO_8859_1);
        return send(on, direction, bytes, 0, bytes.length);
    }

    HttpHarness send(final TcpFlow on, final int direction, final byte[] data, final int offset, final int length)
    {
        now += 1_000_000;
        final byte[] copy = new byte[length + 16];
        System.arraycopy(data, offset, copy, 8, length);
        for (int i = 0; i < 8; i++)
        {
            copy[i] = '\n';
            copy[copy.length - 1 - i] = '\n';
        }
        final UnsafeBuffer segment = new UnsafeBuffer(copy, 4, length + 4); // ends where the segment ends
        decoder.onData(on, direction, segment, 4, length, now);
        return this;
    }

    HttpHarness gap(final int direction, final long length)
    {
        now += 1_000_000;
        decoder.onGap(flow, direction, length, now);
        return this;
    }

    HttpHarness end(final boolean reset)
    {
        return end(flow, reset);
    }

    HttpHarness end(final TcpFlow on, final boolean reset)
    {
        now += 1_000_000;
        decoder.onEnd(on, TcpFlow.FROM_CLIENT, reset, now);
        decoder.onEnd(on, TcpFlow.FROM_SERVER, reset, now);
        decoder.onFlowEnd(on);
        return this;
    }

    HttpHarness end()
    {
        return end(false);
    }

    List<JsonNode> events()
    {
        final List<JsonNode> nodes = new ArrayList<>();
        for (final String line : json)
        {
            try
            {
                nodes.add(MAPPER.readTree(line));
            }
            catch (final Exception ex)
            {
                throw new AssertionError("not JSON: " + line, ex);
            }
        }
        return nodes;
    }

    JsonNode only()
    {
        final List<JsonNode> events = events();
        if (events.size() != 1)
        {
            throw new AssertionError("expected one event, got " + events.size() + ": " + json);
        }
        return events.get(0);
    }

    static List<String> tags(final JsonNode event)
    {
        final List<String> tags = new ArrayList<>();
        event.get("tags").forEach(t -> tags.add(t.asText()));
        return tags;
    }

    /** "METHOD target status depth [tags]" per event: the gist of what was paired with what. */
    List<String> summary()
    {
        final List<String> lines = new ArrayList<>();
        for (final JsonNode e : events())
        {
            final JsonNode request = e.path("http").path("request");
            final JsonNode response = e.path("http").path("response");
            lines.add(request.path("method").asText("-") + " " + e.path("url").path("original").asText("-") + " " +
                (response.isMissingNode() ? "-" : response.path("status_code").asText()) + " " +
                e.path("httpcap").path("trans_depth").asInt() + " " + tags(e));
        }
        return lines;
    }

    void assertNoLeaks()
    {
        if (decoder.transactionsInUse() != 0 || decoder.lineBuffersInUse() != 0 || decoder.inflatersInUse() != 0)
        {
            throw new AssertionError("leak: " + decoder.transactionsInUse() + " transactions, " +
                decoder.lineBuffersInUse() + " line buffers in use after the flow ended");
        }
    }
}
