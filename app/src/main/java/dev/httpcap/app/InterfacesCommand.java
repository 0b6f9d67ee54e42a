package dev.httpcap.app;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.httpcap.app.cli.CommandSpec;

/** {@code httpcap interfaces}: what can be captured on, like {@code tcpdump -D} with addresses. */
final class InterfacesCommand
{
    static CommandSpec spec()
    {
        return new CommandSpec("httpcap interfaces",
            "List the network interfaces: name, index, state, link type and addresses.", true);
    }

    int call() throws SocketException
    {
        final List<NetworkInterface> interfaces = new ArrayList<>(NetworkInterface.networkInterfaces().toList());
        interfaces.sort(Comparator.comparingInt(NetworkInterface::getIndex));
        System.out.printf("%-5s %-16s %-5s %-10s %s%n", "INDEX", "NAME", "STATE", "LINK", "ADDRESSES");
        for (final NetworkInterface nic : interfaces)
        {
            final List<String> addresses = new ArrayList<>();
            for (final InterfaceAddress address : nic.getInterfaceAddresses())
            {
                addresses.add(addressText(address.getAddress()) + "/" + address.getNetworkPrefixLength());
            }
            System.out.printf("%-5d %-16s %-5s %-10s %s%n", nic.getIndex(), nic.getName(), nic.isUp() ? "up" : "down",
                linkType(nic.getName()), String.join(" ", addresses));
        }
        return 0;
    }

    /** An address as {@code ip addr} shows it: IPv6 in the short form of RFC 5952 ({@code ::1}, {@code fe80::1}). */
    static String addressText(final InetAddress address)
    {
        final byte[] bytes = address.getAddress();
        if (bytes.length != 16)
        {
            return address.getHostAddress();
        }
        final int[] groups = new int[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = (bytes[2 * i] & 0xFF) << 8 | bytes[2 * i + 1] & 0xFF;
        }
        // The longest run of two or more zero groups (the first of equals) becomes "::".
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; )
        {
            int end = i;
            while (end < 8 && groups[end] == 0)
            {
                end++;
            }
            if (end - i > bestLength)
            {
                bestStart = i;
                bestLength = end - i;
            }
            i = end > i ? end : i + 1;
        }
        final StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':')
            {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    /** The link type as the kernel reports it (ARPHRD_*), in libpcap's words. */
    static String linkType(final String name)
    {
        try
        {
            final int type = Integer.parseInt(Files.readString(Path.of("/sys/class/net", name, "type")).strip());
            return switch (type)
            {
                case 1 -> "ethernet";
                case 772 -> "loopback";
                case 65534 -> "none";
                case 776 -> "sit";
                case 778 -> "gre";
                case 801 -> "wlan";
                case 512 -> "ppp";
                default -> "arphrd-" + type;
            };
        }
        catch (final IOException | NumberFormatException ex)
        {
            return "unknown";
        }
    }
}
