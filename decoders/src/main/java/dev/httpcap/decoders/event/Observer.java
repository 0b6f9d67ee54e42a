package dev.httpcap.decoders.event;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.agrona.ExpandableArrayBuffer;

import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/**
 * Where the events of a live capture are observed: the host httpcap runs on and the interface it
 * captures on, rendered once into the {@code observer} and {@code host} members every event of the
 * capture carries, and the host's addresses, which tell {@code network.direction}. Reading a capture
 * file has no observer ({@link #NONE}): the file does not say where it was recorded, and the same
 * file must give the same events on every machine.
 */
public final class Observer
{
    /** No observer: no {@code observer}, {@code host} or {@code network.direction}. */
    public static final Observer NONE = new Observer(new byte[0], new long[0]);

    static final int UNKNOWN = 0;
    static final int INGRESS = 1;
    static final int EGRESS = 2;
    static final int INTERNAL = 3;
    static final byte[][] DIRECTIONS = {null, encodeName("ingress"), encodeName("egress"), encodeName("internal")};

    private final byte[] members;
    /** The host's addresses as (version, hi, lo) triples, in the flows' representation. */
    private final long[] local;

    private Observer(final byte[] members, final long[] local)
    {
        this.members = members;
        this.local = local;
    }

    /**
     * The observer of a live capture on {@code interfaceName} from this host: its name and every
     * address of its interfaces.
     */
    public static Observer live(final String interfaceName)
    {
        // The kernel's name, not a resolver look-up (which may hang in a namespace without DNS).
        String hostname;
        try
        {
            hostname = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            hostname = "";
        }
        if (hostname.isEmpty())
        {
            hostname = System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
        final List<InetAddress> addresses = new ArrayList<>();
        try
        {
            for (final NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces()))
            {
                addresses.addAll(Collections.list(nic.getInetAddresses()));
            }
        }
        catch (final SocketException ex)
        {
            // no addresses known: no network.direction
        }
        return of(hostname, addresses, interfaceName);
    }

    /** An observer named {@code hostname} with these addresses, capturing on {@code interfaceName} (null: not said). */
    public static Observer of(final String hostname, final List<InetAddress> addresses, final String interfaceName)
    {
        final List<InetAddress> usable = List.copyOf(addresses);
        final long[] local = new long[3 * usable.size()];
        for (int i = 0; i < usable.size(); i++)
        {
            final byte[] raw = usable.get(i).getAddress();
            if (raw.length == 4)
            {
                local[3 * i] = 4;
                local[3 * i + 2] = ByteBuffer.wrap(raw).getInt() & 0xFFFFFFFFL;
            }
            else
            {
                local[3 * i] = 6;
                local[3 * i + 1] = ByteBuffer.wrap(raw, 0, 8).getLong();
                local[3 * i + 2] = ByteBuffer.wrap(raw, 8, 8).getLong();
            }
        }

        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(512);
        final JsonWriter out = new JsonWriter().wrap(buffer, 0);
        out.startObject();
        out.startObject(encodeName("observer")).name(encodeName("hostname")).value(text(hostname), 0, text(hostname).capacity());
        writeIps(out, usable);
        if (interfaceName != null)
        {
            out.startObject(encodeName("ingress")).startObject(encodeName("interface"))
                .name(encodeName("name")).value(text(interfaceName), 0, text(interfaceName).capacity()).endObject().endObject();
        }
        out.name(encodeName("product")).rawString(encodeName("httpcap"))
            .name(encodeName("type")).rawString(encodeName("sensor"))
            .endObject();
        out.startObject(encodeName("host")).name(encodeName("name")).value(text(hostname), 0, text(hostname).capacity())
            .name(encodeName("hostname")).value(text(hostname), 0, text(hostname).capacity());
        writeIps(out, usable);
        out.endObject();
        out.endObject();
        final int length = out.length();
        // Without the enclosing braces: members to splice into an event.
        final byte[] members = new byte[length - 2];
        buffer.getBytes(1, members);
        return new Observer(members, local);
    }

    private static void writeIps(final JsonWriter out, final List<InetAddress> addresses)
    {
        if (addresses.isEmpty())
        {
            return;
        }
        out.name(encodeName("ip")).startArray();
        for (final InetAddress address : addresses)
        {
            final byte[] raw = address.getAddress();
            final long hi = raw.length == 16 ? ByteBuffer.wrap(raw, 0, 8).getLong() : 0;
            final long lo = raw.length == 16 ? ByteBuffer.wrap(raw, 8, 8).getLong() : ByteBuffer.wrap(raw).getInt() & 0xFFFFFFFFL;
            EventText.ipValue(out, address instanceof Inet4Address ? 4 : 6, hi, lo);
        }
        out.endArray();
    }

    private static org.agrona.concurrent.UnsafeBuffer text(final String s)
    {
        return new org.agrona.concurrent.UnsafeBuffer(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** @return the pre-rendered {@code "observer":{...},"host":{...}} members, empty without an observer. */
    byte[] members()
    {
        return members;
    }

    /** @return whether there is an observer (a live capture). */
    public boolean live()
    {
        return members.length > 0;
    }

    /** @return {@link #INGRESS}, {@link #EGRESS}, {@link #INTERNAL} or {@link #UNKNOWN}, from the host's point of view. */
    int direction(final TcpFlow flow)
    {
        if (local.length == 0)
        {
            return UNKNOWN;
        }
        final boolean client = isLocal(flow.ipVersion(), flow.clientHi(), flow.clientLo());
        final boolean server = isLocal(flow.ipVersion(), flow.serverHi(), flow.serverLo());
        return client ? (server ? INTERNAL : EGRESS) : server ? INGRESS : UNKNOWN;
    }

    private boolean isLocal(final int version, final long hi, final long lo)
    {
        for (int i = 0; i < local.length; i += 3)
        {
            // IPv4 flows carry the address in lo's low half (as an IPv4-mapped IPv6 address).
            if (local[i] == version &&
                (version == 4 ? (lo & 0xFFFF_FFFFL) == local[i + 2] : local[i + 1] == hi && local[i + 2] == lo))
            {
                return true;
            }
        }
        return false;
    }
}
