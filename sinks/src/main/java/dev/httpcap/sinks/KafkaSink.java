package dev.httpcap.sinks;

import org.agrona.DirectBuffer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static dev.httpcap.sinks.KafkaErrors.describe;

/**
 * Sends events to a Kafka topic, one record per event, and never loses or (exactly-once) doubles one.
 * <p>
 * Every event first goes into a write-ahead log on local disk ({@link SpillQueue}: append-only
 * segments, a CRC-32C per record), on the sink thread, which never waits for a broker. A second
 * thread, the shipper, reads the log in order, in windows of up to {@value KafkaShipper#WINDOW_RECORDS}
 * records, and sends each window; once a window is acknowledged its end is committed as the
 * log's position and delivered segments are deleted. A process killed at any moment therefore
 * loses nothing it was handed (the page cache holds it; only a power loss can take what was
 * written since the last {@link KafkaSinkConfig#fsyncMs() fsync}), and the next start sends the
 * log from its position. Only a full log drops events, counted in {@link #eventsSpillDropped()}.
 * <p>
 * {@link KafkaSinkConfig.Delivery#EXACTLY_ONCE Exactly once}: the producer is transactional
 * ({@code transactional.id} {@code httpcap-} + the log's identity); each window is one
 * transaction, and the window's end is committed in it too, as the offset of a consumer group
 * named like the transactional id ({@code sendOffsetsToTransaction}, as Kafka Connect's
 * exactly-once sources keep their source offsets, KIP-618). A consumer reading with
 * {@code isolation.level=read_committed} sees a window's records exactly when the log's position
 * has moved past them. At start, and after any producer error, the shipper reads that committed
 * position back and moves the log there (a crash between the commit in Kafka and the local one
 * would otherwise send the window again); {@code initTransactions} first aborts whatever an
 * earlier producer of the log left open.
 * <p>
 * {@link KafkaSinkConfig.Delivery#AT_LEAST_ONCE At least once}: an idempotent producer and the
 * local position only; a window is sent again after a crash if it was sent and not yet committed
 * locally. Every event carries an {@code event.id} for consumers to drop such copies.
 * <p>
 * {@link #close()} waits up to {@link KafkaSinkConfig#closeTimeoutMs()} for the log to be
 * delivered; what is left stays in the log for the next start.
 */
public final class KafkaSink implements EventSink
{
    private final String name;
    private final KafkaSinkConfig config;
    private final boolean exactlyOnce;
    private final SpillQueue log;
    private final Consumer<String> notices;
    private final Admin admin;
    private final KafkaDeliveryCounts counts = new KafkaDeliveryCounts();
    private final KafkaShipper shipper;
    private final Thread shipperThread;
    private final long fsyncNanos;
    /** Forces the log every fsync interval, so that neither the sink thread nor the shipper waits for the disk; null for 0 ms. */
    private final Thread syncThread;
    private volatile boolean syncStop;
    /** The fsync thread died: the sink thread forces the log at the interval from then on. */
    private volatile boolean syncThreadFailed;

    // Owned by the sink thread.
    private boolean closed;
    private boolean fullReported;

    private final AtomicLong spillDropped = new AtomicLong();
    private long producerRetries;

    /**
     * Open the log and start the shipper; nothing here waits for a broker (the shipper connects,
     * and retries, on its own thread).
     *
     * @param config  of this sink; bootstrap servers and topic are required.
     * @param name    for reports, normally the spec.
     * @param notices where one-line messages go: broker lost and back, damaged log, the summary at close.
     * @throws IOException              if the log directory cannot be opened or is in use.
     * @throws IllegalArgumentException if the producer refuses the configuration.
     */
    public KafkaSink(final KafkaSinkConfig config, final String name, final Consumer<String> notices) throws IOException
    {
        if (null == config.bootstrapServers() || config.bootstrapServers().isBlank() ||
            null == config.topic() || config.topic().isBlank())
        {
            throw new IllegalArgumentException("a kafka sink needs bootstrap servers and a topic");
        }
        if (config.spillMaxBytes() <= 0)
        {
            throw new IllegalArgumentException("a kafka sink needs its log on disk: spill-max-mb must be > 0");
        }
        this.exactlyOnce = config.delivery() == KafkaSinkConfig.Delivery.EXACTLY_ONCE;
        if (exactlyOnce && !"all".equals(config.acks()))
        {
            throw new IllegalArgumentException("exactly-once delivery needs acks=all, not acks=" + config.acks());
        }
        this.name = name;
        this.config = config;
        this.notices = notices;
        this.fsyncNanos = TimeUnit.MILLISECONDS.toNanos(config.fsyncMs());
        this.log = new SpillQueue(config.spillDir(), config.spillMaxBytes(), this::notice);
        final String transactionalId = "httpcap-" + log.identity();
        final Supplier<Producer<byte[], byte[]>> newProducer =
            () -> new KafkaProducer<>(config.producerConfig(exactlyOnce ? transactionalId : null));
        Producer<byte[], byte[]> producer = null;
        Admin adminClient = null;
        try
        {
            producer = newProducer.get();
            if (exactlyOnce)
            {
                adminClient = Admin.create(adminConfig());
            }
        }
        catch (final KafkaException ex)
        {
            if (null != producer)
            {
                producer.close(Duration.ZERO);
            }
            log.close();
            throw new IllegalArgumentException("cannot start the kafka producer for '" + name + "': " + describe(ex), ex);
        }
        this.admin = adminClient;

        if (!log.drained())
        {
            notice("the spill " + log.dir() + " holds " + log.diskBytes() + " bytes from an earlier run: " +
                "sending them first");
        }
        shipper = new KafkaShipper(config, log, producer, newProducer, admin, transactionalId, this::notice, counts);
        shipperThread = Thread.ofPlatform().daemon().name("httpcap-kafka-shipper").unstarted(shipper);
        shipperThread.start();
        syncThread = fsyncNanos > 0 ? Thread.ofPlatform().daemon().name("httpcap-kafka-fsync").start(this::syncLoop) : null;
    }

    /**
     * Force what was flushed once it has waited the fsync interval: a power loss can take at most
     * that much. An fsync takes tens of milliseconds here (perf/README.md); on this thread it stalls
     * neither the sink thread (and through the hand-off the pipeline) nor the shipper.
     */
    private void syncLoop()
    {
        final long idleNanos = Math.min(fsyncNanos, TimeUnit.MILLISECONDS.toNanos(100));
        try
        {
            while (!syncStop)
            {
                final long since = log.unsyncedSinceNanos();
                final long now = System.nanoTime();
                if (0 != since && now - since >= fsyncNanos)
                {
                    log.sync();
                    continue;
                }
                // Nothing waits: look again before a write made now would be due. Else sleep until due.
                LockSupport.parkNanos(0 == since ? idleNanos : since + fsyncNanos - now);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            // Never a silent end: the power-loss window would grow without bound.
            syncThreadFailed = true;
            final String message = "the fsync thread failed (" + ex + "): the sink thread forces the log from now on";
            recordError(message);
            notice(message);
        }
    }

    public EventFormat format()
    {
        return EventFormat.JSON;
    }

    public String name()
    {
        return name;
    }

    public void onEvent(final DirectBuffer buffer, final int offset, final int length)
    {
        if (closed)
        {
            counts.failed.incrementAndGet();
            recordError("event offered after the sink was closed");
            return;
        }
        if (length <= 0)
        {
            counts.failed.incrementAndGet(); // a record with nothing in it; the log keeps none
            recordError("an empty event: not sent");
            return;
        }
        if (log.append(buffer, offset, length))
        {
            return;
        }
        spillDropped.incrementAndGet();
        if (!fullReported)
        {
            fullReported = true;
            final String message = "the spill " + log.dir() + " is full (" + (log.maxBytes() >> 20) +
                " MiB): dropping events";
            recordError(message);
            notice(message + " (counted)");
        }
    }

    public void flush()
    {
        log.flush();
        if (null == syncThread && log.syncDue(0))
        {
            log.sync(); // --spill-fsync-ms 0: after every batch that wrote something
        }
        else if (syncThreadFailed && log.syncDue(fsyncNanos))
        {
            log.sync();
        }
        LockSupport.unpark(shipperThread);
    }

    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        log.flush();
        log.sync();

        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.closeTimeoutMs());
        LockSupport.unpark(shipperThread);
        while (System.nanoTime() - deadline < 0 && !log.drained())
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }

        shipper.stop();
        LockSupport.unpark(shipperThread);
        try
        {
            shipperThread.join(config.maxBlockMs() + 2_000L);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (null != syncThread)
        {
            syncStop = true;
            LockSupport.unpark(syncThread);
            try
            {
                syncThread.join(10_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        final Producer<byte[], byte[]> producer = shipper.producer();
        if (null != producer)
        {
            producerRetries = producerMetric(producer, "record-retry-total");
            try
            {
                producer.close(Duration.ofMillis(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            }
            catch (final KafkaException ex)
            {
                recordError(describe(ex));
            }
        }
        if (null != admin)
        {
            admin.close(Duration.ZERO);
        }
        final long leftBytes = log.drained() ? 0 : log.diskBytes();
        log.close();
        if (null != log.lastError())
        {
            recordError(log.lastError());
        }
        notice(summary(leftBytes));
    }

    /** @return events the broker acknowledged (exactly-once: committed). */
    public long eventsWritten()
    {
        return counts.delivered.get();
    }

    /** @return bytes of the events the broker acknowledged (record values). */
    public long bytesWritten()
    {
        return counts.deliveredBytes.get();
    }

    /** @return events lost: refused by the broker for good, dropped with the log full, or lost by the log's disk. */
    public long eventsFailed()
    {
        return counts.failed.get() + spillDropped.get() + log.lostRecords();
    }

    public String lastError()
    {
        return counts.lastError();
    }

    /** @return events acknowledged that an earlier run had written to the log. */
    public long eventsDeliveredFromEarlierRun()
    {
        return counts.deliveredFromEarlierRun.get();
    }

    /** @return events written to the log this run (handed to the operating system: a killed process keeps them). */
    public long eventsSpilled()
    {
        return log.writtenRecords();
    }

    /** @return events of this run in the log and not yet acknowledged (nor refused for good). */
    public long eventsPending()
    {
        return Math.max(0, log.writtenRecords() - (counts.delivered.get() - counts.deliveredFromEarlierRun.get()) -
            (counts.failed.get() - counts.failedFromEarlierRun.get()));
    }

    /** @return events dropped because the log was full. */
    public long eventsSpillDropped()
    {
        return spillDropped.get();
    }

    /** @return records sent again: by the producer itself (known after close) and by this sink. */
    public long eventsRetried()
    {
        return producerRetries + counts.resent.get();
    }

    /** @return true while something written to the log waits for its fsync. */
    boolean spillUnforced()
    {
        return 0 != log.unsyncedSinceNanos();
    }

    /** @return damaged log segments skipped. */
    public long spillCorruptSegments()
    {
        return log.corruptSegments();
    }

    @Override
    public List<Counter> counters()
    {
        return List.of(
            new Counter("spilled", "events written to the spill, the Kafka sink's write-ahead log", false, this::eventsSpilled),
            new Counter("pending", "events in the spill not yet acknowledged", true, this::eventsPending),
            new Counter("acknowledged", "events the brokers acknowledged (exactly-once: committed)", false, this::eventsWritten),
            new Counter("spill_dropped", "events dropped because the spill was full", false, this::eventsSpillDropped),
            new Counter("spill_bytes", "bytes the spill holds on disk", true, log::diskBytes));
    }

    /**
     * Not ready while the brokers have been away for a while and the spill holds more than
     * {@code unready-spill-mb}: events are safe on disk, but the service is not doing its job.
     */
    @Override
    public String notReady()
    {
        final long spill = log.diskBytes();
        if (shipper.troubled() && spill >= config.unreadySpillBytes())
        {
            return "brokers " + config.bootstrapServers() + " away (" + counts.lastTransientError + "), spill at " +
                (spill >> 20) + " MiB (unready from " + (config.unreadySpillBytes() >> 20) + " MiB)";
        }
        return null;
    }

    /** @return the counts for a statistics line: spilled, pending, acknowledged, dropped (full). */
    public String progress()
    {
        return "spilled " + log.writtenRecords() + ", pending " + eventsPending() + ", acknowledged " + counts.delivered.get() +
            ", dropped (full) " + spillDropped.get();
    }

    /** @return the one-line account printed at close. */
    String summary(final long leftBytes)
    {
        final long deliveredCount = counts.delivered.get();
        final long first = counts.firstSendNanos.get();
        final long elapsed = counts.lastAckNanos - first;
        final String rate = deliveredCount > 0 && first != 0 && elapsed > 0 ?
            String.format(" at %.0f events/s", deliveredCount * 1e9 / elapsed) : "";
        final StringBuilder line = new StringBuilder()
            .append(exactlyOnce ? "exactly-once: " : "at-least-once: ")
            .append(deliveredCount).append(" delivered").append(rate)
            .append(" (").append(counts.deliveredFromEarlierRun.get()).append(" from an earlier run");
        if (exactlyOnce)
        {
            line.append(", ").append(counts.transactions.get()).append(" transactions");
        }
        line.append("), ")
            .append(eventsRetried()).append(" retried, ")
            .append(counts.failed.get()).append(" failed; spill: ")
            .append(log.writtenRecords()).append(" spilled, ")
            .append(eventsPending()).append(" pending, ")
            .append(spillDropped.get()).append(" dropped (full)");
        if (log.corruptSegments() > 0)
        {
            line.append(", ").append(log.corruptSegments()).append(" damaged segments (")
                .append(log.corruptBytes()).append(" bytes skipped)");
        }
        line.append(leftBytes > 0 ? ", " + leftBytes + " bytes left in " + log.dir() + " for the next start" : ", empty");
        if (null != counts.lastError())
        {
            line.append("; ").append(counts.lastError());
        }
        return line.toString();
    }

    private Properties adminConfig()
    {
        final Properties props = new Properties();
        props.put("bootstrap.servers", config.bootstrapServers());
        props.put("client.id", "httpcap-admin");
        // Security settings (TLS, SASL) are the producer's; the admin client ignores the rest.
        config.producerProperties().forEach((key, value) ->
        {
            if (key.startsWith("security.") || key.startsWith("ssl.") || key.startsWith("sasl."))
            {
                props.put(key, value);
            }
        });
        return props;
    }

    private void notice(final String message)
    {
        notices.accept("kafka " + name + ": " + message);
    }

    private void recordError(final String message)
    {
        counts.recordError(message);
    }

    private static long producerMetric(final Producer<byte[], byte[]> producer, final String metric)
    {
        try
        {
            for (final Map.Entry<MetricName, ? extends Metric> entry : producer.metrics().entrySet())
            {
                if (metric.equals(entry.getKey().name()) && "producer-metrics".equals(entry.getKey().group()) &&
                    entry.getValue().metricValue() instanceof Number number)
                {
                    return number.longValue();
                }
            }
        }
        catch (final RuntimeException ex)
        {
            return 0;
        }
        return 0;
    }
}
