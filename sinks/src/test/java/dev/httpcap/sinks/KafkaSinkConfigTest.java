package dev.httpcap.sinks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaSinkConfigTest
{
    @Test
    void shouldUseTheDefaultsWhenTheSpecHasNoOptions()
    {
        final KafkaSinkConfig config = SinkSpecs.kafkaConfig("kafka://127.0.0.1:9092,[::1]:9093/http-events", new KafkaSinkConfig());
        assertEquals("127.0.0.1:9092,[::1]:9093", config.bootstrapServers());
        assertEquals("http-events", config.topic());
        assertEquals(KafkaKey.COMMUNITY_ID, config.key());
        final Properties producer = config.producerConfig();
        assertEquals("all", producer.get("acks"));
        assertEquals("true", producer.get("enable.idempotence"));
        assertEquals("lz4", producer.get("compression.type"));
        assertEquals("262144", producer.get("batch.size"));
        assertEquals("5", producer.get("linger.ms"));
        assertEquals(Integer.toString(Integer.MAX_VALUE), producer.get("delivery.timeout.ms"),
            "the producer never fails a record on a timeout: an older one could be delivered after a newer one");
        assertEquals(KafkaSinkConfig.Delivery.EXACTLY_ONCE, config.delivery());
        assertEquals(1_000, config.fsyncMs());
        final Properties transactional = config.producerConfig("httpcap-x");
        assertEquals("httpcap-x", transactional.get("transactional.id"));
        assertEquals("120000", transactional.get("delivery.timeout.ms"),
            "a transaction that cannot be delivered is aborted and sent again whole");
        assertTrue(config.spillDir().startsWith(Path.of("httpcap-spill")), config.spillDir().toString());
        assertTrue(config.spillDir().getFileName().toString().startsWith("http-events-"));
    }

    @Test
    void shouldLetTheSpecOverrideTheDefaults()
    {
        final KafkaSinkConfig defaults = new KafkaSinkConfig().compression("zstd").producerProperty("security.protocol=SSL");
        final KafkaSinkConfig config = SinkSpecs.kafkaConfig("kafka://h:1/t?key=host&acks=1&compression=none&batch-kb=64" +
            "&linger-ms=0&spill-dir=/var/spool/x&spill-max-mb=5&fsync-ms=0&delivery=at-least-once&close-seconds=3", defaults);
        assertEquals(KafkaKey.HOST, config.key());
        assertEquals(Path.of("/var/spool/x"), config.spillDir());
        assertEquals(5L << 20, config.spillMaxBytes());
        assertEquals(0, config.fsyncMs());
        assertEquals(KafkaSinkConfig.Delivery.AT_LEAST_ONCE, config.delivery());
        assertEquals(3_000, config.closeTimeoutMs());
        final Properties producer = config.producerConfig();
        assertEquals("1", producer.get("acks"));
        assertEquals("false", producer.get("enable.idempotence"), "idempotence needs acks=all");
        assertEquals("none", producer.get("compression.type"));
        assertEquals("65536", producer.get("batch.size"));
        assertEquals("0", producer.get("linger.ms"));
        assertEquals("SSL", producer.get("security.protocol"));
        assertEquals("zstd", defaults.compression(), "the shared defaults are not changed");
    }

    @Test
    void shouldGiveEachTopicAndClusterItsOwnSpillDirectory()
    {
        final KafkaSinkConfig defaults = new KafkaSinkConfig();
        final Path a = SinkSpecs.kafkaConfig("kafka://a:1,b:2/t", defaults).spillDir();
        assertEquals(a, SinkSpecs.kafkaConfig("kafka://b:2,a:1/t", defaults).spillDir(), "broker order does not matter");
        assertNotEquals(a, SinkSpecs.kafkaConfig("kafka://c:1/t", defaults).spillDir());
        assertNotEquals(a, SinkSpecs.kafkaConfig("kafka://a:1,b:2/u", defaults).spillDir());
    }

    @Test
    void shouldPassPropertiesThroughLast()
    {
        final Properties producer = new KafkaSinkConfig().bootstrapServers("h:1").topic("t")
            .producerProperty("linger.ms=20").producerProperty("sasl.jaas.config=a=b c=d").producerConfig();
        assertEquals("20", producer.get("linger.ms"));
        assertEquals("a=b c=d", producer.get("sasl.jaas.config"));
        assertThrows(IllegalArgumentException.class, () -> new KafkaSinkConfig().producerProperty("novalue"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "kafka://", "kafka://h:1", "kafka://h:1/", "kafka:///t", "kafka://h/t", "kafka://h:x/t", "kafka://h:70000/t",
        "kafka://h:1,/t", "kafka://h:1/a/b", "kafka://h:1/t?key=flow", "kafka://h:1/t?acks=2",
        "kafka://h:1/t?compression=brotli", "kafka://h:1/t?batch-kb=0", "kafka://h:1/t?linger-ms=-1",
        "kafka://h:1/t?spill-max-mb=x", "kafka://h:1/t?bogus=1", "kafka://h:1/t?key", "kafka://h:1/t?key=host&key=none",
        "kafka://h:1/t?delivery=at-most-once", "kafka://h:1/t?fsync-ms=-1"})
    void shouldRejectMalformedSpecsWithOneLine(final String spec)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> SinkSpecs.open(spec, new KafkaSinkConfig(), line -> { }));
        assertTrue(ex.getMessage().startsWith("bad sink '" + spec + "'"), ex.getMessage());
        assertTrue(!ex.getMessage().contains("\n"), ex.getMessage());
    }
}
