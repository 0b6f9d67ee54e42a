package dev.httpcap.decoders.event;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.tcp.TcpFlowTracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    private String id(final TcpFlow flow)
    {
        writer.wrap(buffer, 0);
        communityId.value(writer, flow);
        return buffer.getStringWithoutLengthAscii(0, writer.length());
    }

    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldKeepEachFlowsDigestAndForgetItWhenTheFlowIsReused()
    {
        final List<String> failures = new ArrayList<>();
        final IdentityHashMap<TcpFlow, Integer> flowObjects = new IdentityHashMap<>();
        final int[] ended = new int[1];
        final TcpFlowTracker tracker = new TcpFlowTracker(flow ->
        {
            ended[0]++;
            flowObjects.merge(flow, 1, Integer::sum);
            final String expected = id((int)flow.clientLo(), flow.clientPort(),
                (int)flow.serverLo(), flow.serverPort());
            final String first = id(flow);
            final String second = id(flow);
            if (!expected.equals(first) || !expected.equals(second))
            {
                failures.add(expected + " " + first + " " + second);
            }
        }, 4, 60 * SECOND, SECOND);
        final TcpSegment segment = new TcpSegment();
        final int[] flags = {TcpSegment.SYN, TcpSegment.SYN | TcpSegment.ACK, TcpSegment.ACK,
            TcpSegment.FIN | TcpSegment.ACK, TcpSegment.FIN | TcpSegment.ACK, TcpSegment.ACK};
        long time = 1_700_000_000L * SECOND;
        for (int n = 0; n < 40; n++)
        {
            final long client = EventText.ipv4MappedLo((10 << 24) | n);
            final long server = EventText.ipv4MappedLo((10 << 24) | (1 << 16) | n);
            for (int step = 0; step < flags.length; step++)
            {
                final boolean fromClient = step % 2 == 0;
                segment.timestampNanos = time;
                time += 1_000_000L;
                segment.ipVersion = 4;
                segment.vlan = -1;
                segment.srcHi = 0;
                segment.dstHi = 0;
                segment.srcLo = fromClient ? client : server;
                segment.dstLo = fromClient ? server : client;
                segment.srcPort = fromClient ? 40_000 + n : 80;
                segment.dstPort = fromClient ? 80 : 40_000 + n;
                segment.flags = flags[step];
                segment.seq = 1000L * n + step;
                segment.wireLength = 60;
                segment.wirePayloadLength = 0;
                tracker.onSegment(segment);
            }
        }
        tracker.endAll();

        assertEquals(40, ended[0]);
        assertEquals(List.of(), failures);
        assertTrue(flowObjects.values().stream().anyMatch(uses -> uses > 1), "no flow object was reused: " + flowObjects.values());
    }
}
