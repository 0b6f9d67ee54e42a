package dev.httpcap.decoders.http;

import java.util.Arrays;

/**
 * Limits and options of the HTTP/1.x decoder, fixed at start-up. Fluent setters; the defaults are
 * those of {@code bin/httpcap}. Every limit bounds memory: a message that breaks one is tagged and
 * the decoder goes on, it never buffers more.
 */
public final class HttpConfig
{
    /** The HTTP ports decoded by default; HTTP on other ports is found from a connection's first bytes. */
    public static final int[] DEFAULT_PORTS = {80, 8080, 8000, 3000, 5000, 8008, 8081, 9200};
    /**
     * Compressed bytes kept per message to inflate {@link #bodyBytes()} with {@link #decodeBody()}:
     * twice that (a deflate literal takes at most 15 bits) plus room for the gzip header and block
     * headers.
     */
    private static final int DECODE_SLACK_BYTES = 4096;

    /** How a captured body is written: {@code text} (invalid UTF-8 replaced), {@code base64}, or {@code auto}. */
    public enum BodyEncoding
    {
        /** As a JSON string, bytes that are not UTF-8 replaced by U+FFFD. */
        TEXT,
        /** Base64, in {@code body.content_base64}. */
        BASE64,
        /** Text when the body is well-formed UTF-8, else base64. */
        AUTO
    }

    private int maxLineBytes = 8 * 1024;
    private int maxHeaderBytes = 32 * 1024;
    private int maxHeaders = 100;
    private int bodyBytes;
    private boolean decodeBody;
    private BodyEncoding bodyEncoding = BodyEncoding.AUTO;
    private HeaderSelection headers = HeaderSelection.DEFAULT;
    private boolean redact = true;
    private java.util.List<String> redactNames = java.util.List.of();
    private final boolean[] ports = new boolean[65_536];
    private boolean detectOnAnyPort = true;
    private int maxPipelined = 64;
    private int lineBuffers = 100_000;
    private long lineBufferBytes = 32L << 20;
    // More than the 100,000 connections a worker holds by default (--max-flows), with room for
    // pipelined requests: at 65,536 a capture with 100,000 connections open at once lost a third
    // of its requests (counted as transactions_exhausted). Transactions are allocated on demand.
    private int maxTransactions = 131_072;
    private int probeBytes = 16 * 1024;
    private int wsPayloadBytes = 256;
    private int wsInflaters = 1_024;

    public HttpConfig()
    {
        ports(DEFAULT_PORTS);
    }

    /** @return the longest request line, status line, header line or chunk line kept whole. */
    public int maxLineBytes()
    {
        return maxLineBytes;
    }

    public HttpConfig maxLineBytes(final int maxLineBytes)
    {
        this.maxLineBytes = checkRange("max line bytes", maxLineBytes, 64, 1 << 20);
        return this;
    }

    /** @return header bytes of one message (names and values) kept for its event; beyond: {@code headers_truncated}. */
    public int maxHeaderBytes()
    {
        return maxHeaderBytes;
    }

    public HttpConfig maxHeaderBytes(final int maxHeaderBytes)
    {
        this.maxHeaderBytes = checkRange("max header bytes", maxHeaderBytes, 256, 1 << 22);
        return this;
    }

    /** @return header fields of one message kept for its event; beyond: {@code headers_truncated}. */
    public int maxHeaders()
    {
        return maxHeaders;
    }

    public HttpConfig maxHeaders(final int maxHeaders)
    {
        this.maxHeaders = checkRange("max headers", maxHeaders, 1, 10_000);
        return this;
    }

    /**
     * @return body bytes an event shows per message, after de-chunking (and inflating, with
     * {@link #decodeBody()}); 0 shows none.
     */
    public int bodyBytes()
    {
        return bodyBytes;
    }

    public HttpConfig bodyBytes(final int bodyBytes)
    {
        this.bodyBytes = checkRange("body bytes", bodyBytes, 0, 1 << 20);
        return this;
    }

    /**
     * @return body bytes copied off the wire per message: {@link #bodyBytes()}, or, when {@code encoded}
     * (the message has a {@code Content-Encoding}) and bodies are decoded, enough compressed bytes to
     * inflate that many (the event keeps {@link #bodyBytes()} decoded bytes).
     */
    public int bodyCaptureBytes(final boolean encoded)
    {
        return decodeBody && encoded && bodyBytes > 0 ? 2 * bodyBytes + DECODE_SLACK_BYTES : bodyBytes;
    }

    public BodyEncoding bodyEncoding()
    {
        return bodyEncoding;
    }

    public HttpConfig bodyEncoding(final BodyEncoding bodyEncoding)
    {
        this.bodyEncoding = java.util.Objects.requireNonNull(bodyEncoding, "body encoding");
        return this;
    }

    /** @return whether captured bodies with {@code Content-Encoding: gzip|deflate} are decoded for the event. */
    public boolean decodeBody()
    {
        return decodeBody;
    }

    public HttpConfig decodeBody(final boolean decodeBody)
    {
        this.decodeBody = decodeBody;
        return this;
    }

    public HeaderSelection headers()
    {
        return headers;
    }

    public HttpConfig headers(final HeaderSelection headers)
    {
        this.headers = headers;
        return this;
    }

    /** @return whether the values of authorization, proxy-authorization, cookie and set-cookie are replaced. */
    public boolean redact()
    {
        return redact;
    }

    public HttpConfig redact(final boolean redact)
    {
        this.redact = redact;
        return this;
    }

    /** @return more header names whose values are redacted when {@link #redact()} is on. */
    public java.util.List<String> redactNames()
    {
        return redactNames;
    }

    /** More header names whose values are redacted (checked by {@link HeaderRules#of(HttpConfig)}). */
    public HttpConfig redactNames(final java.util.List<String> names)
    {
        this.redactNames = java.util.List.copyOf(names);
        return this;
    }

    public boolean isHttpPort(final int port)
    {
        return ports[port];
    }

    /** Decode connections to these server ports as HTTP (replaces the list). */
    public HttpConfig ports(final int... ports)
    {
        Arrays.fill(this.ports, false);
        for (final int port : ports)
        {
            this.ports[checkRange("port", port, 1, 65_535)] = true;
        }
        return this;
    }

    /** @return whether connections on other ports are decoded when their first bytes are HTTP. */
    public boolean detectOnAnyPort()
    {
        return detectOnAnyPort;
    }

    public HttpConfig detectOnAnyPort(final boolean detect)
    {
        this.detectOnAnyPort = detect;
        return this;
    }

    /** @return requests one connection may have outstanding; older ones are reported {@code no_response}. */
    public int maxPipelined()
    {
        return maxPipelined;
    }

    public HttpConfig maxPipelined(final int maxPipelined)
    {
        this.maxPipelined = checkRange("max pipelined", maxPipelined, 1, 1 << 16);
        return this;
    }

    /**
     * @return buffers per worker for lines that span segments: one per direction that has a line
     * in two pieces at a time (the pipeline sizes it from the flow limit). Each starts small and
     * grows to {@link #maxLineBytes()} as its lines need, within {@link #lineBufferBytes()}.
     */
    public int lineBuffers()
    {
        return lineBuffers;
    }

    public HttpConfig lineBuffers(final int lineBuffers)
    {
        this.lineBuffers = checkRange("line buffers", lineBuffers, 1, 1 << 24);
        return this;
    }

    /** @return bytes all of one worker's line buffers may hold together. */
    public long lineBufferBytes()
    {
        return lineBufferBytes;
    }

    public HttpConfig lineBufferBytes(final long lineBufferBytes)
    {
        if (lineBufferBytes < 1 || lineBufferBytes > 1L << 40)
        {
            throw new IllegalArgumentException("line buffer bytes must be in 1.." + (1L << 40) + ": " + lineBufferBytes);
        }
        this.lineBufferBytes = lineBufferBytes;
        return this;
    }

    /** @return transactions one worker holds open at once (all connections together). */
    public int maxTransactions()
    {
        return maxTransactions;
    }

    public HttpConfig maxTransactions(final int maxTransactions)
    {
        this.maxTransactions = checkRange("max transactions", maxTransactions, 1, 1 << 24);
        return this;
    }

    /** @return stream bytes searched for a request or status line in a connection caught midstream on an unknown port. */
    public int probeBytes()
    {
        return probeBytes;
    }

    public HttpConfig probeBytes(final int probeBytes)
    {
        this.probeBytes = checkRange("probe bytes", probeBytes, 0, 1 << 24);
        return this;
    }

    /** @return payload bytes of each WebSocket message kept for its event (text is cut on a UTF-8 boundary). */
    public int wsPayloadBytes()
    {
        return wsPayloadBytes;
    }

    public HttpConfig wsPayloadBytes(final int wsPayloadBytes)
    {
        this.wsPayloadBytes = checkRange("websocket payload bytes", wsPayloadBytes, 0, 1 << 24);
        return this;
    }

    /** @return permessage-deflate decompressors per worker (each holds a 32 KiB window); beyond, messages are reported compressed. */
    public int wsInflaters()
    {
        return wsInflaters;
    }

    public HttpConfig wsInflaters(final int wsInflaters)
    {
        this.wsInflaters = checkRange("websocket inflaters", wsInflaters, 0, 1 << 20);
        return this;
    }

    /** @return bytes one transaction may keep: start lines, stored headers and captured bodies of both messages. */
    int transactionStoreBytes()
    {
        return 2 * (maxLineBytes + maxHeaderBytes + bodyCaptureBytes(true));
    }

    private static int checkRange(final String what, final int value, final int min, final int max)
    {
        if (value < min || value > max)
        {
            throw new IllegalArgumentException(what + " must be between " + min + " and " + max + ": " + value);
        }
        return value;
    }
}
