package dev.httpcap.decoders.event;

import org.agrona.MutableDirectBuffer;

import dev.httpcap.decoders.event.JsonWriter.Fragment;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.websocket.WebSocketMessage;

import static dev.httpcap.decoders.event.EcsNames.BYTES;
import static dev.httpcap.decoders.event.EcsNames.CLIENT;
import static dev.httpcap.decoders.event.EcsNames.HTTPCAP;
import static dev.httpcap.decoders.event.EcsNames.SERVER;
import static dev.httpcap.decoders.event.EcsNames.TEXT_ARROW;
import static dev.httpcap.decoders.event.EcsNames.TRANS_DEPTH;
import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/**
 * Writes a WebSocket message as its event ({@code event.dataset: "websocket"}), as JSON or as a
 * readable line, into the {@link JsonWriter} of the {@link HttpEventEncoder} that owns it (which
 * cuts it to fit). Allocation-free.
 */
final class WebSocketEventWriter
{
    private static final byte[] WEBSOCKET = encodeName("websocket");
    private static final byte[] DIRECTION = encodeName("direction");
    private static final byte[] OPCODE = encodeName("opcode");
    private static final byte[] PAYLOAD = encodeName("payload");
    private static final byte[] TEXT = encodeName("text");
    private static final byte[] INFLATED_BYTES = encodeName("inflated_bytes");
    private static final byte[] CLOSE_CODE = encodeName("close_code");
    private static final byte[] CLOSE_REASON = encodeName("close_reason");
    private static final byte[] COMPRESSED = encodeName("compressed");
    private static final byte[] FRAMES = encodeName("frames");
    private static final Fragment HEAD = Endpoints.eventHead("[\"network\"]", "[\"protocol\"]", "websocket");
    private static final Fragment[] NETWORK_HEADS = Endpoints.networkHeads("websocket");
    private static final byte[] TEXT_WEBSOCKET = encodeName(" websocket ");
    private static final byte[] TEXT_BYTES = encodeName(" bytes");
    private static final byte[][] OPCODES = new byte[16][];

    static
    {
        for (int i = 0; i < OPCODES.length; i++)
        {
            OPCODES[i] = encodeName(switch (i)
            {
                case WebSocketMessage.CONTINUATION -> "continuation";
                case WebSocketMessage.TEXT -> "text";
                case WebSocketMessage.BINARY -> "binary";
                case WebSocketMessage.CLOSE -> "close";
                case WebSocketMessage.PING -> "ping";
                case WebSocketMessage.PONG -> "pong";
                default -> "reserved_" + i;
            });
        }
    }

    private final JsonWriter json;
    private final CommunityId communityId;
    private final EventId eventId;

    private final Observer observer;
    private final Endpoints endpoints;

    WebSocketEventWriter(
        final JsonWriter json, final CommunityId communityId, final EventId eventId, final Observer observer,
        final Endpoints endpoints)
    {
        this.endpoints = endpoints;
        this.json = json;
        this.communityId = communityId;
        this.eventId = eventId;
        this.observer = observer;
    }

    /** Write {@code message} as one JSON object ({@code event.dataset: "websocket"}) at {@code offset}, with {@code cutTags} added. */
    int writeJson(final TcpFlow flow, final WebSocketMessage message, final MutableDirectBuffer buffer, final int offset, final int cutTags)
    {
        final JsonWriter out = json.wrap(buffer, offset);
        endpoints.openEvent(out, message.startNanos(), HEAD);
        eventId.value(out, flow, message.direction() == TcpFlow.FROM_CLIENT ? EventId.WEBSOCKET_CLIENT : EventId.WEBSOCKET_SERVER,
            message.number(), message.startNanos());
        final long end = Math.max(message.startNanos(), message.endNanos());
        endpoints.start(out);
        endpoints.end(out, message.startNanos(), end);
        out.endObject();

        endpoints.endpoints(out, flow, -1, -1, -1, -1, null);
        Endpoints.network(out, flow, communityId, NETWORK_HEADS, observer.direction(flow), -1, -1);
        out.rawMembers(observer.members());

        out.startObject(WEBSOCKET)
            .name(DIRECTION).rawString(message.direction() == TcpFlow.FROM_CLIENT ? CLIENT : SERVER)
            .name(OPCODE).rawString(OPCODES[message.opcode() & 0xF]);
        out.startObject(PAYLOAD).name(BYTES).value(message.bytes());
        out.stringClass(JsonWriter.BODY);
        if (message.compressed() && message.inflated())
        {
            out.name(INFLATED_BYTES).value(message.inflatedBytes());
        }
        if (message.opcode() == WebSocketMessage.TEXT && (!message.compressed() || message.inflated()))
        {
            final long total = message.compressed() ? message.inflatedBytes() : message.bytes();
            out.name(TEXT).value(message.payloadView(), 0, utf8Prefix(message.payload(), message.captured(), total));
        }
        out.endObject();
        if (message.opcode() == WebSocketMessage.CLOSE && message.closeCode() >= 0)
        {
            out.name(CLOSE_CODE).value(message.closeCode());
            if (message.captured() > 2)
            {
                out.name(CLOSE_REASON).value(message.payloadView(), 2,
                    utf8Prefix(message.payload(), message.captured(), message.bytes()) - 2);
            }
        }
        out.name(COMPRESSED).value(message.compressed())
            .name(FRAMES).value(message.frames())
            .endObject();

        endpoints.related(out, flow, null);
        EventTags.tagsArray(out, message.tags() | cutTags);
        out.startObject(HTTPCAP).name(TRANS_DEPTH).value(message.transDepth()).endObject();
        out.endObject();
        return out.length();
    }

    /** Write {@code message} as one readable line at {@code offset}, with {@code cutTags} added. */
    int writeText(final TcpFlow flow, final WebSocketMessage message, final MutableDirectBuffer buffer, final int offset, final int cutTags)
    {
        final JsonWriter out = json.wrap(buffer, offset);
        EventText.appendTimestamp(out, message.startNanos());
        out.appendAscii(' ');
        EventText.appendEndpoint(out, flow.ipVersion(), flow.clientHi(), flow.clientLo(), flow.clientPort());
        out.appendAscii(TEXT_ARROW);
        EventText.appendEndpoint(out, flow.ipVersion(), flow.serverHi(), flow.serverLo(), flow.serverPort());
        out.appendAscii(TEXT_WEBSOCKET).appendAscii(message.direction() == TcpFlow.FROM_CLIENT ? CLIENT : SERVER)
            .appendAscii(' ').appendAscii(OPCODES[message.opcode() & 0xF])
            .appendAscii(' ').appendDecimal(message.bytes()).appendAscii(TEXT_BYTES);
        if (message.opcode() == WebSocketMessage.CLOSE && message.closeCode() >= 0)
        {
            out.appendAscii(' ').appendDecimal(message.closeCode());
        }
        if (message.opcode() == WebSocketMessage.TEXT && (!message.compressed() || message.inflated()))
        {
            final long total = message.compressed() ? message.inflatedBytes() : message.bytes();
            final int length = Math.min(80, utf8Prefix(message.payload(), message.captured(), total));
            out.stringClass(JsonWriter.BODY).appendAscii(' ').appendAscii('"')
                .appendEscaped(message.payloadView(), 0, utf8Prefix(message.payload(), length, Long.MAX_VALUE))
                .appendAscii('"');
        }
        EventTags.appendTags(out, message.tags() | cutTags);
        return out.length();
    }

    /**
     * @return the length of {@code bytes[0, captured)} without a UTF-8 sequence cut by the capture
     * limit (when {@code total} says the payload goes on).
     */
    static int utf8Prefix(final byte[] bytes, final int captured, final long total)
    {
        if (captured >= total || captured == 0)
        {
            return captured;
        }
        // Walk back over continuation bytes to the last lead byte; drop it if its sequence is cut.
        int i = captured - 1;
        int continuation = 0;
        while (i >= 0 && continuation < 3 && (bytes[i] & 0xC0) == 0x80)
        {
            i--;
            continuation++;
        }
        if (i < 0)
        {
            return captured;
        }
        final int lead = bytes[i] & 0xFF;
        final int length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return continuation + 1 < length ? i : captured;
    }
}
