import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Every record of a topic as a read_committed consumer sees it, counted, and how many of them are
 * distinct (by a SHA-256 of the value: a duplicate delivery is the same bytes twice), for
 * perf/live-capture-rates.sh's Kafka steps:
 *
 *   java -cp app/target/httpcap.jar perf/KafkaTopicCount.java HOST:PORT TOPIC [VALUES.ndjson]
 *
 * Prints "records N distinct D". With VALUES.ndjson, also writes every record's value there, one a
 * line, in the topic's order (for perf/LiveEventMatch.java). Exit status 1 if the topic cannot be
 * read to its end in 120 s.
 */
public final class KafkaTopicCount
{
    public static void main(final String[] args) throws Exception
    {
        final Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(64 << 20));
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 << 20));
        final Duration timeout = Duration.ofSeconds(120);
        final long deadline = System.nanoTime() + timeout.toNanos();
        final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long[] hashes = new long[1 << 20];
        int count = 0;
        final java.io.OutputStream values = args.length > 2
            ? new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(java.nio.file.Path.of(args[2])), 1 << 20)
            : java.io.OutputStream.nullOutputStream();
        try (values; KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config))
        {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final PartitionInfo p : consumer.partitionsFor(args[1], timeout))
            {
                partitions.add(new TopicPartition(args[1], p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // read_committed: the end offsets are the last stable offsets, after every committed transaction.
            final Map<TopicPartition, Long> end = new java.util.HashMap<>(consumer.endOffsets(partitions, timeout));
            end.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
            while (!end.isEmpty())
            {
                if (System.nanoTime() > deadline)
                {
                    System.out.println("records " + count + " distinct ? (not read to the end in 120 s)");
                    System.exit(1);
                }
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500)))
                {
                    if (count == hashes.length)
                    {
                        hashes = Arrays.copyOf(hashes, hashes.length * 2);
                    }
                    final byte[] value = r.value();
                    int length = value.length;
                    while (length > 0 && (value[length - 1] == '\n' || value[length - 1] == '\r'))
                    {
                        length--;
                    }
                    values.write(value, 0, length);
                    values.write('\n');
                    final byte[] d = sha.digest(value);
                    long h = 0;
                    for (int i = 0; i < 8; i++)
                    {
                        h = h << 8 | (d[i] & 0xFF);
                    }
                    hashes[count++] = h;
                }
                end.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
            }
        }
        Arrays.sort(hashes, 0, count);
        int distinct = 0;
        for (int i = 0; i < count; i++)
        {
            if (i == 0 || hashes[i] != hashes[i - 1])
            {
                distinct++;
            }
        }
        System.out.println("records " + count + " distinct " + distinct);
    }
}
