package dev.httpcap.app.analysis;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

import org.agrona.ExpandableArrayBuffer;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.event.CommunityId;
import dev.httpcap.decoders.event.EventText;
import dev.httpcap.decoders.event.JsonWriter;

/**
 * Which packets belong to the connection {@code httpcap follow} shows: chosen by its index in the
 * capture (tshark's {@code tcp.stream} numbering), its 4-tuple or its Community ID. Until the
 * connection is found every TCP packet's endpoints are looked up (one hash probe, no allocation
 * except for each new connection); once found, a packet is only compared with its 4-tuple.
 * <p>
 * tshark's numbering, reproduced: a connection is numbered when its first packet is seen; a SYN
 * without ACK on a known 4-tuple whose sequence number differs from the first one seen from that
 * side starts a new connection (the 4-tuple was reused), with the next number.
 */
public final class ConnectionSelector
{
    /** What a packet is to the followed connection. */
    public enum Verdict
    {
        /** Another connection's, or not TCP. */
        OTHER,
        /** The followed connection's. */
        SELECTED,
        /** The followed connection is over: its 4-tuple starts a new connection. */
        DONE
    }

    private enum Mode
    {
        STREAM, TUPLE, COMMUNITY_ID
    }

    /** A 4-tuple in a canonical order (the lower endpoint first), and the first sequence number seen from each side. */
    private static final class Conn
    {
        long aHi;
        long aLo;
        int aPort;
        long bHi;
        long bLo;
        int bPort;
        int number;
        long firstSeqA = -1;
        long firstSeqB = -1;

        void set(final TcpSegment p)
        {
            if (lower(p.srcHi, p.srcLo, p.srcPort, p.dstHi, p.dstLo, p.dstPort))
            {
                aHi = p.srcHi;
                aLo = p.srcLo;
                aPort = p.srcPort;
                bHi = p.dstHi;
                bLo = p.dstLo;
                bPort = p.dstPort;
            }
            else
            {
                aHi = p.dstHi;
                aLo = p.dstLo;
                aPort = p.dstPort;
                bHi = p.srcHi;
                bLo = p.srcLo;
                bPort = p.srcPort;
            }
        }

        Conn copy()
        {
            final Conn c = new Conn();
            c.aHi = aHi;
            c.aLo = aLo;
            c.aPort = aPort;
            c.bHi = bHi;
            c.bLo = bLo;
            c.bPort = bPort;
            return c;
        }

        @Override
        public boolean equals(final Object o)
        {
            return o instanceof Conn c && c.aHi == aHi && c.aLo == aLo && c.aPort == aPort && c.bHi == bHi && c.bLo == bLo &&
                c.bPort == bPort;
        }

        @Override
        public int hashCode()
        {
            long h = aHi * 31 + aLo;
            h = h * 31 + aPort;
            h = h * 31 + bHi;
            h = h * 31 + bLo;
            h = h * 31 + bPort;
            return (int)(h ^ (h >>> 32));
        }
    }

    private final Mode mode;
    private final long wantedStream;
    private final String wantedCommunityId;
    private final Map<Conn, Conn> seen = new HashMap<>();
    private final Conn probe = new Conn();
    private final CommunityId communityId = new CommunityId();
    private final JsonWriter json = new JsonWriter();
    private final ExpandableArrayBuffer scratch = new ExpandableArrayBuffer(64);
    private final Conn wantedTuple;
    private Conn selected;
    private int nextNumber;
    private boolean done;
    /** The tcp.stream number of the followed connection, once found. */
    private int selectedNumber = -1;

    private ConnectionSelector(final Mode mode, final long stream, final String communityIdText, final Conn tuple)
    {
        this.mode = mode;
        this.wantedStream = stream;
        this.wantedCommunityId = communityIdText;
        this.wantedTuple = tuple;
    }

    /** The connection numbered {@code index} (tshark's {@code tcp.stream}, from 0). */
    public static ConnectionSelector byStream(final long index)
    {
        return new ConnectionSelector(Mode.STREAM, index, null, null);
    }

    /** The first connection with the Community ID v1 {@code id} ({@code 1:...}). */
    public static ConnectionSelector byCommunityId(final String id)
    {
        return new ConnectionSelector(Mode.COMMUNITY_ID, -1, id, null);
    }

    /**
     * The first connection between two endpoints, in either order: {@code IP:PORT,IP:PORT} (IPv6
     * in brackets: {@code [::1]:8080}).
     *
     * @throws IllegalArgumentException when it is not two numeric endpoints.
     */
    public static ConnectionSelector byTuple(final String endpoints)
    {
        final String[] parts = endpoints.split(",");
        if (parts.length != 2)
        {
            throw new IllegalArgumentException("expected IP:PORT,IP:PORT, got '" + endpoints + "'");
        }
        final long[] a = endpoint(parts[0].strip());
        final long[] b = endpoint(parts[1].strip());
        final TcpSegment p = new TcpSegment();
        p.srcHi = a[0];
        p.srcLo = a[1];
        p.srcPort = (int)a[2];
        p.dstHi = b[0];
        p.dstLo = b[1];
        p.dstPort = (int)b[2];
        final Conn tuple = new Conn();
        tuple.set(p);
        return new ConnectionSelector(Mode.TUPLE, -1, null, tuple);
    }

    private static long[] endpoint(final String text)
    {
        final int colon = text.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("expected IP:PORT, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try
        {
            port = Integer.parseInt(text.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("bad port in '" + text + "'");
        }
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("bad port in '" + text + "'");
        }
        final InetAddress address;
        try
        {
            address = InetAddress.ofLiteral(host);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("'" + host + "' is not an IP address");
        }
        final byte[] raw = address.getAddress();
        if (address instanceof Inet4Address)
        {
            final int v4 = (raw[0] & 0xff) << 24 | (raw[1] & 0xff) << 16 | (raw[2] & 0xff) << 8 | (raw[3] & 0xff);
            return new long[] {0, EventText.ipv4MappedLo(v4), port};
        }
        if (address instanceof Inet6Address)
        {
            long hi = 0;
            long lo = 0;
            for (int i = 0; i < 8; i++)
            {
                hi = hi << 8 | (raw[i] & 0xff);
                lo = lo << 8 | (raw[8 + i] & 0xff);
            }
            return new long[] {hi, lo, port};
        }
        throw new IllegalArgumentException("'" + host + "' is not an IP address");
    }

    /** @return what the TCP packet described by {@code p} is to the followed connection. */
    public Verdict onTcpPacket(final TcpSegment p)
    {
        if (done)
        {
            return Verdict.DONE;
        }
        final boolean pureSyn = (p.flags & (TcpSegment.SYN | TcpSegment.ACK)) == TcpSegment.SYN;
        if (selected != null)
        {
            if (!matches(selected, p))
            {
                return Verdict.OTHER;
            }
            if (reused(selected, p, pureSyn))
            {
                done = true;
                return Verdict.DONE;
            }
            return Verdict.SELECTED;
        }
        probe.set(p);
        Conn conn = seen.get(probe);
        if (conn == null || reused(conn, p, pureSyn))
        {
            conn = probe.copy();
            conn.number = nextNumber++;
            seen.put(conn, conn);
            firstSeq(conn, p);
            if (isWanted(conn, p))
            {
                selected = conn;
                selectedNumber = conn.number;
                seen.clear();
            }
            return selected == conn ? Verdict.SELECTED : Verdict.OTHER;
        }
        return Verdict.OTHER;
    }

    private boolean isWanted(final Conn conn, final TcpSegment p)
    {
        return switch (mode)
        {
            case STREAM -> conn.number == wantedStream;
            case COMMUNITY_ID -> wantedCommunityId.equals(communityId(p));
            case TUPLE -> conn.equals(wantedTuple);
        };
    }

    /** Records the first sequence number seen from the sender; @return whether this SYN starts a new connection. */
    private static boolean reused(final Conn conn, final TcpSegment p, final boolean pureSyn)
    {
        final boolean fromA = p.srcHi == conn.aHi && p.srcLo == conn.aLo && p.srcPort == conn.aPort;
        final long first = fromA ? conn.firstSeqA : conn.firstSeqB;
        if (first < 0)
        {
            firstSeq(conn, p);
            return false;
        }
        return pureSyn && first != p.seq;
    }

    private static void firstSeq(final Conn conn, final TcpSegment p)
    {
        final boolean fromA = p.srcHi == conn.aHi && p.srcLo == conn.aLo && p.srcPort == conn.aPort;
        if (fromA && conn.firstSeqA < 0)
        {
            conn.firstSeqA = p.seq;
        }
        else if (!fromA && conn.firstSeqB < 0)
        {
            conn.firstSeqB = p.seq;
        }
    }

    private static boolean matches(final Conn c, final TcpSegment p)
    {
        return (p.srcPort == c.aPort && p.dstPort == c.bPort && p.srcLo == c.aLo && p.dstLo == c.bLo && p.srcHi == c.aHi &&
            p.dstHi == c.bHi) ||
            (p.srcPort == c.bPort && p.dstPort == c.aPort && p.srcLo == c.bLo && p.dstLo == c.aLo && p.srcHi == c.bHi &&
                p.dstHi == c.aHi);
    }

    private static boolean lower(final long aHi, final long aLo, final int aPort, final long bHi, final long bLo, final int bPort)
    {
        return Long.compareUnsigned(aHi, bHi) < 0 ||
            (aHi == bHi && (Long.compareUnsigned(aLo, bLo) < 0 || (aLo == bLo && aPort <= bPort)));
    }

    /** @return the Community ID v1 of the packet's connection. */
    String communityId(final TcpSegment p)
    {
        json.wrap(scratch, 0);
        communityId.value(json, p.ipVersion, 6, p.srcHi, p.srcLo, p.srcPort, p.dstHi, p.dstLo, p.dstPort);
        // Written as a JSON string: drop the quotes.
        return scratch.getStringWithoutLengthAscii(1, json.length() - 2);
    }

    /** @return the followed connection's tcp.stream number, or -1 before it is found. */
    public int selectedNumber()
    {
        return selectedNumber;
    }

    /** @return how many connections were numbered before the search ended. */
    public int connectionsSeen()
    {
        return nextNumber;
    }

    /** @return text of the IP address {@code hi:lo} of {@code ipVersion} (RFC 5952 for IPv6). */
    public static String ipText(final int ipVersion, final long hi, final long lo)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
        final JsonWriter out = new JsonWriter().wrap(buffer, 0);
        EventText.appendIp(out, ipVersion, hi, lo);
        return buffer.getStringWithoutLengthAscii(0, out.length());
    }
}
