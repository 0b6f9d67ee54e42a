package dev.httpcap.decoders.event;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Random;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EventTextTest
{
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
    private final JsonWriter writer = new JsonWriter();

    private String timestamp(final long nanos)
    {
        writer.wrap(buffer, 0);
        EventText.appendTimestamp(writer, nanos);
        return buffer.getStringWithoutLengthAscii(0, writer.length());
    }

    private String ip(final int version, final long hi, final long lo)
    {
        writer.wrap(buffer, 0);
        EventText.appendIp(writer, version, hi, lo);
        return buffer.getStringWithoutLengthAscii(0, writer.length());
    }

    @Test
    void shouldFormatTimestampsLikeInstant()
    {
        assertEquals("1970-01-01T00:00:00.000000000Z", timestamp(0));
        assertEquals("2026-11-24T15:11:27.123456789Z", timestamp(Instant.parse("2026-11-24T15:11:27.123456789Z").getEpochSecond() * 1_000_000_000L + 123456789));
        final Random random = new Random(42);
        for (int i = 0; i < 10_000; i++)
        {
            final long nanos = random.nextLong(0, 4_102_444_800_000_000_000L);
            final Instant instant = Instant.ofEpochSecond(0, nanos);
            final String expected = instant.toString().replace("Z", "");
            final String actual = timestamp(nanos);
            assertEquals(instant, Instant.parse(actual), actual);
            assertEquals(expected.substring(0, 19), actual.substring(0, 19));
        }
    }

    @Test
    void shouldFormatIpv4()
    {
        assertEquals("10.0.0.255", ip(4, 0, EventText.ipv4MappedLo(0x0A0000FF)));
        assertEquals("255.255.255.255", ip(4, 0, EventText.ipv4MappedLo(-1)));
    }

    @Test
    void shouldFormatIpv6Canonically() throws Exception
    {
        assertEquals("::1", ip(6, 0, 1));
        assertEquals("::", ip(6, 0, 0));
        assertEquals("2001:db8::1", ip6("2001:db8:0:0:0:0:0:1"));
        assertEquals("2001:db8:0:1:1:1:1:1", ip6("2001:db8:0:1:1:1:1:1"));
        assertEquals("2001:0:0:1::1", ip6("2001:0:0:1:0:0:0:1"));
        assertEquals("fe80::", ip6("fe80:0:0:0:0:0:0:0"));
        assertEquals("1::2:0:0:3", ip6("1:0:0:2:0:0:0:3").equals("1:0:0:2::3") ? "1::2:0:0:3" : ip6("1:0:0:2:0:0:0:3"));
        assertEquals("1:0:0:2::3", ip6("1:0:0:2:0:0:0:3"));
        assertEquals("1::2:0:0:3", ip6("1:0:0:0:2:0:0:3"));
        final Random random = new Random(7);
        for (int i = 0; i < 5_000; i++)
        {
            final byte[] address = new byte[16];
            for (int b = 0; b < 16; b += 2)
            {
                if (random.nextInt(3) != 0)
                {
                    address[b] = (byte)random.nextInt(256);
                    address[b + 1] = (byte)random.nextInt(256);
                }
            }
            final ByteBuffer bb = ByteBuffer.wrap(address);
            final String text = ip(6, bb.getLong(0), bb.getLong(8));
            assertEquals(InetAddress.getByAddress(address), InetAddress.getByName(text), text);
        }
    }

    private String ip6(final String text) throws Exception
    {
        final ByteBuffer bb = ByteBuffer.wrap(InetAddress.getByName(text).getAddress());
        return ip(6, bb.getLong(0), bb.getLong(8));
    }
}
