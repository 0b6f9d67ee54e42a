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
    /** What a consumer may see of a crash or an outage. */
    public enum Delivery
    {
        /** Transactions: a {@code read_committed} consumer sees each event once. */
        EXACTLY_ONCE("exactly-once"),
        /** Idempotent producer, no transactions: an event may come twice after a crash. */
        AT_LEAST_ONCE("at-least-once");

        private final String spec;

        Delivery(final String spec)
        {
            this.spec = spec;
        }

        /** @return the name on the command line. */
        public String spec()
        {
            return spec;
        }

        /** @throws IllegalArgumentException unless exactly-once or at-least-once. */
        public static Delivery parse(final String value)
        {
            for (final Delivery delivery : values())
            {
                if (delivery.spec.equals(value))
                {
                    return delivery;
                }
            }
            throw new IllegalArgumentException("delivery '" + value + "' is not exactly-once, at-least-once");
        }
    }

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
    /** Negative: half of {@link #spillMaxBytes}. */
    private long unreadySpillBytes = -1;
    private long closeTimeoutMs = 10_000;
    private Delivery delivery = Delivery.EXACTLY_ONCE;
    private long fsyncMs = 1_000;
    private int maxBlockMs = 1_000;

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
        copy.unreadySpillBytes = unreadySpillBytes;
        copy.closeTimeoutMs = closeTimeoutMs;
        copy.delivery = delivery;
        copy.fsyncMs = fsyncMs;
        copy.maxBlockMs = maxBlockMs;
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

    /**
     * @return what the spill may hold while the brokers are away before the sink reports itself not
     * ready ({@code /readyz}); default half of {@link #spillMaxBytes()}.
     */
    public long unreadySpillBytes()
    {
        return unreadySpillBytes >= 0 ? unreadySpillBytes : spillMaxBytes / 2;
    }

    public KafkaSinkConfig unreadySpillBytes(final long bytes)
    {
        if (bytes < 0)
        {
            throw new IllegalArgumentException("unready spill size must be >= 0: " + bytes);
        }
        this.unreadySpillBytes = bytes;
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

    /** @return exactly-once (the default) or at-least-once. */
    public Delivery delivery()
    {
        return delivery;
    }

    public KafkaSinkConfig delivery(final Delivery delivery)
    {
        this.delivery = delivery;
        return this;
    }

    /**
     * @return at most how long events flushed to the spill stay in the page cache before an
     *         fsync; what a power loss can take. 0: after every batch. Default 1000 ms.
     */
    public long fsyncMs()
    {
        return fsyncMs;
    }

    public KafkaSinkConfig fsyncMs(final long fsyncMs)
    {
        if (fsyncMs < 0)
        {
            throw new IllegalArgumentException("fsync interval must be >= 0 ms: " + fsyncMs);
        }
        this.fsyncMs = fsyncMs;
        return this;
    }

    /**
     * @return the producer's {@code max.block.ms}; default 1000 ms: how long the shipper's calls
     *         (a send without the partition's leader, a transaction's commit) wait before it tries
     *         again. The sink thread never calls the producer.
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

    /** @return the producer's configuration for {@code producerConfig(null)}. */
    public Properties producerConfig()
    {
        return producerConfig(null);
    }

    /**
     * @param transactionalId the producer's {@code transactional.id}, or null for a producer without transactions.
     * @return the producer's configuration: ours first, then {@link #producerProperties()} over it.
     */
    public Properties producerConfig(final String transactionalId)
    {
        final Properties props = new Properties();
        props.put("bootstrap.servers", bootstrapServers);
        props.put("client.id", "httpcap");
        props.put("acks", acks);
        // Idempotence (no duplicates from the producer's own retries, order kept with up to 5
        // requests in flight) needs acks=all.
        props.put("enable.idempotence", Boolean.toString("all".equals(acks)));
        props.put("max.in.flight.requests.per.connection", "5");
        if (null != transactionalId)
        {
            props.put("transactional.id", transactionalId);
            // A window that cannot be delivered fails its transaction, which is aborted and sent again whole.
            props.put("delivery.timeout.ms", "120000");
        }
        else
        {
            // Without transactions the producer never gives up on a record by itself (only at
            // close): if it failed an old batch on a timeout, a newer one of the same partition
            // could be delivered before the shipper sent the old one again.
            props.put("delivery.timeout.ms", Integer.toString(Integer.MAX_VALUE));
        }
        props.put("compression.type", compression);
        props.put("batch.size", Integer.toString(batchBytes));
        props.put("linger.ms", Integer.toString(lingerMs));
        // A window is up to 64 MiB of events, compressed as they are appended (lz4: about a fifth here), so
        // the shipper rarely waits for buffer space; uncompressed, a full window may wait for acknowledgements.
        props.put("buffer.memory", Long.toString(64L << 20));
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
