package dev.httpcap.app.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class EventJsonReaderTest
{
    private static final String HTTP = "{\"@timestamp\":\"2026-11-24T15:11:27.123456000Z\"," +
        "\"event\":{\"dataset\":\"http\",\"duration\":412000,\"outcome\":\"success\"}," +
        "\"source\":{\"ip\":\"10.0.0.1\",\"port\":51234,\"bytes\":182}," +
        "\"destination\":{\"ip\":\"10.0.0.2\",\"port\":80,\"bytes\":5213}," +
        "\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\",\"community_id\":\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\",\"vlan\":{\"id\":42}}," +
        "\"url\":{\"original\":\"/search?q=a%20b\\\"\\u00e9\\\\\",\"path\":\"/search\",\"query\":\"q=a%20b\",\"domain\":\"example.test\"}," +
        "\"user_agent\":{\"original\":\"curl/8.5.0\"}," +
        "\"http\":{\"version\":\"1.1\",\"request\":{\"method\":\"GET\",\"body\":{\"bytes\":0},\"headers\":{\"host\":\"example.test:8080\",\"accept\":\"*/*\"}}," +
        "\"response\":{\"status_code\":200,\"status_phrase\":\"OK\",\"mime_type\":\"text/plain\",\"body\":{\"bytes\":5031}," +
        "\"headers\":{\"content-type\":\"text/plain\",\"host\":\"not-this\"}}}," +
        "\"tags\":[\"gap\",\"midstream\"],\"httpcap\":{\"trans_depth\":1,\"info_code\":100}}";

    private final EventJsonReader reader = new EventJsonReader();
    private final EventRecord record = new EventRecord();

    private boolean read(final String json)
    {
        final byte[] bytes = ("xx" + json + "yy").getBytes(StandardCharsets.UTF_8);
        return reader.read(bytes, 2, bytes.length - 4, record);
    }

    @Test
    void shouldReadTheFieldsOfAnHttpEvent()
    {
        assertTrue(read(HTTP));
        assertEquals(EventRecord.Dataset.HTTP, record.dataset);
        assertEquals(Instant.parse("2026-11-24T15:11:27.123456Z").toEpochMilli() * 1_000_000 + 456_000, record.timestampNanos);
        assertEquals(412_000, record.durationNanos);
        assertEquals("10.0.0.1", record.sourceIp);
        assertEquals(51234, record.sourcePort);
        assertEquals(182, record.sourceBytes);
        assertEquals("10.0.0.2", record.destinationIp);
        assertEquals(5213, record.destinationBytes);
        assertEquals("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", record.communityId);
        assertEquals("/search?q=a%20b\"\u00e9\\", record.urlOriginal);
        assertEquals("/search", record.urlPath);
        assertEquals("example.test", record.urlDomain);
        assertEquals("GET", record.method);
        assertEquals("example.test:8080", record.hostHeader, "the request's Host, not a response header");
        assertEquals(200, record.statusCode);
        assertEquals(100, record.infoCode);
        assertEquals(2, record.tagCount);
        assertEquals("gap", record.tags[0]);
        assertEquals("midstream", record.tags[1]);
    }

    @Test
    void shouldReadAFlowRecordAndResetWhatItLacks()
    {
        assertTrue(read(HTTP));
        assertTrue(read("{\"@timestamp\":\"2026-12-06T10:36:11.394540000Z\",\"event\":{\"dataset\":\"flow\",\"kind\":\"event\"," +
            "\"start\":\"2026-12-06T10:36:11.394540000Z\",\"end\":\"2026-12-06T10:36:11.396549000Z\",\"duration\":2009000,\"reason\":\"fin\"}," +
            "\"source\":{\"ip\":\"::1\",\"port\":44584,\"packets\":7,\"bytes\":555},\"destination\":{\"ip\":\"::1\",\"port\":19107," +
            "\"packets\":5,\"bytes\":1602},\"tags\":[],\"httpcap\":{\"flow\":{\"history\":\"ShADadFf\"}}}"));
        assertEquals(EventRecord.Dataset.FLOW, record.dataset);
        assertEquals(2_009_000, record.endNanos - record.startNanos);
        assertEquals("fin", record.reason);
        assertEquals(7, record.sourcePackets);
        assertEquals(1602, record.destinationBytes);
        assertNull(record.method);
        assertEquals(-1, record.statusCode);
        assertEquals(-1, record.infoCode);
        assertEquals(0, record.tagCount);
    }

    @Test
    void shouldTakeNullsAsAbsent()
    {
        assertTrue(read("{\"event\":{\"dataset\":\"http\"},\"httpcap\":{\"info_code\":null},\"http\":{\"request\":{\"method\":\"GET\"}}}"));
        assertEquals(-1, record.infoCode);
        assertFalse(record.hasResponse());
        assertTrue(record.hasRequest());
    }

    @Test
    void shouldRefuseWhatIsNotOneJsonObject()
    {
        for (final String bad : new String[] {"", "   ", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":\"x}", "{\"a\":1} {}",
            "{\"a\":\"\\q\"}", "{\"a\" 1}", "nonsense", "{\"tags\":[\"a\",]}", "{\"url\":{\"original\":\"\\u12\"}}"})
        {
            assertFalse(read(bad), bad);
        }
        assertTrue(read(" {\"a\":[1,{\"b\":[true,null]}],\"c\":-1.5e3} "));
        assertEquals(EventRecord.Dataset.NONE, record.dataset);
    }

    @Test
    void shouldParseTimestampsWithOffsetsAndFractions()
    {
        final byte[] t = "2026-12-06T10:36:11+01:00".getBytes(StandardCharsets.US_ASCII);
        assertEquals(Instant.parse("2026-12-06T09:36:11Z").getEpochSecond() * 1_000_000_000L,
            EventJsonReader.parseTimestamp(t, 0, t.length));
        final byte[] u = "2024-02-29T23:59:59.5Z".getBytes(StandardCharsets.US_ASCII);
        assertEquals(Instant.parse("2024-02-29T23:59:59.5Z").getEpochSecond() * 1_000_000_000L + 500_000_000L,
            EventJsonReader.parseTimestamp(u, 0, u.length));
        final byte[] v = "yesterday".getBytes(StandardCharsets.US_ASCII);
        assertEquals(Long.MIN_VALUE, EventJsonReader.parseTimestamp(v, 0, v.length));
    }
}
