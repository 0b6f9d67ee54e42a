package dev.httpcap.decoders.tcp;

/** Why a connection record was closed; the report name is {@code event.reason} in the flow event. */
public enum FlowEndReason
{
    /** Both sides sent FIN. */
    FIN("fin"),
    /** A side sent RST. */
    RST("rst"),
    /** No packet for the idle timeout (packet time). */
    TIMEOUT("timeout"),
    /** The flow table was full and this was the least recently seen flow. */
    EVICTED("evicted"),
    /** A new SYN reused the 4-tuple before this connection was seen to close. */
    PORT_REUSE("port_reuse"),
    /** The capture ended while the connection was open. */
    END_OF_CAPTURE("end_of_capture");

    private static final FlowEndReason[] VALUES = values();

    private final String reportName;
    private final byte[] reportNameBytes;

    FlowEndReason(final String reportName)
    {
        this.reportName = reportName;
        this.reportNameBytes = reportName.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    public String reportName()
    {
        return reportName;
    }

    public byte[] reportNameBytes()
    {
        return reportNameBytes;
    }

    public static FlowEndReason of(final int ordinal)
    {
        return VALUES[ordinal];
    }

    public static int count()
    {
        return VALUES.length;
    }
}
