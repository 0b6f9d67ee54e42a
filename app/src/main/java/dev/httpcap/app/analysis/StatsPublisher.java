package dev.httpcap.app.analysis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes {@link StatsSnapshot}s to {@code --stats-sink kafka://HOST:PORT[,HOST:PORT]/TOPIC}: one
 * record per snapshot, keyed {@code AGENT/WINDOW} (the agent: host name, process id and start time;
 * the window: 0, 1, 2, ... within the run), so that {@code stats --from} counts a window once even if
 * it is found twice. Idempotent producer, {@code acks=all}; sends are asynchronous and each is
 * counted as published or failed when the broker answers (or the delivery timeout passes).
 */
public final class StatsPublisher implements AutoCloseable
{
    /** This process, as an agent: {@code HOST:PID:START_MILLIS}. */
    public static final String AGENT = host() + ":" + ProcessHandle.current().pid() + ":" +
        ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(System.currentTimeMillis());

    private final String url;
    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<String> lastError = new AtomicReference<>();

    /**
     * @param url        {@code kafka://HOST:PORT[,HOST:PORT]/TOPIC}.
     * @param properties producer properties as {@code KEY=VALUE} (TLS, SASL), applied last.
     * @param timeout    how long a snapshot may take to be acknowledged.
     * @throws IllegalArgumentException when the URL is not of that form.
     */
    public StatsPublisher(final String url, final List<String> properties, final Duration timeout)
    {
        final int slash = url.startsWith("kafka://") ? url.indexOf('/', "kafka://".length()) : -1;
        if (slash < 0 || slash == url.length() - 1 || slash == "kafka://".length() || url.indexOf('?') >= 0)
        {
            throw new IllegalArgumentException("--stats-sink takes kafka://HOST:PORT[,HOST:PORT]/TOPIC, got '" + url + "'");
        }
        this.url = url;
        this.topic = url.substring(slash + 1);
        final Properties config = new Properties();
        config.put("bootstrap.servers", url.substring("kafka://".length(), slash));
        config.put("acks", "all");
        config.put("enable.idempotence", "true");
        config.put("max.request.size", String.valueOf(64 << 20));
        // delivery.timeout.ms may not be below linger.ms + request.timeout.ms.
        final long timeoutMs = Math.max(1000, timeout.toMillis());
        config.put("linger.ms", "0");
        config.put("max.block.ms", String.valueOf(timeoutMs));
        config.put("request.timeout.ms", String.valueOf(Math.min(30_000, timeoutMs)));
        config.put("delivery.timeout.ms", String.valueOf(timeoutMs));
        config.put("key.serializer", ByteArraySerializer.class.getName());
        config.put("value.serializer", ByteArraySerializer.class.getName());
        for (final String property : properties)
        {
            final int eq = property.indexOf('=');
            if (eq <= 0)
            {
                throw new IllegalArgumentException("--kafka-prop takes KEY=VALUE, got '" + property + "'");
            }
            config.put(property.substring(0, eq), property.substring(eq + 1));
        }
        this.producer = new KafkaProducer<>(config);
    }

    public String url()
    {
        return url;
    }

    /** Send the snapshot of window {@code window} of this agent; counted when the broker answers. */
    public void send(final byte[] snapshot, final long window)
    {
        try
        {
            producer.send(new ProducerRecord<>(topic, (AGENT + "/" + window).getBytes(StandardCharsets.UTF_8), snapshot),
                (metadata, ex) ->
                {
                    if (ex == null)
                    {
                        published.incrementAndGet();
                    }
                    else
                    {
                        failed.incrementAndGet();
                        lastError.set(rootCause(ex));
                    }
                });
        }
        catch (final RuntimeException ex)
        {
            failed.incrementAndGet();
            lastError.set(rootCause(ex));
        }
    }

    /** Wait until every snapshot sent so far is acknowledged or has failed. */
    public void flush()
    {
        producer.flush();
    }

    public long published()
    {
        return published.get();
    }

    public long failed()
    {
        return failed.get();
    }

    public String lastError()
    {
        return lastError.get();
    }

    @Override
    public void close()
    {
        producer.close(Duration.ofSeconds(5));
    }

    private static String rootCause(final Throwable ex)
    {
        Throwable cause = ex;
        while (cause.getCause() != null && cause.getCause() != cause)
        {
            cause = cause.getCause();
        }
        return cause.toString();
    }

    /** The host name, without a DNS look-up (which may hang): the kernel's, else $HOSTNAME. */
    private static String host()
    {
        try
        {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            final String name = System.getenv("HOSTNAME");
            return name != null ? name : "localhost";
        }
    }
}
