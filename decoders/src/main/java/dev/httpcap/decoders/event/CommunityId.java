package dev.httpcap.decoders.event;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import dev.httpcap.decoders.tcp.TcpFlow;

/**
 * Community ID v1 flow hashes (https://github.com/corelight/community-id-spec), the value of
 * {@code network.community_id} that lets our records be joined with Zeek's, Suricata's and
 * Packetbeat's. One instance per thread: it reuses its digest and scratch arrays.
 */
public final class CommunityId
{
    private static final byte[] BASE64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes();
    private static final int PROTOCOL_TCP = 6;

    private final MessageDigest sha1;
    private final int seed;
    private final byte[] input = new byte[2 + 16 + 16 + 1 + 1 + 2 + 2];
    private final byte[] digest = new byte[20];
    /** "1:" and the digest in base64: 2 + 28 bytes. */
    private final byte[] text = new byte[30];
    /** Whether {@link #text} holds the text of the flow digest below (kept from the last event). */
    private boolean textKnown;
    private long textDigest0;
    private long textDigest1;
    private int textDigest2;

    public CommunityId()
    {
        this(0);
    }

    public CommunityId(final int seed)
    {
        this.seed = seed;
        try
        {
            sha1 = MessageDigest.getInstance("SHA-1");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-1 is required by the Java platform", ex);
        }
    }

    /**
     * Write the Community ID of a TCP flow as a JSON string value. The digest is worked out for
     * the flow's first event and kept in the flow for the others (one SHA-1 per connection, not
     * per event); its text is kept for the next event of the same flow.
     */
    public void value(final JsonWriter out, final TcpFlow flow)
    {
        digest(flow);
        final long digest0 = flow.communityDigest0();
        final long digest1 = flow.communityDigest1();
        final int digest2 = flow.communityDigest2();
        if (!textKnown || digest0 != textDigest0 || digest1 != textDigest1 || digest2 != textDigest2)
        {
            putLong(0, digest0);
            putLong(8, digest1);
            digest[16] = (byte)(digest2 >>> 24);
            digest[17] = (byte)(digest2 >>> 16);
            digest[18] = (byte)(digest2 >>> 8);
            digest[19] = (byte)digest2;
            renderText();
            textKnown = true;
            textDigest0 = digest0;
            textDigest1 = digest1;
            textDigest2 = digest2;
        }
        out.startString().appendAscii(text, 0, text.length).endString();
    }

    /** Work out the digest of a TCP flow and keep it in the flow, unless it is there already. */
    public void digest(final TcpFlow flow)
    {
        if (!flow.communityDigestKnown())
        {
            digest(flow.ipVersion(), PROTOCOL_TCP,
                flow.clientHi(), flow.clientLo(), flow.clientPort(), flow.serverHi(), flow.serverLo(), flow.serverPort());
            flow.communityDigest(getLong(0), getLong(8),
                ((digest[16] & 0xFF) << 24) | ((digest[17] & 0xFF) << 16) | ((digest[18] & 0xFF) << 8) | (digest[19] & 0xFF));
        }
    }

    /**
     * Write the Community ID of a flow as a JSON string value. Addresses are 128-bit values,
     * IPv4 as IPv4-mapped; the endpoints may be given in either order.
     */
    public void value(
        final JsonWriter out,
        final int ipVersion,
        final int protocol,
        final long aHi, final long aLo, final int aPort,
        final long bHi, final long bLo, final int bPort)
    {
        digest(ipVersion, protocol, aHi, aLo, aPort, bHi, bLo, bPort);
        textKnown = false;
        renderText();
        out.startString().appendAscii(text, 0, text.length).endString();
    }

    private void digest(
        final int ipVersion,
        final int protocol,
        final long aHi, final long aLo, final int aPort,
        final long bHi, final long bLo, final int bPort)
    {
        final boolean aFirst = Long.compareUnsigned(aHi, bHi) < 0 ||
            (aHi == bHi && (Long.compareUnsigned(aLo, bLo) < 0 || (aLo == bLo && aPort <= bPort)));
        int n = 0;
        input[n++] = (byte)(seed >>> 8);
        input[n++] = (byte)seed;
        n = putAddress(n, ipVersion, aFirst ? aHi : bHi, aFirst ? aLo : bLo);
        n = putAddress(n, ipVersion, aFirst ? bHi : aHi, aFirst ? bLo : aLo);
        input[n++] = (byte)protocol;
        input[n++] = 0;
        final int p1 = aFirst ? aPort : bPort;
        final int p2 = aFirst ? bPort : aPort;
        input[n++] = (byte)(p1 >>> 8);
        input[n++] = (byte)p1;
        input[n++] = (byte)(p2 >>> 8);
        input[n++] = (byte)p2;

        sha1.reset();
        sha1.update(input, 0, n);
        try
        {
            sha1.digest(digest, 0, digest.length);
        }
        catch (final DigestException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private void renderText()
    {
        final byte[] text = this.text;
        text[0] = '1';
        text[1] = ':';
        // 20 bytes: six full 3-byte groups, then 2 bytes with one '=' of padding.
        int n = 2;
        int i = 0;
        for (; i + 3 <= digest.length; i += 3)
        {
            final int v = ((digest[i] & 0xFF) << 16) | ((digest[i + 1] & 0xFF) << 8) | (digest[i + 2] & 0xFF);
            text[n++] = BASE64[v >>> 18];
            text[n++] = BASE64[(v >>> 12) & 0x3F];
            text[n++] = BASE64[(v >>> 6) & 0x3F];
            text[n++] = BASE64[v & 0x3F];
        }
        final int v = ((digest[i] & 0xFF) << 16) | ((digest[i + 1] & 0xFF) << 8);
        text[n++] = BASE64[v >>> 18];
        text[n++] = BASE64[(v >>> 12) & 0x3F];
        text[n++] = BASE64[(v >>> 6) & 0x3F];
        text[n] = '=';
    }

    private long getLong(final int offset)
    {
        long value = 0;
        for (int i = 0; i < Long.BYTES; i++)
        {
            value = (value << 8) | (digest[offset + i] & 0xFF);
        }
        return value;
    }

    private void putLong(final int offset, final long value)
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            digest[offset + i] = (byte)(value >>> (56 - 8 * i));
        }
    }

    private int putAddress(final int offset, final int ipVersion, final long hi, final long lo)
    {
        int n = offset;
        if (ipVersion == 4)
        {
            for (int shift = 24; shift >= 0; shift -= 8)
            {
                input[n++] = (byte)(lo >>> shift);
            }
            return n;
        }
        for (int shift = 56; shift >= 0; shift -= 8)
        {
            input[n++] = (byte)(hi >>> shift);
        }
        for (int shift = 56; shift >= 0; shift -= 8)
        {
            input[n++] = (byte)(lo >>> shift);
        }
        return n;
    }
}
