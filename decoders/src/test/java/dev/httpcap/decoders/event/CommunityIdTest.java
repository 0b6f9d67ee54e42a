package dev.httpcap.decoders.event;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

import dev.httpcap.decoders.json.JsonWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CommunityIdTest
{
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
    private final JsonWriter writer = new JsonWriter();
    private final CommunityId communityId = new CommunityId();

    private String id(final int aIp, final int aPort, final int bIp, final int bPort)
    {
        writer.wrap(buffer, 0);
        communityId.value(writer, 4, 6, 0, EventText.ipv4MappedLo(aIp), aPort, 0, EventText.ipv4MappedLo(bIp), bPort);
        return buffer.getStringWithoutLengthAscii(0, writer.length());
    }

    @Test
    void shouldMatchTheSpecificationExampleInBothDirections()
    {
        // 128.232.110.120:34855 -> 66.35.250.204:80/tcp, the example in the Community ID spec and Zeek's docs.
        final int client = (128 << 24) | (232 << 16) | (110 << 8) | 120;
        final int server = (66 << 24) | (35 << 16) | (250 << 8) | 204;
        assertEquals("\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\"", id(client, 34855, server, 80));
        assertEquals("\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\"", id(server, 80, client, 34855));
    }
}
