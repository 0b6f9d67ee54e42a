package dev.httpcap.sinks;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.zip.CRC32C;

/**
 * Settings of one Kafka sink. Fluent setters; the defaults are those of {@code bin/httpcap}. The
 * command line's {@code --kafka-*} and {@code --spill-*} options set defaults for every Kafka sink,
 * and a {@code kafka://} spec's query overrides them for that sink (see {@link SinkSpecs}).
 */
public final class KafkaSinkConfig
{
    /** Compression codecs the producer accepts. */
    static final String[] COMPRESSIONS = {"lz4", "zstd", "snappy", "gzip", "none"};
    /** Acknowledgement levels the producer accepts. */
    static final String[] ACKS = {"all", "1", "0"};

    private String bootstrapServers;
    private String topic;
    private KafkaKey key = KafkaKey.COMMUNITY_ID;
    private String acks = "all";
    private String compression = "lz4";
    private int batchBytes = 256 * 1024;
    private int lingerMs = 5;
    private final Map<String, String> producerProperties = new LinkedHashMap<>();
    private Path spillRoot = Path.of("httpcap-spill");
    private Path spillDir;
    private long spillMaxBytes = 1024L << 20;
    private long closeTimeoutMs = 10_000;
    private long stallMs = 3_000;
    private long maxInflightBytes = 32L << 20;
    private int maxBlockMs = 100;
    private int startupProbeMs = 5_000;

    /** @return a copy, so per-sink overrides leave the shared defaults alone. */
    public KafkaSinkConfig copy()
    {
        final KafkaSinkConfig copy = new KafkaSinkConfig();
        copy.bootstrapServers = bootstrapServers;
        copy.topic = topic;
        copy.key = key;
        copy.acks = acks;
        copy.compression = compression;
        copy.batchBytes = batchBytes;
        copy.lingerMs = lingerMs;
        copy.producerProperties.putAll(producerProperties);
        copy.spillRoot = spillRoot;
        copy.spillDir = spillDir;
        copy.spillMaxBytes = spillMaxBytes;
        copy.closeTimeoutMs = closeTimeoutMs;
        copy.stallMs = stallMs;
        copy.maxInflightBytes = maxInflightBytes;
        copy.maxBlockMs = maxBlockMs;
        copy.startupProbeMs = startupProbeMs;
        return copy;
    }

    /** @return {@code host:port[,host:port...]}. */
    public String bootstrapServers()
    {
        return bootstrapServers;
    }

    public KafkaSinkConfig bootstrapServers(final String bootstrapServers)
    {
        this.bootstrapServers = bootstrapServers;
        return this;
    }

    public String topic()
    {
        return topic;
    }

    public KafkaSinkConfig topic(final String topic)
    {
        this.topic = topic;
        return this;
    }

    /** @return what records are keyed by; default {@link KafkaKey#COMMUNITY_ID}. */
    public KafkaKey key()
    {
        return key;
    }

    public KafkaSinkConfig key(final KafkaKey key)
    {
        this.key = key;
        return this;
    }

    /** @return the producer's {@code acks}: {@code all} (the default), {@code 1} or {@code 0}. */
    public String acks()
    {
        return acks;
    }

    /** @throws IllegalArgumentException unless all, 1 or 0. */
    public KafkaSinkConfig acks(final String acks)
    {
        this.acks = oneOf("acks", acks, ACKS);
        return this;
    }

    /** @return the compression codec; default {@code lz4}. */
    public String compression()
    {
        return compression;
    }

    /** @throws IllegalArgumentException unless lz4, zstd, snappy, gzip or none. */
    public KafkaSinkConfig compression(final String compression)
    {
        this.compression = oneOf("compression", compression, COMPRESSIONS);
        return this;
    }

    /** @return the producer's {@code batch.size} in bytes; default 256 KiB. */
    public int batchBytes()
    {
        return batchBytes;
    }

    public KafkaSinkConfig batchBytes(final int batchBytes)
    {
        this.batchBytes = positive("batch size", batchBytes);
        return this;
    }

    /** @return the producer's {@code linger.ms}; default 5. */
    public int lingerMs()
    {
        return lingerMs;
    }

    public KafkaSinkConfig lingerMs(final int lingerMs)
    {
        if (lingerMs < 0)
        {
            throw new IllegalArgumentException("linger must be >= 0 ms: " + lingerMs);
        }
        this.lingerMs = lingerMs;
        return this;
    }

    /** @return producer properties passed through as given (TLS, SASL, ...), applied last. */
    public Map<String, String> producerProperties()
    {
        return producerProperties;
    }

    /**
     * @param keyValue {@code key=value}, as for {@code --kafka-prop}.
     * @throws IllegalArgumentException if there is no {@code =} or no key.
     */
    public KafkaSinkConfig producerProperty(final String keyValue)
    {
        final int eq = keyValue.indexOf('=');
        if (eq <= 0)
        {
            throw new IllegalArgumentException("kafka property '" + keyValue + "' is not key=value");
        }
        producerProperties.put(keyValue.substring(0, eq).trim(), keyValue.substring(eq + 1));
        return this;
    }

    /**
     * @return the spill directory of this sink: the one set with {@link #spillDir(Path)}, or a
     *         directory under {@link #spillRoot(Path)} named after the topic and the brokers.
     */
    public Path spillDir()
    {
        if (spillDir != null)
        {
            return spillDir;
        }
        final String[] servers = bootstrapServers.split(",");
        Arrays.sort(servers);
        final CRC32C crc = new CRC32C();
        crc.update(String.join(",", servers).getBytes(StandardCharsets.UTF_8));
        return spillRoot.resolve(topic + "-" + String.format("%08x", crc.getValue()));
    }

    /** Spill directories of sinks without their own go under this one; default {@code ./httpcap-spill}. */
    public KafkaSinkConfig spillRoot(final Path spillRoot)
    {
        this.spillRoot = spillRoot;
        return this;
    }

    /** This sink's own spill directory, used as it is. */
    public KafkaSinkConfig spillDir(final Path spillDir)
    {
        this.spillDir = spillDir;
        return this;
    }

    /** @return the most bytes the spill may hold on disk; 0 turns spilling off. Default 1 GiB. */
    public long spillMaxBytes()
    {
        return spillMaxBytes;
    }

    public KafkaSinkConfig spillMaxBytes(final long spillMaxBytes)
    {
        if (spillMaxBytes < 0)
        {
            throw new IllegalArgumentException("spill size must be >= 0: " + spillMaxBytes);
        }
        this.spillMaxBytes = spillMaxBytes;
        return this;
    }

    /** @return how long closing waits for outstanding records and the spill to be delivered; default 10 s. */
    public long closeTimeoutMs()
    {
        return closeTimeoutMs;
    }

    public KafkaSinkConfig closeTimeoutMs(final long closeTimeoutMs)
    {
        if (closeTimeoutMs < 0)
        {
            throw new IllegalArgumentException("close timeout must be >= 0 ms: " + closeTimeoutMs);
        }
        this.closeTimeoutMs = closeTimeoutMs;
        return this;
    }

    /** @return how long records may be outstanding without any acknowledgement before events spill; default 3 s. */
    public long stallMs()
    {
        return stallMs;
    }

    public KafkaSinkConfig stallMs(final long stallMs)
    {
        this.stallMs = positive("spill-after", stallMs);
        return this;
    }

    /** @return bytes of unacknowledged records beyond which events spill (a slow broker); default 32 MiB. */
    public long maxInflightBytes()
    {
        return maxInflightBytes;
    }

    public KafkaSinkConfig maxInflightBytes(final long maxInflightBytes)
    {
        this.maxInflightBytes = positive("in-flight limit", maxInflightBytes);
        return this;
    }

    /**
     * @return the producer's {@code max.block.ms}; default 100 ms. The producer forgets a topic's
     *         partitions when its broker goes away, and {@code send} then waits this long for them:
     *         kept short so the sink thread starts spilling instead of stalling.
     */
    public int maxBlockMs()
    {
        return maxBlockMs;
    }

    public KafkaSinkConfig maxBlockMs(final int maxBlockMs)
    {
        this.maxBlockMs = positive("max block", maxBlockMs);
        return this;
    }

    /** @return how long opening the sink waits for the brokers to answer before it spills from the start; default 5 s. */
    public int startupProbeMs()
    {
        return startupProbeMs;
    }

    public KafkaSinkConfig startupProbeMs(final int startupProbeMs)
    {
        this.startupProbeMs = positive("start-up probe", startupProbeMs);
        return this;
    }

    /** @return the producer's configuration: ours first, then {@link #producerProperties()} over it. */
    public Properties producerConfig()
    {
        final Properties props = new Properties();
        props.put("bootstrap.servers", bootstrapServers);
        props.put("client.id", "httpcap");
        props.put("acks", acks);
        // Idempotence (no duplicates from the producer's own retries, order kept with up to 5
        // requests in flight) needs acks=all.
        props.put("enable.idempotence", Boolean.toString("all".equals(acks)));
        props.put("max.in.flight.requests.per.connection", "5");
        // The producer never gives up on a record by itself (only at close): if it failed an old
        // batch on a timeout, a newer one of the same partition could still be delivered before
        // the sink resent the old one. A broker that does not answer makes the sink spill instead.
        props.put("delivery.timeout.ms", Integer.toString(Integer.MAX_VALUE));
        props.put("compression.type", compression);
        props.put("batch.size", Integer.toString(batchBytes));
        props.put("linger.ms", Integer.toString(lingerMs));
        // Twice the in-flight limit, so send() never blocks for buffer space: events spill first.
        props.put("buffer.memory", Long.toString(Math.max(64L << 20, 2 * maxInflightBytes)));
        props.put("max.block.ms", Integer.toString(maxBlockMs));
        props.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        props.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        props.putAll(producerProperties);
        return props;
    }

    private static String oneOf(final String what, final String value, final String[] allowed)
    {
        for (final String candidate : allowed)
        {
            if (candidate.equals(value))
            {
                return value;
            }
        }
        throw new IllegalArgumentException(what + " '" + value + "' is not " + String.join(", ", allowed));
    }

    private static int positive(final String what, final int value)
    {
        if (value <= 0)
        {
            throw new IllegalArgumentException(what + " must be > 0: " + value);
        }
        return value;
    }

    private static long positive(final String what, final long value)
    {
        if (value <= 0)
        {
            throw new IllegalArgumentException(what + " must be > 0: " + value);
        }
        return value;
    }
}
