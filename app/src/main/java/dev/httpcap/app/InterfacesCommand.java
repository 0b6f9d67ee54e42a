package dev.httpcap.app;

import java.io.IOException;
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
                final String host = address.getAddress().getHostAddress();
                addresses.add((host.contains("%") ? host.substring(0, host.indexOf('%')) : host) + "/" +
                    address.getNetworkPrefixLength());
            }
            System.out.printf("%-5d %-16s %-5s %-10s %s%n", nic.getIndex(), nic.getName(), nic.isUp() ? "up" : "down",
                linkType(nic.getName()), String.join(" ", addresses));
        }
        return 0;
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
