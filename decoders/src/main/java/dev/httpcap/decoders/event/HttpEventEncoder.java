package dev.httpcap.decoders.event;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import dev.httpcap.decoders.event.JsonWriter.Fragment;
import dev.httpcap.decoders.http.HttpConfig;
import dev.httpcap.decoders.http.HttpTransaction;
import dev.httpcap.decoders.tcp.Tags;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.websocket.WebSocketMessage;

import static dev.httpcap.decoders.event.EcsNames.BYTES;
import static dev.httpcap.decoders.event.EcsNames.HANDSHAKE;
import static dev.httpcap.decoders.event.EcsNames.HTTPCAP;
import static dev.httpcap.decoders.event.EcsNames.ORIGINAL;
import static dev.httpcap.decoders.event.EcsNames.OUTCOME;
import static dev.httpcap.decoders.event.EcsNames.SERVER;
import static dev.httpcap.decoders.event.EcsNames.TEXT_ARROW;
import static dev.httpcap.decoders.event.EcsNames.TIMING;
import static dev.httpcap.decoders.event.EcsNames.TRANS_DEPTH;
import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/**
 * Encodes a finished {@link HttpTransaction} as the ECS-aligned JSON event of
 * {@code docs/fields.md} ({@code event.dataset: "http"}), or as one readable line. Writes
 * straight into the output buffer; one instance per worker thread; allocation-free once warm.
 * <p>
 * An event never takes more than {@code maxEventBytes} (what the hand-off to the sinks can carry):
 * one that would is written again with its strings cut to fit — bodies first, then header values,
 * then the rest (see {@link JsonWriter#planCuts}) — and tagged {@code event_truncated}.
 */
public final class HttpEventEncoder
{
    private static final byte[] HTTP = encodeName("http");
    private static final byte[] SUCCESS = encodeName("success");
    private static final byte[] FAILURE = encodeName("failure");
    private static final byte[] UNKNOWN = encodeName("unknown");
    private static final byte[] USER_AGENT = encodeName("user_agent");
    private static final byte[] VERSION = encodeName("version");
    private static final byte[] VERSION_0_9 = encodeName("0.9");
    private static final byte[] REQUEST_LINE = encodeName("request_line");
    private static final byte[] REQUEST = encodeName("request");
    private static final byte[] RESPONSE = encodeName("response");
    private static final byte[] METHOD = encodeName("method");
    private static final byte[] BODY = encodeName("body");
    private static final byte[] STATUS_CODE = encodeName("status_code");
    private static final byte[] STATUS_PHRASE = encodeName("status_phrase");
    private static final byte[] USER = encodeName("user");
    private static final byte[] NAME = encodeName("name");
    private static final byte[] REFERRER = encodeName("referrer");
    private static final byte[] REQUEST_ID = encodeName("id");
    private static final Fragment HEAD = Endpoints.eventHead("[\"network\",\"web\"]", "[\"access\",\"protocol\"]", "http");
    private static final Fragment HEAD_ERROR =
        Endpoints.eventHead("[\"network\",\"web\"]", "[\"access\",\"error\",\"protocol\"]", "http");
    private static final Fragment[] NETWORK_HEADS = Endpoints.networkHeads("http");
    private static final byte[] INFO_CODE = encodeName("info_code");
    private static final byte[] UPLOAD = encodeName("upload");
    private static final byte[] DOWNLOAD = encodeName("download");
    private static final byte[][] VERSIONS = new byte[10][];
    private static final byte[] TEXT_NONE = encodeName(" -");
    private static final byte[] TEXT_MS = encodeName("ms ");

    static
    {
        for (int minor = 0; minor < VERSIONS.length; minor++)
        {
            VERSIONS[minor] = encodeName("1." + minor);
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
    private final HttpBodyWriter bodyContent;
    private final int maxEventBytes;
    /** Tags of the event being written besides the transaction's own: set while cutting, and by {@link #body}. */
    private int addedTags;
    /** While cutting: {@link Tags#EVENT_TRUNCATED}. */
    private int cutTags;
    /** While cutting an event whose header names alone would not fit: leave the headers out. */
    private boolean omitHeaders;
    private long truncatedEvents;
    private final EventId eventId = new EventId(communityId);
    private final HttpUrl url = new HttpUrl();
    private final Endpoints endpoints = new Endpoints();
    private final Observer observer;
    private final WebSocketEventWriter webSocket;

    public HttpEventEncoder(final HttpConfig config)
    {
        this(config, DEFAULT_MAX_EVENT_BYTES);
    }

    /** @param maxEventBytes the most bytes one encoded event may take (an event or line that would is cut to fit). */
    public HttpEventEncoder(final HttpConfig config, final int maxEventBytes)
    {
        this(config, maxEventBytes, Observer.NONE);
    }

    /**
     * @param maxEventBytes the most bytes one encoded event may take (an event or line that would is cut to fit).
     * @param observer where the events are observed (a live capture), or {@link Observer#NONE}.
     */
    public HttpEventEncoder(final HttpConfig config, final int maxEventBytes, final Observer observer)
    {
        this.bodyContent = new HttpBodyWriter(config);
        this.maxEventBytes = maxEventBytes;
        this.observer = observer;
        this.webSocket = new WebSocketEventWriter(json, communityId, eventId, observer, endpoints);
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
        final int length = webSocket.writeJson(flow, message, buffer, offset, cutTags);
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
        final int length = webSocket.writeText(flow, message, buffer, offset, cutTags);
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
            case WEBSOCKET_JSON -> webSocket.writeJson(flow, message, buffer, offset, cutTags);
            default -> webSocket.writeText(flow, message, buffer, offset, cutTags);
        };
    }

    private int writeJson(final TcpFlow flow, final HttpTransaction tx, final MutableDirectBuffer buffer, final int offset)
    {
        addedTags = cutTags;
        final JsonWriter out = json.wrap(buffer, offset);
        final DirectBuffer store = tx.store();
        final boolean response = tx.status() != 0 || (tx.statusless() && tx.hasResponse());
        final long start = tx.hasRequest() ? tx.requestStartNanos() : tx.responseStartNanos();
        url.parse(tx);

        endpoints.openEvent(out, start, tx.status() >= 400 ? HEAD_ERROR : HEAD);
        eventId.value(out, flow, EventId.HTTP, tx.depth(), start);
        endpoints.start(out);
        if (response)
        {
            endpoints.end(out, start, Math.max(start, tx.responseEndNanos()));
        }
        out.name(OUTCOME).rawString(tx.status() == 0 ? UNKNOWN : tx.status() >= 400 ? FAILURE : SUCCESS).endObject();

        endpoints.endpoints(out, flow, -1, tx.requestBytes(), -1, tx.responseBytes(), url);
        Endpoints.network(out, flow, communityId, NETWORK_HEADS, observer.direction(flow), -1, tx.requestBytes() + tx.responseBytes());
        out.rawMembers(observer.members());

        url.write(out);
        if (tx.hasField(HttpTransaction.USER_AGENT))
        {
            out.startObject(USER_AGENT).name(ORIGINAL)
                .value(store, tx.fieldOffset(HttpTransaction.USER_AGENT), tx.fieldLength(HttpTransaction.USER_AGENT))
                .endObject();
        }
        if (tx.hasField(HttpTransaction.USER_NAME))
        {
            out.startObject(USER).name(NAME)
                .value(store, tx.fieldOffset(HttpTransaction.USER_NAME), tx.fieldLength(HttpTransaction.USER_NAME))
                .endObject();
        }

        out.startObject(HTTP);
        final int minor = tx.requestMinor() >= 0 ? tx.requestMinor() : tx.responseMinor();
        if (tx.http09())
        {
            out.name(VERSION).rawString(VERSION_0_9);
        }
        else if (minor >= 0)
        {
            out.name(VERSION).rawString(VERSIONS[minor]);
        }
        if (tx.hasRequest())
        {
            out.startObject(REQUEST);
            field(out, tx, REQUEST_ID, HttpTransaction.REQUEST_ID);
            field(out, tx, METHOD, HttpTransaction.METHOD);
            field(out, tx, REFERRER, HttpTransaction.REFERRER);
            out.name(BYTES).value(tx.requestBytes());
            body(out, tx, tx.requestBodyBytes(), HttpTransaction.REQUEST_BODY, HttpTransaction.REQUEST_CONTENT_ENCODING);
            if (!omitHeaders)
            {
                HttpFields.headers(out, tx, 0);
            }
            out.endObject();
        }
        if (response)
        {
            out.startObject(RESPONSE);
            if (tx.status() != 0)
            {
                out.name(STATUS_CODE).value(tx.status());
            }
            field(out, tx, STATUS_PHRASE, HttpTransaction.PHRASE);
            out.name(BYTES).value(tx.responseBytes());
            body(out, tx, tx.responseBodyBytes(), HttpTransaction.RESPONSE_BODY, HttpTransaction.RESPONSE_CONTENT_ENCODING);
            if (!omitHeaders)
            {
                HttpFields.headers(out, tx, 1);
            }
            out.endObject();
        }
        out.endObject();

        endpoints.related(out, flow, url);
        EventTags.tagsArray(out, tx.tags() | addedTags);

        out.startObject(HTTPCAP).name(TRANS_DEPTH).value(tx.depth());
        if (tx.infoCode() != 0)
        {
            out.name(INFO_CODE).value(tx.infoCode());
        }
        field(out, tx, REQUEST_LINE, HttpTransaction.REQUEST_LINE);
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

    /** {@code name: "value"} of stored field {@code field} of {@code tx}, when present. */
    private static void field(final JsonWriter out, final HttpTransaction tx, final byte[] name, final int field)
    {
        if (tx.hasField(field))
        {
            out.name(name).value(tx.store(), tx.fieldOffset(field), tx.fieldLength(field));
        }
    }

    private int writeText(final TcpFlow flow, final HttpTransaction tx, final MutableDirectBuffer buffer, final int offset)
    {
        final JsonWriter out = json.wrap(buffer, offset);
        final DirectBuffer store = tx.store();
        final long start = tx.hasRequest() ? tx.requestStartNanos() : tx.responseStartNanos();
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
        if (tx.status() != 0)
        {
            final long duration = Math.max(0, tx.responseEndNanos() - start);
            out.appendAscii(' ').appendDecimal(tx.status()).appendAscii(' ')
                .appendDecimal(duration / 1_000_000).appendAscii('.').appendPadded((duration / 1_000) % 1_000, 3)
                .appendAscii(TEXT_MS);
        }
        else
        {
            out.appendAscii(TEXT_NONE).appendAscii(TEXT_NONE).appendAscii(' ');
        }
        out.appendDecimal(tx.requestBytes()).appendAscii('/').appendDecimal(tx.responseBytes());
        EventTags.appendTags(out, tx.tags() | cutTags);
        return out.length();
    }

    private void body(
        final JsonWriter out, final HttpTransaction tx, final long bytes, final int bodyField, final int encodingField)
    {
        bodyContent.prepare(tx, bytes, bodyField, encodingField);
        bodyContent.mimeType(out);
        out.startObject(BODY).name(BYTES).value(bytes);
        addedTags |= bodyContent.content(out);
        out.endObject();
    }
}
