package dev.httpcap.decoders.event;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.SplittableRandom;

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

    /** The Community ID by the specification's recipe, through the JDK's SHA-1 and Base64. */
    private static String reference(
        final int seed, final int ipVersion, final long aHi, final long aLo, final int aPort, final long bHi,
        final long bLo, final int bPort) throws Exception
    {
        final int byAddress = Long.compareUnsigned(aHi, bHi) != 0 ? Long.compareUnsigned(aHi, bHi) :
            Long.compareUnsigned(aLo, bLo);
        final boolean aFirst = byAddress < 0 || (byAddress == 0 && aPort <= bPort);
        final ByteBuffer input = ByteBuffer.allocate(40);
        input.putShort((short)seed);
        for (final long[] address : aFirst ? new long[][] {{aHi, aLo}, {bHi, bLo}} : new long[][] {{bHi, bLo}, {aHi, aLo}})
        {
            if (ipVersion == 4)
            {
                input.putInt((int)address[1]);
            }
            else
            {
                input.putLong(address[0]).putLong(address[1]);
            }
        }
        input.put((byte)6).put((byte)0).putShort((short)(aFirst ? aPort : bPort)).putShort((short)(aFirst ? bPort : aPort));
        final MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        sha1.update(input.array(), 0, input.position());
        return "\"1:" + Base64.getEncoder().encodeToString(sha1.digest()) + "\"";
    }

    @Test
    void shouldEqualTheJdksSha1OfTheSpecificationsInputForRandomFlows() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(19);
        for (int i = 0; i < 20_000; i++)
        {
            final int seed = i % 3 == 0 ? 0 : random.nextInt(1 << 16);
            final CommunityId seeded = new CommunityId(seed);
            final boolean v4 = random.nextBoolean();
            final long aHi = v4 ? 0 : random.nextLong();
            final long aLo = v4 ? EventText.ipv4MappedLo(random.nextInt()) : random.nextLong();
            // Equal addresses now and then, so that the ports decide the order.
            final boolean same = random.nextInt(8) == 0;
            final long bHi = same ? aHi : v4 ? 0 : random.nextLong();
            final long bLo = same ? aLo : v4 ? EventText.ipv4MappedLo(random.nextInt()) : random.nextLong();
            final int aPort = random.nextInt(1 << 16);
            final int bPort = random.nextInt(1 << 16);
            writer.wrap(buffer, 0);
            seeded.value(writer, v4 ? 4 : 6, 6, aHi, aLo, aPort, bHi, bLo, bPort);
            assertEquals(reference(seed, v4 ? 4 : 6, aHi, aLo, aPort, bHi, bLo, bPort),
                buffer.getStringWithoutLengthAscii(0, writer.length()), "flow " + i);
        }
    }
}
