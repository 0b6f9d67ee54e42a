package dev.httpcap.decoders.event;

import java.util.Arrays;

import dev.httpcap.decoders.tcp.TcpFlow;

/**
 * Community ID v1 flow hashes (https://github.com/corelight/community-id-spec), the value of
 * {@code network.community_id} that lets our records be joined with Zeek's, Suricata's and
 * Packetbeat's. One instance per thread: it reuses its digest and scratch arrays.
 * <p>
 * The SHA-1 is worked out here rather than by {@code MessageDigest}: the input (at most 40 bytes) is
 * always one block with its padding, and a connection's first event pays for it. In a fresh JVM,
 * 153,024 Community IDs (a capture's worth of connections) took 75-95 ms through
 * {@code MessageDigest} (its buffering and padding code; the SHA intrinsic only once C2 has compiled
 * the caller) and 66-82 ms here (perf/README.md, "worker per-packet cost").
 */
public final class CommunityId
{
    private static final byte[] BASE64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes();
    private static final int PROTOCOL_TCP = 6;

    private static final int H0 = 0x6745_2301;
    private static final int H1 = 0xEFCD_AB89;
    private static final int H2 = 0x98BA_DCFE;
    private static final int H3 = 0x1032_5476;
    private static final int H4 = 0xC3D2_E1F0;

    private final int seed;
    private final byte[] input = new byte[2 + 16 + 16 + 1 + 1 + 2 + 2];
    /** SHA-1's message schedule, 16 words rolled over the 80 rounds. */
    private final int[] words = new int[16];
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

        sha1(n);
    }

    /**
     * SHA-1 (FIPS 180-4) of {@code input[0, length)} into {@link #digest}, for {@code length <= 55}: the
     * message, its 0x80 and its bit length fit one 64-byte block.
     */
    private void sha1(final int length)
    {
        assert length <= 55 : "one SHA-1 block holds at most 55 bytes of input: " + length;
        final int[] w = words;
        Arrays.fill(w, 0);
        for (int i = 0; i < length; i++)
        {
            w[i >> 2] |= (input[i] & 0xFF) << (24 - 8 * (i & 3));
        }
        w[length >> 2] |= 0x80 << (24 - 8 * (length & 3));
        w[15] = length << 3;

        int a = H0;
        int b = H1;
        int c = H2;
        int d = H3;
        int e = H4;
        for (int i = 0; i < 80; i++)
        {
            final int wi;
            if (i < 16)
            {
                wi = w[i];
            }
            else
            {
                wi = Integer.rotateLeft(w[(i - 3) & 15] ^ w[(i - 8) & 15] ^ w[(i - 14) & 15] ^ w[i & 15], 1);
                w[i & 15] = wi;
            }
            final int f;
            if (i < 20)
            {
                f = ((b & c) | (~b & d)) + 0x5A82_7999;
            }
            else if (i < 40)
            {
                f = (b ^ c ^ d) + 0x6ED9_EBA1;
            }
            else if (i < 60)
            {
                f = ((b & c) | (b & d) | (c & d)) + 0x8F1B_BCDC;
            }
            else
            {
                f = (b ^ c ^ d) + 0xCA62_C1D6;
            }
            final int t = Integer.rotateLeft(a, 5) + f + e + wi;
            e = d;
            d = c;
            c = Integer.rotateLeft(b, 30);
            b = a;
            a = t;
        }
        putInt(0, H0 + a);
        putInt(4, H1 + b);
        putInt(8, H2 + c);
        putInt(12, H3 + d);
        putInt(16, H4 + e);
    }

    private void putInt(final int offset, final int value)
    {
        digest[offset] = (byte)(value >>> 24);
        digest[offset + 1] = (byte)(value >>> 16);
        digest[offset + 2] = (byte)(value >>> 8);
        digest[offset + 3] = (byte)value;
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
