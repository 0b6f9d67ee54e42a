package dev.httpcap.capture;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds frames for tests and benchmarks: a link layer (Ethernet with VLAN tags, Linux SLL/SLL2,
 * BSD NULL, raw), IPv4 (with options) or IPv6 (with extension headers), then TCP or UDP.
 */
public final class FrameBuilder
{
    private int linkType = LinkTypes.ETHERNET;
    private int[] vlans = new int[0];
    private int ipVersion = 4;
    private byte[] src = {10, 0, 0, 1};
    private byte[] dst = {10, 0, 0, 2};
    private int ipv4OptionsWords;
    private int[] ipv6Extensions = new int[0];
    private boolean fragment;
    private int protocol = 6;
    private int srcPort = 40000;
    private int dstPort = 80;
    private int flags = 0x18;
    private long seq = 1000;
    private long ack = 2000;
    private byte[] tcpOptions = new byte[0];
    private byte[] payload = new byte[0];

    public static FrameBuilder tcp()
    {
        return new FrameBuilder();
    }

    public FrameBuilder linkType(final int linkType)
    {
        this.linkType = linkType;
        return this;
    }

    public FrameBuilder vlans(final int... vlans)
    {
        this.vlans = vlans;
        return this;
    }

    public FrameBuilder ipv6()
    {
        ipVersion = 6;
        src = new byte[16];
        dst = new byte[16];
        src[0] = 0x20;
        src[1] = 0x01;
        src[15] = 1;
        dst[0] = 0x20;
        dst[1] = 0x01;
        dst[15] = 2;
        return this;
    }

    public FrameBuilder addresses(final byte[] src, final byte[] dst)
    {
        this.src = src;
        this.dst = dst;
        return this;
    }

    public FrameBuilder ipv4Options(final int words)
    {
        this.ipv4OptionsWords = words;
        return this;
    }

    /** IPv6 extension headers by next-header number (0 hop-by-hop, 43 routing, 60 destination options, 44 fragment). */
    public FrameBuilder ipv6Extensions(final int... headers)
    {
        this.ipv6Extensions = headers;
        return this;
    }

    public FrameBuilder fragment()
    {
        this.fragment = true;
        return this;
    }

    public FrameBuilder udp()
    {
        this.protocol = 17;
        return this;
    }

    public FrameBuilder protocol(final int protocol)
    {
        this.protocol = protocol;
        return this;
    }

    public FrameBuilder ports(final int srcPort, final int dstPort)
    {
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        return this;
    }

    public FrameBuilder flags(final int flags)
    {
        this.flags = flags;
        return this;
    }

    public FrameBuilder seq(final long seq, final long ack)
    {
        this.seq = seq;
        this.ack = ack;
        return this;
    }

    /** Raw TCP option bytes (each value is taken as an unsigned byte); padded to a multiple of 4. */
    public FrameBuilder tcpOptions(final int... options)
    {
        this.tcpOptions = new byte[options.length];
        for (int i = 0; i < options.length; i++)
        {
            this.tcpOptions[i] = (byte)options[i];
        }
        return this;
    }

    public FrameBuilder payload(final byte[] payload)
    {
        this.payload = payload;
        return this;
    }

    public FrameBuilder payload(final String payload)
    {
        return payload(payload.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    public byte[] build()
    {
        final byte[] l4 = transport();
        final byte[] l3 = ipVersion == 4 ? ipv4(l4) : ipv6(l4);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int etherType = ipVersion == 4 ? 0x0800 : 0x86DD;
        switch (linkType)
        {
            case LinkTypes.ETHERNET ->
            {
                out.writeBytes(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1});
                for (int i = 0; i < vlans.length; i++)
                {
                    putShort(out, i == 0 && vlans.length > 1 ? 0x88A8 : 0x8100);
                    putShort(out, vlans[i]);
                }
                putShort(out, etherType);
            }
            case LinkTypes.LINUX_SLL ->
            {
                putShort(out, 0);
                putShort(out, 1);
                putShort(out, 6);
                out.writeBytes(new byte[8]);
                putShort(out, etherType);
            }
            case LinkTypes.LINUX_SLL2 ->
            {
                putShort(out, etherType);
                putShort(out, 0);
                out.writeBytes(new byte[] {0, 0, 0, 1});
                putShort(out, 1);
                out.write(4);
                out.write(6);
                out.writeBytes(new byte[8]);
            }
            case LinkTypes.NULL ->
            {
                final int family = ipVersion == 4 ? 2 : 30;
                out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(family).array());
            }
            case LinkTypes.LOOP -> out.writeBytes(ByteBuffer.allocate(4).putInt(ipVersion == 4 ? 2 : 24).array());
            default ->
            {
                // raw IP: no link header
            }
        }
        out.writeBytes(l3);
        return out.toByteArray();
    }

    private byte[] transport()
    {
        if (protocol == 6)
        {
            final int optionsLength = (tcpOptions.length + 3) & ~3;
            final ByteBuffer b = ByteBuffer.allocate(20 + optionsLength + payload.length);
            b.putShort((short)srcPort).putShort((short)dstPort).putInt((int)seq).putInt((int)ack)
                .put((byte)(((20 + optionsLength) / 4) << 4)).put((byte)flags).putShort((short)65535)
                .putShort((short)0).putShort((short)0);
            b.put(tcpOptions);
            b.position(20 + optionsLength);
            b.put(payload);
            return b.array();
        }
        if (protocol == 17)
        {
            final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
            b.putShort((short)srcPort).putShort((short)dstPort).putShort((short)(8 + payload.length)).putShort((short)0);
            b.put(payload);
            return b.array();
        }
        return payload;
    }

    private byte[] ipv4(final byte[] l4)
    {
        final int headerLength = 20 + ipv4OptionsWords * 4;
        final ByteBuffer b = ByteBuffer.allocate(headerLength + l4.length);
        b.put((byte)(0x40 | (headerLength / 4))).put((byte)0).putShort((short)(headerLength + l4.length))
            .putShort((short)1).putShort((short)(fragment ? 0x2000 : 0x4000)).put((byte)64).put((byte)protocol)
            .putShort((short)0).put(src).put(dst);
        for (int i = 0; i < ipv4OptionsWords * 4; i++)
        {
            b.put((byte)1);
        }
        b.put(l4);
        return b.array();
    }

    private byte[] ipv6(final byte[] l4)
    {
        final ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        int firstNext = protocol;
        for (int i = ipv6Extensions.length - 1; i >= 0; i--)
        {
            final byte[] header = new byte[8];
            header[0] = (byte)firstNext;
            if (ipv6Extensions[i] == 44)
            {
                header[3] = (byte)(fragment ? 1 : 0);
            }
            final byte[] rest = extensions.toByteArray();
            extensions.reset();
            extensions.writeBytes(header);
            extensions.writeBytes(rest);
            firstNext = ipv6Extensions[i];
        }
        final byte[] ext = extensions.toByteArray();
        final ByteBuffer b = ByteBuffer.allocate(40 + ext.length + l4.length);
        b.putInt(0x6000_0000).putShort((short)(ext.length + l4.length)).put((byte)firstNext).put((byte)64)
            .put(src).put(dst).put(ext).put(l4);
        return b.array();
    }

    private static void putShort(final ByteArrayOutputStream out, final int value)
    {
        out.write(value >>> 8);
        out.write(value);
    }
}
