package dev.httpcap.app.analysis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code httpcap stats --from kafka://HOST:PORT[,HOST:PORT]/TOPIC}: the events a Kafka sink wrote
 * (one JSON event per record), read from the start of every partition up to the end offsets found
 * when reading began — the topic as it was then, so the command ends. No consumer group: partitions
 * are assigned, nothing is committed, no other consumer is disturbed. Snapshots are merged once per
 * key ({@code AGENT/WINDOW}, see {@link StatsPublisher}): a window found again is counted in
 * {@code duplicate_snapshots}, not merged twice.
 */
public final class KafkaInput
{
    private static final Duration POLL = Duration.ofMillis(500);

    private final String bootstrap;
    private final String topic;
    private final List<String> properties;
    private final EventJsonReader reader = new EventJsonReader();
    private final EventRecord record = new EventRecord();
    private long records;
    private long events;
    private long unreadable;
    private long snapshots;
    private long duplicates;
    /** Keys of the snapshots merged ({@code AGENT/WINDOW}): a window found twice is counted once. */
    private final java.util.Set<String> snapshotKeys = new java.util.HashSet<>();
    private int partitions;

    /**
     * @param url        {@code kafka://HOST:PORT[,HOST:PORT]/TOPIC}.
     * @param properties consumer properties as {@code KEY=VALUE} (TLS, SASL), applied last.
     * @throws IllegalArgumentException when the URL is not of that form.
     */
    public KafkaInput(final String url, final List<String> properties)
    {
        if (!url.startsWith("kafka://"))
        {
            throw new IllegalArgumentException("--from takes kafka://HOST:PORT[,HOST:PORT]/TOPIC, got '" + url + "'");
        }
        final String rest = url.substring("kafka://".length());
        final int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('?') >= 0)
        {
            throw new IllegalArgumentException("--from takes kafka://HOST:PORT[,HOST:PORT]/TOPIC, got '" + url + "'");
        }
        bootstrap = rest.substring(0, slash);
        topic = rest.substring(slash + 1);
        this.properties = properties;
    }

    /**
     * Read the topic into {@code collector}: JSON events are added one by one, snapshots
     * ({@link StatsSnapshot}, published with {@code --stats-sink}) merged whole, their ledgers into {@code ledger}.
     *
     * @throws IllegalStateException when the topic cannot be read.
     */
    public void read(final StatsCollector collector, final Map<String, Map<String, Long>> ledger, final Duration timeout)
    {
        final Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "httpcap-stats");
        // A misspelled topic is an error, not a new empty topic (on brokers that create topics on demand).
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        for (final String property : properties)
        {
            final int eq = property.indexOf('=');
            if (eq <= 0)
            {
                throw new IllegalArgumentException("--kafka-prop takes KEY=VALUE, got '" + property + "'");
            }
            config.put(property.substring(0, eq), property.substring(eq + 1));
        }
        final long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config))
        {
            final List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty())
            {
                throw new IllegalStateException("no topic " + topic + " at " + bootstrap);
            }
            final List<TopicPartition> assigned = new ArrayList<>();
            infos.forEach(p -> assigned.add(new TopicPartition(topic, p.partition())));
            partitions = assigned.size();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            final Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(assigned, timeout));
            end.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
            while (!end.isEmpty())
            {
                if (System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("reading " + topic + " from " + bootstrap + " took longer than " +
                        timeout.toSeconds() + " s; " + records + " records read");
                }
                final ConsumerRecords<byte[], byte[]> batch = consumer.poll(POLL);
                for (final ConsumerRecord<byte[], byte[]> r : batch)
                {
                    final TopicPartition partition = new TopicPartition(r.topic(), r.partition());
                    final Long stop = end.get(partition);
                    if (stop == null || r.offset() >= stop)
                    {
                        continue;
                    }
                    records++;
                    final byte[] value = r.value();
                    if (StatsSnapshot.isSnapshot(value) && r.key() != null &&
                        !snapshotKeys.add(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8)))
                    {
                        duplicates++;
                    }
                    else if (StatsSnapshot.isSnapshot(value))
                    {
                        try
                        {
                            StatsSnapshot.mergeInto(value, collector, ledger);
                            snapshots++;
                        }
                        catch (final IllegalArgumentException ex)
                        {
                            unreadable++;
                        }
                    }
                    else if (value != null && reader.read(value, 0, value.length, record))
                    {
                        events++;
                        collector.accept(record);
                    }
                    else
                    {
                        unreadable++;
                    }
                }
                end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            }
        }
    }

    /** @return the ledger section of the topic: every record counted once. */
    public Map<String, Long> ledger()
    {
        final Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("partitions", (long)partitions);
        counts.put("records", records);
        counts.put("events", events);
        counts.put("snapshots", snapshots);
        counts.put("duplicate_snapshots", duplicates);
        counts.put("unreadable", unreadable);
        return counts;
    }
}
