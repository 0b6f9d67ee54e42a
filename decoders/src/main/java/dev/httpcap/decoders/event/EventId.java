package dev.httpcap.decoders.event;

import dev.httpcap.decoders.tcp.TcpFlow;

/**
 * The {@code event.id} of an event: 128 bits, written as 22 characters of URL-safe base64, mixed
 * from the connection's Community ID digest, the kind of event, its number on the connection and
 * its capture time. Nothing else goes in, so reading the same capture twice gives every event the
 * same id, and a consumer can drop a record it has seen (the Kafka sink's at-least-once mode may
 * send one twice after a crash). The capture time tells apart connections that reuse a 4-tuple.
 * One instance per thread: it reuses its scratch array.
 */
public final class EventId
{
    /** Kind of an HTTP transaction event; its number is {@code httpcap.trans_depth}. */
    public static final int HTTP = 1;
    /** Kind of a WebSocket message from the client; its number counts the client's messages. */
    public static final int WEBSOCKET_CLIENT = 2;
    /** Kind of a WebSocket message from the server; its number counts the server's messages. */
    public static final int WEBSOCKET_SERVER = 3;
    /** Kind of a flow event; one per connection, number 0. */
    public static final int FLOW = 4;

    private static final byte[] BASE64URL =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".getBytes();

    private final CommunityId communityId;
    private final byte[] text = new byte[22];

    /** @param communityId the encoder's own, which keeps the connection's digest in the flow. */
    public EventId(final CommunityId communityId)
    {
        this.communityId = communityId;
    }

    /** Write the id of an event of {@code flow} as a JSON string value. */
    public void value(final JsonWriter out, final TcpFlow flow, final int kind, final long number, final long captureNanos)
    {
        communityId.digest(flow);
        long a = flow.communityDigest0() ^ 0x9E37_79B9_7F4A_7C15L;
        long b = flow.communityDigest1() ^ ((long)flow.communityDigest2() << 32 | kind & 0xFFFF_FFFFL);
        a = mix(a ^ number);
        b = mix(b + a);
        a = mix(a ^ captureNanos);
        b = mix(b + a);
        a = mix(a + b);

        int n = 0;
        n = put(a, n);
        put(b, n);
        out.startString().appendAscii(text, 0, text.length).endString();
    }

    /** 64 bits as 11 base64 characters (the last one carries 4 bits). */
    private int put(final long value, final int offset)
    {
        int n = offset;
        for (int shift = 58; shift >= 0; shift -= 6)
        {
            text[n++] = BASE64URL[(int)(value >>> shift) & 0x3F];
        }
        text[n++] = BASE64URL[(int)(value << 2) & 0x3F];
        return n;
    }

    /** MurmurHash3's 64-bit finaliser. */
    private static long mix(final long value)
    {
        long h = value;
        h ^= h >>> 33;
        h *= 0xFF51_AFD7_ED55_8CCDL;
        h ^= h >>> 33;
        h *= 0xC4CE_B9FE_1A85_EC53L;
        h ^= h >>> 33;
        return h;
    }
}
