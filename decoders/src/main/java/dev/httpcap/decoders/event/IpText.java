package dev.httpcap.decoders.event;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One endpoint's address as a JSON string ({@link EventText#appendIp}), its text kept for the next
 * event with the same address: a connection's events, and the connections of one client or server,
 * repeat it. One per endpoint of an encoder; allocation-free.
 */
final class IpText
{
    /** The longest text {@link EventText#appendIp} writes: 8 groups of 4 hex digits and 7 colons. */
    private static final int MAX_LENGTH = 39;

    private final byte[] text = new byte[MAX_LENGTH];
    private final UnsafeBuffer textBuffer = new UnsafeBuffer(text);
    private final JsonWriter scratch = new JsonWriter();
    private int length = -1;
    private int ipVersion;
    private long hi;
    private long lo;

    /** Write an address held as 128 bits (IPv4 as IPv4-mapped) as a JSON string value. */
    void value(final JsonWriter out, final int ipVersion, final long hi, final long lo)
    {
        if (length < 0 || ipVersion != this.ipVersion || hi != this.hi || lo != this.lo)
        {
            EventText.appendIp(scratch.wrap(textBuffer, 0), ipVersion, hi, lo);
            length = scratch.length();
            this.ipVersion = ipVersion;
            this.hi = hi;
            this.lo = lo;
        }
        out.startString().appendAscii(text, 0, length).endString();
    }
}
