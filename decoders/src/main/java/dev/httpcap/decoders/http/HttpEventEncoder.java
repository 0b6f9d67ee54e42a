package dev.httpcap.decoders.http;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import dev.httpcap.decoders.event.CommunityId;
import dev.httpcap.decoders.event.EventId;
import dev.httpcap.decoders.event.EventText;
import dev.httpcap.decoders.event.Tags;
import dev.httpcap.decoders.json.JsonWriter;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.websocket.WebSocketMessage;

import static dev.httpcap.decoders.json.JsonWriter.encodeName;

/**
 * Encodes a finished {@link HttpTransaction} as the ECS-aligned JSON event of
 * {@code docs/architecture.md} ({@code event.dataset: "http"}), or as one readable line. Writes
 * straight into the output buffer; one instance per worker thread; allocation-free once warm.
 * <p>
 * An event never takes more than {@code maxEventBytes} (what the hand-off to the sinks can carry):
 * one that would is written again with its strings cut to fit — bodies first, then header values,
 * then the rest (see {@link JsonWriter#planCuts}) — and tagged {@code event_truncated}.
 */
public final class HttpEventEncoder
{
    private static final byte[] TIMESTAMP = encodeName("@timestamp");
    private static final byte[] EVENT = encodeName("event");
    private static final byte[] DATASET = encodeName("dataset");
    private static final byte[] HTTP = encodeName("http");
    private static final byte[] DURATION = encodeName("duration");
    private static final byte[] OUTCOME = encodeName("outcome");
    private static final byte[] SUCCESS = encodeName("success");
    private static final byte[] FAILURE = encodeName("failure");
    private static final byte[] UNKNOWN = encodeName("unknown");
    private static final byte[] SOURCE = encodeName("source");
    private static final byte[] DESTINATION = encodeName("destination");
    private static final byte[] IP = encodeName("ip");
    private static final byte[] PORT = encodeName("port");
    private static final byte[] BYTES = encodeName("bytes");
    private static final byte[] NETWORK = encodeName("network");
    private static final byte[] TRANSPORT = encodeName("transport");
    private static final byte[] TCP = encodeName("tcp");
    private static final byte[] TYPE = encodeName("type");
    private static final byte[] IPV4 = encodeName("ipv4");
    private static final byte[] IPV6 = encodeName("ipv6");
    private static final byte[] COMMUNITY_ID = encodeName("community_id");
    private static final byte[] VLAN = encodeName("vlan");
    private static final byte[] ID = encodeName("id");
    private static final byte[] URL = encodeName("url");
    private static final byte[] ORIGINAL = encodeName("original");
    private static final byte[] PATH = encodeName("path");
    private static final byte[] QUERY = encodeName("query");
    private static final byte[] DOMAIN = encodeName("domain");
    private static final byte[] SCHEME = encodeName("scheme");
    private static final byte[] USER_AGENT = encodeName("user_agent");
    private static final byte[] VERSION = encodeName("version");
    private static final byte[] VERSION_0_9 = encodeName("0.9");
    private static final byte[] REQUEST_LINE = encodeName("request_line");
    private static final byte[] REQUEST = encodeName("request");
    private static final byte[] RESPONSE = encodeName("response");
    private static final byte[] METHOD = encodeName("method");
    private static final byte[] MIME_TYPE = encodeName("mime_type");
    private static final byte[] BODY = encodeName("body");
    private static final byte[] HEADERS = encodeName("headers");
    private static final byte[] STATUS_CODE = encodeName("status_code");
    private static final byte[] STATUS_PHRASE = encodeName("status_phrase");
    private static final byte[] TAGS = encodeName("tags");
    private static final byte[] HTTPCAP = encodeName("httpcap");
    private static final byte[] TRANS_DEPTH = encodeName("trans_depth");
    private static final byte[] INFO_CODE = encodeName("info_code");
    private static final byte[] TIMING = encodeName("timing");
    private static final byte[] HANDSHAKE = encodeName("handshake");
    private static final byte[] UPLOAD = encodeName("upload");
    private static final byte[] DOWNLOAD = encodeName("download");
    private static final byte[] REDACTED_VALUE = encodeName("[redacted]");
    private static final byte[] SLASH = encodeName("/");
    private static final byte[] LIST_SEPARATOR = encodeName(", ");
    private static final byte[][] VERSIONS = new byte[10][];
    private static final byte[][] TAG_NAMES = new byte[Tags.NAMES.length][];

    private static final byte[] WEBSOCKET = encodeName("websocket");
    private static final byte[] DIRECTION = encodeName("direction");
    private static final byte[] CLIENT = encodeName("client");
    private static final byte[] SERVER = encodeName("server");
    private static final byte[] OPCODE = encodeName("opcode");
    private static final byte[] PAYLOAD = encodeName("payload");
    private static final byte[] TEXT = encodeName("text");
    private static final byte[] INFLATED_BYTES = encodeName("inflated_bytes");
    private static final byte[] CLOSE_CODE = encodeName("close_code");
    private static final byte[] CLOSE_REASON = encodeName("close_reason");
    private static final byte[] COMPRESSED = encodeName("compressed");
    private static final byte[] FRAMES = encodeName("frames");
    private static final byte[][] OPCODES = new byte[16][];

    private static final byte[] TEXT_ARROW = encodeName(" > ");
    private static final byte[] TEXT_WEBSOCKET = encodeName(" websocket ");
    private static final byte[] TEXT_BYTES = encodeName(" bytes");
    private static final byte[] TEXT_NONE = encodeName(" -");
    private static final byte[] TEXT_MS = encodeName("ms ");


    static
    {
        for (int minor = 0; minor < VERSIONS.length; minor++)
        {
            VERSIONS[minor] = encodeName("1." + minor);
        }
        for (int i = 0; i < TAG_NAMES.length; i++)
        {
            TAG_NAMES[i] = encodeName(Tags.NAMES[i]);
        }
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

    /**
     * The default for {@code maxEventBytes}: 1000 KiB, so that the default 8 MiB hand-off (which takes
     * messages of up to an eighth of its size) carries it.
     */
    public static final int DEFAULT_MAX_EVENT_BYTES = 1000 * 1024;
    private static final int HTTP_JSON = 0;
    private static final int HTTP_TEXT = 1;
    private static final int WEBSOCKET_JSON = 2;
    private static final int WEBSOCKET_TEXT = 3;

    private final JsonWriter json = new JsonWriter();
    private final CommunityId communityId = new CommunityId();
    private final HttpBodyContent bodyContent;
    private final int maxEventBytes;
    /** Tags of the event being written besides the transaction's own: set while cutting, and by {@link #body}. */
    private int addedTags;
    /** While cutting: {@link Tags#EVENT_TRUNCATED}. */
    private int cutTags;
    /** While cutting an event whose header names alone would not fit: leave the headers out. */
    private boolean omitHeaders;
    private long truncatedEvents;
    private final EventId eventId = new EventId(communityId);

    public HttpEventEncoder(final HttpConfig config)
    {
        this(config, DEFAULT_MAX_EVENT_BYTES);
    }

    /** @param maxEventBytes the most bytes one encoded event may take (an event or line that would is cut to fit). */
    public HttpEventEncoder(final HttpConfig config, final int maxEventBytes)
    {
        this.bodyContent = new HttpBodyContent(config);
        this.maxEventBytes = maxEventBytes;
    }

    /** @return events (JSON documents or lines) written cut to fit {@code maxEventBytes}. */
    public long truncatedEvents()
    {
        return truncatedEvents;
    }

    /** Release the inflaters' native memory. */
    public void close()
    {
        bodyContent.close();
    }

    /**
     * Write {@code tx} as one JSON object at {@code offset}.
     *
     * @return the number of bytes written.
     */
    public int encodeJson(final TcpFlow flow, final HttpTransaction tx, final MutableDirectBuffer buffer, final int offset)
    {
        final int length = writeJson(flow, tx, buffer, offset);
        return length <= maxEventBytes ? length : fit(HTTP_JSON, flow, tx, null, buffer, offset);
    }

    /**
     * Write {@code tx} as one readable line (no newline) at {@code offset}:
     * {@code 2026-11-24T15:11:27.123456789Z 10.0.0.1:51234 > 10.0.0.2:80 GET example.test/search?q=a 200 0.412ms 182/5213 [gap]}.
     *
     * @return the number of bytes written.
     */
    public int encodeText(final TcpFlow flow, final HttpTransaction tx, final MutableDirectBuffer buffer, final int offset)
    {
        final int length = writeText(flow, tx, buffer, offset);
        return length <= maxEventBytes ? length : fit(HTTP_TEXT, flow, tx, null, buffer, offset);
    }

    /**
     * Write a WebSocket message as one JSON object ({@code event.dataset: "websocket"}) at {@code offset}.
     *
     * @return the number of bytes written.
     */
    public int encodeWebSocketJson(
        final TcpFlow flow, final WebSocketMessage message, final MutableDirectBuffer buffer, final int offset)
    {
        final int length = writeWebSocketJson(flow, message, buffer, offset);
        return length <= maxEventBytes ? length : fit(WEBSOCKET_JSON, flow, null, message, buffer, offset);
    }

    /**
     * Write a WebSocket message as one readable line at {@code offset}:
     * {@code 2026-11-25T10:00:00.123456789Z 10.0.0.1:51234 > 10.0.0.2:80 websocket client text 11 bytes "hello world"}.
     *
     * @return the number of bytes written.
     */
    public int encodeWebSocketText(
        final TcpFlow flow, final WebSocketMessage message, final MutableDirectBuffer buffer, final int offset)
    {
        final int length = writeWebSocketText(flow, message, buffer, offset);
        return length <= maxEventBytes ? length : fit(WEBSOCKET_TEXT, flow, null, message, buffer, offset);
    }

    /**
     * Write the event again, tagged {@code event_truncated}, with its strings cut so that it takes at
     * most {@code maxEventBytes}: once with every string empty (what the rest takes), once measuring
     * each string whole, then with the room left shared among them (bodies cut first). Rare, so it
     * may write the event four times.
     */
    private int fit(
        final int kind, final TcpFlow flow, final HttpTransaction tx, final WebSocketMessage message,
        final MutableDirectBuffer buffer, final int offset)
    {
        truncatedEvents++;
        cutTags = Tags.EVENT_TRUNCATED;
        try
        {
            json.emptyStrings();
            int fixed = write(kind, flow, tx, message, buffer, offset);
            if (fixed > maxEventBytes && kind == HTTP_JSON)
            {
                omitHeaders = true;
                fixed = write(kind, flow, tx, message, buffer, offset);
            }
            json.measureStrings();
            write(kind, flow, tx, message, buffer, offset);
            json.planCuts(maxEventBytes - fixed);
            return write(kind, flow, tx, message, buffer, offset);
        }
        finally
        {
            json.stopCutting();
            cutTags = 0;
            omitHeaders = false;
        }
    }

    private int write(
        final int kind, final TcpFlow flow, final HttpTransaction tx, final WebSocketMessage message,
        final MutableDirectBuffer buffer, final int offset)
    {
        return switch (kind)
        {
            case HTTP_JSON -> writeJson(flow, tx, buffer, offset);
            case HTTP_TEXT -> writeText(flow, tx, buffer, offset);
            case WEBSOCKET_JSON -> writeWebSocketJson(flow, message, buffer, offset);
            default -> writeWebSocketText(flow, message, buffer, offset);
        };
    }

    private int writeJson(final TcpFlow flow, final HttpTransaction tx, final MutableDirectBuffer buffer, final int offset)
    {
        addedTags = cutTags;
        final JsonWriter out = json.wrap(buffer, offset);
        final DirectBuffer store = tx.store;
        final boolean response = tx.status != 0 || (tx.statusless() && tx.hasResponse);
        final long start = tx.hasRequest ? tx.requestStartNanos : tx.responseStartNanos;

        out.startObject();
        out.name(TIMESTAMP);
        EventText.timestampValue(out, start);

        out.startObject(EVENT).name(DATASET).rawString(HTTP).name(ID);
        eventId.value(out, flow, EventId.HTTP, tx.depth, start);
        if (response)
        {
            out.name(DURATION).value(Math.max(0, tx.responseEndNanos - start));
        }
        out.name(OUTCOME).rawString(tx.status == 0 ? UNKNOWN : tx.status >= 400 ? FAILURE : SUCCESS).endObject();

        endpointsAndNetwork(out, flow, tx.requestBytes, tx.responseBytes);

        if (tx.hasField(HttpTransaction.TARGET))
        {
            url(out, tx, store);
        }
        if (tx.hasField(HttpTransaction.USER_AGENT))
        {
            out.startObject(USER_AGENT).name(ORIGINAL)
                .value(store, tx.fieldOffset(HttpTransaction.USER_AGENT), tx.fieldLength(HttpTransaction.USER_AGENT))
                .endObject();
        }

        out.startObject(HTTP);
        final int minor = tx.requestMinor >= 0 ? tx.requestMinor : tx.responseMinor;
        if (tx.http09)
        {
            out.name(VERSION).rawString(VERSION_0_9);
        }
        else if (minor >= 0)
        {
            out.name(VERSION).rawString(VERSIONS[minor]);
        }
        if (tx.hasRequest)
        {
            out.startObject(REQUEST);
            if (tx.hasField(HttpTransaction.METHOD))
            {
                out.name(METHOD).value(store, tx.fieldOffset(HttpTransaction.METHOD), tx.fieldLength(HttpTransaction.METHOD));
            }
            mimeType(out, tx, HttpTransaction.REQUEST_CONTENT_TYPE);
            body(out, tx, tx.requestBodyBytes, HttpTransaction.REQUEST_BODY, HttpTransaction.REQUEST_CONTENT_ENCODING);
            if (!omitHeaders)
            {
                headers(out, tx, 0);
            }
            out.endObject();
        }
        if (response)
        {
            out.startObject(RESPONSE);
            if (tx.status != 0)
            {
                out.name(STATUS_CODE).value(tx.status);
            }
            if (tx.hasField(HttpTransaction.PHRASE))
            {
                out.name(STATUS_PHRASE).value(store, tx.fieldOffset(HttpTransaction.PHRASE), tx.fieldLength(HttpTransaction.PHRASE));
            }
            mimeType(out, tx, HttpTransaction.RESPONSE_CONTENT_TYPE);
            body(out, tx, tx.responseBodyBytes, HttpTransaction.RESPONSE_BODY, HttpTransaction.RESPONSE_CONTENT_ENCODING);
            if (!omitHeaders)
            {
                headers(out, tx, 1);
            }
            out.endObject();
        }
        out.endObject();

        tagsArray(out, tx.tags | addedTags);

        out.startObject(HTTPCAP).name(TRANS_DEPTH).value(tx.depth).name(INFO_CODE);
        if (tx.infoCode != 0)
        {
            out.value(tx.infoCode);
        }
        else
        {
            out.nullValue();
        }
        if (tx.hasField(HttpTransaction.REQUEST_LINE))
        {
            out.name(REQUEST_LINE).value(
                store, tx.fieldOffset(HttpTransaction.REQUEST_LINE), tx.fieldLength(HttpTransaction.REQUEST_LINE));
        }
        timing(out, flow, tx);
        out.endObject();

        out.endObject();
        return out.length();
    }

    /**
     * {@code httpcap.timing}: where the time went, in nanoseconds — the connection's handshake, the
     * request's upload, the server's time to first byte, the response's download — each member only
     * when it is known, the object only when one is.
     */
    private static void timing(final JsonWriter out, final TcpFlow flow, final HttpTransaction tx)
    {
        final long handshake = flow.handshakeNanos();
        final long upload = tx.uploadNanos();
        final long server = tx.serverNanos();
        final long download = tx.downloadNanos();
        if ((handshake & upload & server & download) < 0)
        {
            return; // all four are -1
        }
        out.startObject(TIMING);
        if (handshake >= 0)
        {
            out.name(HANDSHAKE).value(handshake);
        }
        if (upload >= 0)
        {
            out.name(UPLOAD).value(upload);
        }
        if (server >= 0)
        {
            out.name(SERVER).value(server);
        }
        if (download >= 0)
        {
            out.name(DOWNLOAD).value(download);
        }
        out.endObject();
    }

    private int writeText(final TcpFlow flow, final HttpTransaction tx, final MutableDirectBuffer buffer, final int offset)
    {
        final JsonWriter out = json.wrap(buffer, offset);
        final DirectBuffer store = tx.store;
        final long start = tx.hasRequest ? tx.requestStartNanos : tx.responseStartNanos;
        EventText.appendTimestamp(out, start);
        out.appendAscii(' ');
        EventText.appendEndpoint(out, flow.ipVersion(), flow.clientHi(), flow.clientLo(), flow.clientPort());
        out.appendAscii(TEXT_ARROW);
        EventText.appendEndpoint(out, flow.ipVersion(), flow.serverHi(), flow.serverLo(), flow.serverPort());
        out.appendAscii(' ');
        if (tx.hasField(HttpTransaction.METHOD))
        {
            out.appendEscaped(store, tx.fieldOffset(HttpTransaction.METHOD), tx.fieldLength(HttpTransaction.METHOD));
        }
        else
        {
            out.appendAscii('-');
        }
        out.appendAscii(' ');
        if (tx.hasField(HttpTransaction.TARGET))
        {
            final int targetOffset = tx.fieldOffset(HttpTransaction.TARGET);
            final int targetLength = tx.fieldLength(HttpTransaction.TARGET);
            if (tx.hasField(HttpTransaction.HOST) && targetLength > 0 && store.getByte(targetOffset) == '/')
            {
                out.appendEscaped(store, tx.fieldOffset(HttpTransaction.HOST), tx.fieldLength(HttpTransaction.HOST));
            }
            out.appendEscaped(store, targetOffset, targetLength);
        }
        else
        {
            out.appendAscii('-');
        }
        if (tx.status != 0)
        {
            final long duration = Math.max(0, tx.responseEndNanos - start);
            out.appendAscii(' ').appendDecimal(tx.status).appendAscii(' ')
                .appendDecimal(duration / 1_000_000).appendAscii('.').appendPadded((duration / 1_000) % 1_000, 3)
                .appendAscii(TEXT_MS);
        }
        else
        {
            out.appendAscii(TEXT_NONE).appendAscii(TEXT_NONE).appendAscii(' ');
        }
        out.appendDecimal(tx.requestBytes).appendAscii('/').appendDecimal(tx.responseBytes);
        appendTags(out, tx.tags | cutTags);
        return out.length();
    }

    private int writeWebSocketJson(
        final TcpFlow flow, final WebSocketMessage message, final MutableDirectBuffer buffer, final int offset)
    {
        final JsonWriter out = json.wrap(buffer, offset);
        out.startObject();
        out.name(TIMESTAMP);
        EventText.timestampValue(out, message.startNanos());
        out.startObject(EVENT).name(DATASET).rawString(WEBSOCKET).name(ID);
        eventId.value(out, flow, message.direction() == TcpFlow.FROM_CLIENT ? EventId.WEBSOCKET_CLIENT : EventId.WEBSOCKET_SERVER,
            message.number(), message.startNanos());
        out.name(DURATION).value(Math.max(0, message.endNanos() - message.startNanos())).endObject();

        endpointsAndNetwork(out, flow, -1, -1);

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

        tagsArray(out, message.tags() | cutTags);
        out.startObject(HTTPCAP).name(TRANS_DEPTH).value(message.transDepth()).endObject();
        out.endObject();
        return out.length();
    }

    private int writeWebSocketText(
        final TcpFlow flow, final WebSocketMessage message, final MutableDirectBuffer buffer, final int offset)
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
        appendTags(out, message.tags() | cutTags);
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

    /** {@code source} and {@code destination} (client and server; {@code bytes} when not negative) and {@code network}. */
    private void endpointsAndNetwork(final JsonWriter out, final TcpFlow flow, final long clientBytes, final long serverBytes)
    {
        endpoint(out, SOURCE, flow.ipVersion(), flow.clientHi(), flow.clientLo(), flow.clientPort(), clientBytes);
        endpoint(out, DESTINATION, flow.ipVersion(), flow.serverHi(), flow.serverLo(), flow.serverPort(), serverBytes);
        out.startObject(NETWORK)
            .name(TRANSPORT).rawString(TCP)
            .name(TYPE).rawString(flow.ipVersion() == 4 ? IPV4 : IPV6);
        out.name(COMMUNITY_ID);
        communityId.value(out, flow);
        if (flow.vlan() >= 0)
        {
            out.startObject(VLAN).name(ID).value(flow.vlan()).endObject();
        }
        out.endObject();
    }

    private static void endpoint(
        final JsonWriter out, final byte[] name, final int ipVersion, final long hi, final long lo, final int port,
        final long bytes)
    {
        out.startObject(name).name(IP);
        EventText.ipValue(out, ipVersion, hi, lo);
        out.name(PORT).value(port);
        if (bytes >= 0)
        {
            out.name(BYTES).value(bytes);
        }
        out.endObject();
    }

    private static void tagsArray(final JsonWriter out, final int tags)
    {
        out.name(TAGS).startArray();
        for (int i = 0; i < TAG_NAMES.length; i++)
        {
            if ((tags & (1 << i)) != 0)
            {
                out.rawString(TAG_NAMES[i]);
            }
        }
        out.endArray();
    }

    /** {@code " [gap,incomplete]"} for a readable line; nothing without tags. */
    private static void appendTags(final JsonWriter out, final int tags)
    {
        if (tags == 0)
        {
            return;
        }
        out.appendAscii(' ').appendAscii('[');
        boolean first = true;
        for (int i = 0; i < TAG_NAMES.length; i++)
        {
            if ((tags & (1 << i)) != 0)
            {
                if (!first)
                {
                    out.appendAscii(',');
                }
                out.appendAscii(TAG_NAMES[i]);
                first = false;
            }
        }
        out.appendAscii(']');
    }

    private static void url(final JsonWriter out, final HttpTransaction tx, final DirectBuffer store)
    {
        final int targetOffset = tx.fieldOffset(HttpTransaction.TARGET);
        final int targetLength = tx.fieldLength(HttpTransaction.TARGET);
        final int end = targetOffset + targetLength;
        out.startObject(URL).name(ORIGINAL).value(store, targetOffset, targetLength);

        int pathStart = targetOffset;
        int domainStart = -1;
        int domainEnd = -1;
        int schemeEnd = -1;
        if (tx.methodKind == HttpTransaction.METHOD_CONNECT)
        {
            // authority-form: host:port
            domainStart = targetOffset;
            domainEnd = hostEnd(store, targetOffset, end);
            pathStart = end;
        }
        else if (targetLength > 0 && store.getByte(targetOffset) != '/' && store.getByte(targetOffset) != '*')
        {
            // absolute-form: scheme://authority/path?query
            final int colon = HttpChars.indexOf(store, targetOffset, end, (byte)':');
            if (colon > targetOffset && colon + 2 < end && store.getByte(colon + 1) == '/' && store.getByte(colon + 2) == '/')
            {
                schemeEnd = colon;
                domainStart = colon + 3;
                int authorityEnd = domainStart;
                while (authorityEnd < end)
                {
                    final byte b = store.getByte(authorityEnd);
                    if (b == '/' || b == '?' || b == '#')
                    {
                        break;
                    }
                    authorityEnd++;
                }
                final int at = lastIndexOf(store, domainStart, authorityEnd, (byte)'@');
                if (at >= 0)
                {
                    domainStart = at + 1; // never report userinfo
                }
                domainEnd = hostEnd(store, domainStart, authorityEnd);
                pathStart = authorityEnd;
            }
        }
        if (pathStart < end || schemeEnd >= 0)
        {
            int fragment = HttpChars.indexOf(store, pathStart, end, (byte)'#');
            if (fragment < 0)
            {
                fragment = end;
            }
            final int question = HttpChars.indexOf(store, pathStart, fragment, (byte)'?');
            final int pathEnd = question >= 0 ? question : fragment;
            if (pathEnd > pathStart)
            {
                out.name(PATH).value(store, pathStart, pathEnd - pathStart);
            }
            else if (schemeEnd >= 0)
            {
                out.name(PATH).rawString(SLASH); // an absolute URI without a path means "/"
            }
            if (question >= 0)
            {
                out.name(QUERY).value(store, question + 1, fragment - question - 1);
            }
        }
        if (schemeEnd >= 0)
        {
            out.name(SCHEME).value(store, targetOffset, schemeEnd - targetOffset);
        }
        if (domainStart < 0 && tx.hasField(HttpTransaction.HOST))
        {
            domainStart = tx.fieldOffset(HttpTransaction.HOST);
            domainEnd = hostEnd(store, domainStart, domainStart + tx.fieldLength(HttpTransaction.HOST));
        }
        if (domainStart >= 0 && domainEnd > domainStart)
        {
            if (store.getByte(domainStart) == '[' && store.getByte(domainEnd - 1) == ']')
            {
                domainStart++;
                domainEnd--;
            }
            out.name(DOMAIN).value(store, domainStart, domainEnd - domainStart);
        }
        out.endObject();
    }

    /** @return the end of the host in {@code host[:port]} or {@code [v6][:port]}. */
    private static int hostEnd(final DirectBuffer buffer, final int start, final int end)
    {
        if (start < end && buffer.getByte(start) == '[')
        {
            final int close = HttpChars.indexOf(buffer, start, end, (byte)']');
            return close >= 0 ? close + 1 : end;
        }
        final int colon = HttpChars.indexOf(buffer, start, end, (byte)':');
        return colon >= 0 ? colon : end;
    }

    private static int lastIndexOf(final DirectBuffer buffer, final int start, final int end, final byte b)
    {
        for (int i = end - 1; i >= start; i--)
        {
            if (buffer.getByte(i) == b)
            {
                return i;
            }
        }
        return -1;
    }

    private static void mimeType(final JsonWriter out, final HttpTransaction tx, final int field)
    {
        if (!tx.hasField(field))
        {
            return;
        }
        final DirectBuffer store = tx.store;
        final int start = tx.fieldOffset(field);
        int end = start + tx.fieldLength(field);
        final int semicolon = HttpChars.indexOf(store, start, end, (byte)';');
        if (semicolon >= 0)
        {
            end = semicolon;
        }
        while (end > start && HttpChars.isSpace(store.getByte(end - 1)))
        {
            end--;
        }
        if (end > start)
        {
            out.name(MIME_TYPE).value(store, start, end - start);
        }
    }

    private void body(
        final JsonWriter out, final HttpTransaction tx, final long bytes, final int bodyField, final int encodingField)
    {
        out.startObject(BODY).name(BYTES).value(bytes);
        if (tx.hasField(bodyField))
        {
            addedTags |= bodyContent.write(out, tx, bytes, bodyField, encodingField);
        }
        out.endObject();
    }

    private static void headers(final JsonWriter out, final HttpTransaction tx, final int side)
    {
        final int count = tx.headerCount[side];
        if (count == 0)
        {
            return;
        }
        final int[] table = tx.headers[side];
        final DirectBuffer store = tx.store;
        out.stringClass(JsonWriter.HEADER).startObject(HEADERS);
        for (int i = 0; i < count; i++)
        {
            final int nameOffset = table[4 * i];
            final int nameLength = table[4 * i + 1];
            if (seenBefore(store, table, i, nameOffset, nameLength))
            {
                continue;
            }
            // Repeated fields are one member, their values joined with ", " (RFC 9110 5.3).
            out.name(store, nameOffset, nameLength).startString();
            boolean first = true;
            for (int k = i; k < count; k++)
            {
                if (k != i && !sameName(store, table, k, nameOffset, nameLength))
                {
                    continue;
                }
                if (!first)
                {
                    out.appendAscii(LIST_SEPARATOR);
                }
                first = false;
                final int valueLength = table[4 * k + 3];
                if (valueLength == HttpTransaction.REDACTED)
                {
                    out.appendAscii(REDACTED_VALUE);
                }
                else
                {
                    out.appendEscaped(store, table[4 * k + 2], valueLength);
                }
            }
            out.endString();
        }
        out.endObject().stringClass(JsonWriter.KEPT);
    }

    private static boolean seenBefore(
        final DirectBuffer store, final int[] table, final int index, final int nameOffset, final int nameLength)
    {
        for (int j = 0; j < index; j++)
        {
            if (sameName(store, table, j, nameOffset, nameLength))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean sameName(
        final DirectBuffer store, final int[] table, final int index, final int nameOffset, final int nameLength)
    {
        if (table[4 * index + 1] != nameLength)
        {
            return false;
        }
        final int other = table[4 * index];
        for (int k = 0; k < nameLength; k++)
        {
            if (store.getByte(other + k) != store.getByte(nameOffset + k))
            {
                return false;
            }
        }
        return true;
    }
}
