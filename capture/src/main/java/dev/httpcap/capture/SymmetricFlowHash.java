package dev.httpcap.capture;

import dev.httpcap.common.TcpSegment;

/**
 * A 64-bit hash of a packet's transport 5-tuple that is the same in both directions, so that
 * client→server and server→client packets land on the same worker.
 */
public final class SymmetricFlowHash
{
    private SymmetricFlowHash()
    {
    }

    public static long hash(final PacketInfo info)
    {
        final TcpSegment segment = info.segment();
        final long a = endpoint(segment.srcHi, segment.srcLo, segment.srcPort);
        final long b = endpoint(segment.dstHi, segment.dstLo, segment.dstPort);
        // Addition commutes: hash(a, b) == hash(b, a).
        return mix(a + b + info.protocol);
    }

    private static long endpoint(final long hi, final long lo, final int port)
    {
        return mix(hi * 0x9E37_79B9_7F4A_7C15L ^ lo ^ ((long)port << 17));
    }

    private static long mix(final long value)
    {
        long z = value;
        z = (z ^ (z >>> 33)) * 0xFF51_AFD7_ED55_8CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CE_B9FE_1A85_EC53L;
        return z ^ (z >>> 33);
    }
}
