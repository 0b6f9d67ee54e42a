package dev.httpcap.app;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A real single-node Kafka (KRaft, {@code process.roles=broker,controller}) in a child JVM, run
 * from the test classpath (org.apache.kafka:kafka_2.13 from Maven Central): storage formatted with
 * a fresh cluster id in a temporary directory, listeners on 127.0.0.1 at free ports. The fault
 * tests kill it (SIGKILL) and start it again on the same ports and log directory.
 */
final class KafkaBroker implements AutoCloseable
{
    /** A record read back from a topic. */
    record Read(int partition, long offset, String key, String value)
    {
    }

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private Process process;

    private KafkaBroker(final Path dir, final int port, final int controllerPort)
    {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /** Format a fresh broker in {@code dir} and start it. */
    static KafkaBroker start(final Path dir) throws IOException, InterruptedException
    {
        final KafkaBroker broker = new KafkaBroker(dir, freePort(), freePort());
        broker.format();
        broker.startProcess();
        return broker;
    }

    String bootstrap()
    {
        return "127.0.0.1:" + port;
    }

    boolean running()
    {
        return process != null && process.isAlive();
    }

    /** SIGKILL, as a crash or a pulled cable looks to the clients. */
    void kill() throws InterruptedException
    {
        if (process != null)
        {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            process = null;
        }
    }

    /** SIGTERM and wait: a controlled shutdown, as an operator stops a broker. */
    void stop() throws InterruptedException
    {
        if (process != null)
        {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
            process = null;
        }
    }

    /** @return the sum of the topic's partitions' end offsets (records written, committed or not, and markers). */
    long endOffsets(final String topic)
    {
        final Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap());
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        props.put("isolation.level", "read_uncommitted");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props))
        {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(10)))
            {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            return consumer.endOffsets(partitions, Duration.ofSeconds(10)).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Start again on the same ports and data. */
    void restart() throws IOException, InterruptedException
    {
        kill();
        startProcess();
    }

    @Override
    public void close() throws InterruptedException
    {
        if (process != null)
        {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            process = null;
        }
    }

    void createTopic(final String topic, final int partitions) throws Exception
    {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap())))
        {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short)1))).all().get(60, TimeUnit.SECONDS);
        }
    }

    /** Every record of {@code topic}, partition by partition in offset order. */
    List<Read> readAll(final String topic) throws IOException
    {
        final Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap());
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        props.put("enable.auto.commit", "false");
        props.put("isolation.level", "read_committed");
        props.put("max.poll.records", "5000");
        final List<Read> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props))
        {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30)))
            {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue()))
            {
                if (System.nanoTime() > deadline)
                {
                    throw new IOException("could not read " + topic + " to its end offsets " + end);
                }
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500)))
                {
                    all.add(new Read(record.partition(), record.offset(),
                        record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                        new String(record.value(), StandardCharsets.UTF_8)));
                }
            }
        }
        all.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition()) :
            Long.compare(a.offset(), b.offset()));
        return all;
    }

    private void format() throws IOException, InterruptedException
    {
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("server.properties"), String.join("\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
            "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
            "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs=" + dir.resolve("data"),
            "num.partitions=1",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "") + "\n");
        final Process format = java("kafka.tools.StorageTool", "format", "-t", clusterId(),
            "-c", dir.resolve("server.properties").toString())
            .redirectOutput(dir.resolve("format.log").toFile())
            .redirectErrorStream(true)
            .start();
        if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0)
        {
            format.destroyForcibly();
            throw new IOException("kafka storage format failed:\n" + Files.readString(dir.resolve("format.log")));
        }
    }

    private void startProcess() throws IOException, InterruptedException
    {
        final Path log = dir.resolve("broker.log");
        process = java("kafka.Kafka", dir.resolve("server.properties").toString())
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectErrorStream(true)
            .start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline)
        {
            if (!process.isAlive())
            {
                throw new IOException("kafka broker exited with " + process.exitValue() + ":\n" +
                    ItSupport.tail(Files.readString(log), 40));
            }
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap(),
                "request.timeout.ms", "2000", "default.api.timeout.ms", "3000")))
            {
                admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                return;
            }
            catch (final Exception notYet)
            {
                Thread.sleep(300);
            }
        }
        throw new IOException("kafka broker did not come up in 120 s:\n" + ItSupport.tail(Files.readString(log), 40));
    }

    private static ProcessBuilder java(final String mainClass, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xms256m", "-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    private static String clusterId()
    {
        // A Kafka cluster id is a UUID in URL-safe base64 without padding (22 characters); one
        // starting with '-' would be taken for an option by the storage tool.
        while (true)
        {
            final UUID uuid = UUID.randomUUID();
            final java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(16);
            bytes.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
            final String id = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
            if (id.charAt(0) != '-')
            {
                return id;
            }
        }
    }

    /**
     * A free port below the kernel's ephemeral range (as {@code scripts/kafka/broker.sh} picks): a
     * port in that range, as binding port 0 gives, may be taken by an outgoing connection before
     * the broker binds it, or before a restart binds it again.
     */
    private static int freePort() throws IOException
    {
        int low = 32_768;
        try
        {
            low = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
        }
        catch (final IOException | RuntimeException ex)
        {
            // not Linux: assume the usual range
        }
        final java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 1_000; attempt++)
        {
            final int port = 10_000 + random.nextInt(Math.max(1_000, low - 10_000));
            try (ServerSocket socket = new ServerSocket())
            {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            }
            catch (final IOException taken)
            {
                // try another
            }
        }
        throw new IOException("no free port in 10000.." + low);
    }

    /** @return true if something accepts connections on the broker's port. */
    boolean listening()
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
