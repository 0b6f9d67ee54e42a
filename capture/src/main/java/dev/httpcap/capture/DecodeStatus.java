package dev.httpcap.capture;

/**
 * What became of a frame in {@link PacketDecoder}: decoded as TCP or UDP, or dropped for a named
 * reason. Every frame gets exactly one status, so counts indexed by {@link #ordinal()} add up to
 * the frames read. Returning an enum constant allocates nothing.
 */
public enum DecodeStatus
{
    TCP("tcp", false),
    UDP("udp", false),
    /** A frame whose link type this build does not decode. */
    UNSUPPORTED_LINK_TYPE("unsupported_link_type", true),
    /** ARP, LLDP, STP... anything that is not IPv4 or IPv6. */
    NON_IP("non_ip", true),
    /** ICMP, SCTP, ESP... an IP packet that carries neither TCP nor UDP. */
    OTHER_IP_PROTOCOL("other_ip_protocol", true),
    /** An IPv4 or IPv6 fragment: not reassembled, counted. */
    IP_FRAGMENT("ip_fragment", true),
    TRUNCATED_LINK_HEADER("truncated_link_header", true),
    TRUNCATED_IPV4("truncated_ipv4", true),
    BAD_IPV4_HEADER("bad_ipv4_header", true),
    TRUNCATED_IPV6("truncated_ipv6", true),
    BAD_IPV6_EXTENSION("bad_ipv6_extension", true),
    TRUNCATED_TCP("truncated_tcp", true),
    BAD_TCP_HEADER("bad_tcp_header", true),
    TRUNCATED_UDP("truncated_udp", true),
    BAD_UDP_HEADER("bad_udp_header", true);

    private static final DecodeStatus[] VALUES = values();

    private final String reportName;
    private final boolean drop;

    DecodeStatus(final String reportName, final boolean drop)
    {
        this.reportName = reportName;
        this.drop = drop;
    }

    /** @return the counter name used in reports and metrics. */
    public String reportName()
    {
        return reportName;
    }

    /** @return true when the frame goes no further than the decoder. */
    public boolean isDrop()
    {
        return drop;
    }

    public static DecodeStatus of(final int ordinal)
    {
        return VALUES[ordinal];
    }

    public static int count()
    {
        return VALUES.length;
    }
}
