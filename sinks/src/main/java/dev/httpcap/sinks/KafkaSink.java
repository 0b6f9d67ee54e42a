package dev.httpcap.sinks;

import org.agrona.DirectBuffer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Sends events to a Kafka topic, one record per event, and never loses or (exactly-once) doubles one.
 * <p>
 * Every event first goes into a write-ahead log on local disk ({@link SpillQueue}: append-only
 * segments, a CRC-32C per record), on the sink thread, which never waits for a broker. A second
 * thread, the shipper, reads the log in order, in windows of up to {@value #WINDOW_RECORDS}
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
    private static final int PENDING = 0;
    private static final int DELIVERED = 1;
    private static final int RETRY = 2;
    private static final int FAILED = 3;
    private static final int NOT_SENT = 4;
    private static final int WINDOW_RECORDS = 65_536;
    private static final int WINDOW_BYTES = 32 << 20;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(3);

    /**
     * Fault injection for the tests: with {@code -Dhttpcap.kafka.haltAfterCommits=N} the process
     * halts right after its N-th transaction is committed in Kafka, before the log's own position
     * records it, as a crash at that instant would.
     */
    private static final long HALT_AFTER_COMMITS = Long.getLong("httpcap.kafka.haltAfterCommits", 0);

    private static final VarHandle LAST_ERROR;

    static
    {
        try
        {
            LAST_ERROR = MethodHandles.lookup().findVarHandle(KafkaSink.class, "lastError", String.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final String name;
    private final KafkaSinkConfig config;
    private final String topic;
    private final KafkaKey keyMode;
    private final boolean exactlyOnce;
    private final SpillQueue log;
    private final Consumer<String> notices;
    private final String transactionalId;
    private final TopicPartition positionPartition;
    private final Admin admin;
    private final Shipper shipper = new Shipper();
    private final Thread shipperThread;
    private final long fsyncNanos;

    // Owned by the sink thread.
    private boolean closed;
    private boolean fullReported;

    private volatile String lastError;
    private volatile String lastTransientError;
    private volatile long lastAckNanos;
    private final AtomicLong firstSendNanos = new AtomicLong();

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong deliveredBytes = new AtomicLong();
    private final AtomicLong deliveredFromEarlierRun = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong failedFromEarlierRun = new AtomicLong();
    private final AtomicLong spillDropped = new AtomicLong();
    private final AtomicLong resent = new AtomicLong();
    private final AtomicLong transactions = new AtomicLong();
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
        this.topic = config.topic();
        this.keyMode = config.key();
        this.notices = notices;
        this.fsyncNanos = TimeUnit.MILLISECONDS.toNanos(config.fsyncMs());
        this.log = new SpillQueue(config.spillDir(), config.spillMaxBytes(), this::notice);
        this.transactionalId = "httpcap-" + log.identity();
        this.positionPartition = new TopicPartition(topic, 0);
        Admin adminClient = null;
        try
        {
            shipper.producer = newProducer();
            if (exactlyOnce)
            {
                adminClient = Admin.create(adminConfig());
            }
        }
        catch (final KafkaException ex)
        {
            if (null != shipper.producer)
            {
                shipper.producer.close(Duration.ZERO);
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
        shipperThread = Thread.ofPlatform().daemon().name("httpcap-kafka-shipper").unstarted(shipper);
        shipperThread.start();
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
            failed.incrementAndGet();
            recordError("event offered after the sink was closed");
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
        if (log.syncDue(fsyncNanos))
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

        shipper.stop = true;
        LockSupport.unpark(shipperThread);
        try
        {
            shipperThread.join(config.maxBlockMs() + 2_000L);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        final Producer<byte[], byte[]> producer = shipper.producer;
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
        return delivered.get();
    }

    /** @return bytes of the events the broker acknowledged (record values). */
    public long bytesWritten()
    {
        return deliveredBytes.get();
    }

    /** @return events lost: refused by the broker for good, dropped with the log full, or lost by the log's disk. */
    public long eventsFailed()
    {
        return failed.get() + spillDropped.get() + log.lostRecords();
    }

    public String lastError()
    {
        return lastError;
    }

    /** @return events acknowledged that an earlier run had written to the log. */
    public long eventsDeliveredFromEarlierRun()
    {
        return deliveredFromEarlierRun.get();
    }

    /** @return events written to the log this run (handed to the operating system: a killed process keeps them). */
    public long eventsSpilled()
    {
        return log.writtenRecords();
    }

    /** @return events of this run in the log and not yet acknowledged (nor refused for good). */
    public long eventsPending()
    {
        return Math.max(0, log.writtenRecords() - (delivered.get() - deliveredFromEarlierRun.get()) -
            (failed.get() - failedFromEarlierRun.get()));
    }

    /** @return events dropped because the log was full. */
    public long eventsSpillDropped()
    {
        return spillDropped.get();
    }

    /** @return records sent again: by the producer itself (known after close) and by this sink. */
    public long eventsRetried()
    {
        return producerRetries + resent.get();
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
        if (shipper.troubled && spill >= config.unreadySpillBytes())
        {
            return "brokers " + config.bootstrapServers() + " away (" + lastTransientError + "), spill at " +
                (spill >> 20) + " MiB (unready from " + (config.unreadySpillBytes() >> 20) + " MiB)";
        }
        return null;
    }

    /** @return the counts for a statistics line: spilled, pending, acknowledged, dropped (full). */
    public String progress()
    {
        return "spilled " + log.writtenRecords() + ", pending " + eventsPending() + ", acknowledged " + delivered.get() +
            ", dropped (full) " + spillDropped.get();
    }

    /** @return the one-line account printed at close. */
    String summary(final long leftBytes)
    {
        final long deliveredCount = delivered.get();
        final long first = firstSendNanos.get();
        final long elapsed = lastAckNanos - first;
        final String rate = deliveredCount > 0 && first != 0 && elapsed > 0 ?
            String.format(" at %.0f events/s", deliveredCount * 1e9 / elapsed) : "";
        final StringBuilder line = new StringBuilder()
            .append(exactlyOnce ? "exactly-once: " : "at-least-once: ")
            .append(deliveredCount).append(" delivered").append(rate)
            .append(" (").append(deliveredFromEarlierRun.get()).append(" from an earlier run");
        if (exactlyOnce)
        {
            line.append(", ").append(transactions.get()).append(" transactions");
        }
        line.append("), ")
            .append(eventsRetried()).append(" retried, ")
            .append(failed.get()).append(" failed; spill: ")
            .append(log.writtenRecords()).append(" spilled, ")
            .append(eventsPending()).append(" pending, ")
            .append(spillDropped.get()).append(" dropped (full)");
        if (log.corruptSegments() > 0)
        {
            line.append(", ").append(log.corruptSegments()).append(" damaged segments (")
                .append(log.corruptBytes()).append(" bytes skipped)");
        }
        line.append(leftBytes > 0 ? ", " + leftBytes + " bytes left in " + log.dir() + " for the next start" : ", empty");
        if (null != lastError)
        {
            line.append("; ").append(lastError);
        }
        return line.toString();
    }

    private Producer<byte[], byte[]> newProducer()
    {
        return new KafkaProducer<>(config.producerConfig(exactlyOnce ? transactionalId : null));
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
        LAST_ERROR.compareAndSet(this, null, message);
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

    static boolean isPermanent(final Exception ex)
    {
        return ex instanceof RecordTooLargeException || ex instanceof RecordBatchTooLargeException ||
            ex instanceof InvalidRecordException || ex instanceof InvalidTopicException ||
            ex instanceof SerializationException;
    }

    /** @return true if the producer cannot go on (a transactional producer must be made anew). */
    static boolean isFatal(final Exception ex)
    {
        return ex instanceof ProducerFencedException || ex instanceof OutOfOrderSequenceException ||
            ex instanceof AuthorizationException || ex instanceof AuthenticationException ||
            ex instanceof UnsupportedVersionException || ex instanceof IllegalStateException;
    }

    static String describe(final Exception ex)
    {
        final String message = ex.getMessage();
        return ex.getClass().getSimpleName() + (null == message ? "" : ": " + message);
    }

    /** The outcome of one record of a window. */
    private static final class WindowCallback implements Callback
    {
        private final int[] status;
        private final int index;
        private final AtomicInteger outstanding;
        private final Thread shipper;
        private final KafkaSink sink;

        WindowCallback(final KafkaSink sink, final int[] status, final int index, final AtomicInteger outstanding, final Thread shipper)
        {
            this.sink = sink;
            this.status = status;
            this.index = index;
            this.outstanding = outstanding;
            this.shipper = shipper;
        }

        public void onCompletion(final RecordMetadata metadata, final Exception ex)
        {
            if (null == ex)
            {
                status[index] = DELIVERED;
                sink.lastAckNanos = System.nanoTime();
            }
            else if (isPermanent(ex))
            {
                status[index] = FAILED;
                sink.recordError(describe(ex));
            }
            else
            {
                status[index] = RETRY;
                sink.lastTransientError = describe(ex);
            }
            if (outstanding.decrementAndGet() == 0)
            {
                LockSupport.unpark(shipper);
            }
        }
    }

    /**
     * Reads the log in order and sends it, a window at a time; the window's end is committed (in
     * Kafka's transaction and locally) once every record of it is delivered or refused for good.
     */
    private final class Shipper implements Runnable
    {
        volatile boolean stop;
        Producer<byte[], byte[]> producer;

        private final List<byte[]> window = new ArrayList<>();
        private int[] status = new int[0];
        private AtomicInteger outstanding = new AtomicInteger();
        private long windowEnd;
        private boolean ready;
        /** The brokers have been away or refusing for a while (read by {@link #notReady()} on any thread). */
        volatile boolean troubled;
        private long troubleSinceNanos;
        private boolean initialized;
        // The end of the last window this run put into a transaction: Kafka may hold it as the position.
        private long highestAttempted = -1;
        private long backoff = MIN_BACKOFF_NANOS;

        public void run()
        {
            while (!stop)
            {
                // The sink thread forces the log when it flushes; when events stop coming (or the
                // brokers are away) this keeps the power-loss window within the interval.
                if (log.syncDue(fsyncNanos))
                {
                    log.sync();
                }
                try
                {
                    if (!ready && !connect())
                    {
                        trouble();
                        continue;
                    }
                    if (window.isEmpty() && !fill())
                    {
                        LockSupport.parkNanos(IDLE_PARK_NANOS);
                        continue;
                    }
                    if (exactlyOnce ? sendTransaction() : sendAndAwait())
                    {
                        settle();
                        troubleSinceNanos = 0;
                        if (troubled)
                        {
                            troubled = false;
                            notice("brokers " + config.bootstrapServers() + " take records again");
                        }
                        backoff = MIN_BACKOFF_NANOS;
                    }
                    else
                    {
                        trouble();
                    }
                }
                catch (final KafkaException | IllegalStateException ex)
                {
                    // Not one of the errors handled where they arise: start the producer afresh.
                    lastTransientError = describe(ex);
                    discardProducer();
                    trouble();
                }
            }
        }

        private void trouble()
        {
            if (0 == troubleSinceNanos)
            {
                troubleSinceNanos = System.nanoTime();
            }
            // A fresh cluster takes a few seconds to make its transaction log: not worth a message.
            if (!troubled && !stop && System.nanoTime() - troubleSinceNanos >= STALL_NANOS)
            {
                troubled = true;
                notice("brokers " + config.bootstrapServers() + " unreachable or refusing (" + lastTransientError +
                    "): events wait in the spill " + log.dir());
            }
            LockSupport.parkNanos(backoff);
            backoff = Math.min(MAX_BACKOFF_NANOS, backoff * 2);
        }

        /** @return true once the producer is usable and (exactly-once) the log is at Kafka's committed position. */
        private boolean connect()
        {
            try
            {
                if (null == producer)
                {
                    producer = newProducer();
                }
                if (!exactlyOnce)
                {
                    producer.partitionsFor(topic);
                    ready = true;
                    return true;
                }
                if (!initialized)
                {
                    producer.initTransactions();
                    initialized = true;
                }
                restore(committedInKafka());
                ready = true;
                return true;
            }
            catch (final KafkaException ex)
            {
                lastTransientError = describe(ex);
                if (isFatal(ex) && !(ex instanceof TimeoutException))
                {
                    discardProducer();
                }
                return false;
            }
        }

        /** @return the log position committed in Kafka for this log, or -1 if there is none. */
        private long committedInKafka()
        {
            try
            {
                final Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(transactionalId,
                        new ListConsumerGroupOffsetsOptions().requireStable(true).timeoutMs(config.maxBlockMs() + 5_000))
                    .partitionsToOffsetAndMetadata().get();
                final OffsetAndMetadata position = offsets.get(positionPartition);
                return null == position ? -1 : position.offset();
            }
            catch (final ExecutionException ex)
            {
                throw ex.getCause() instanceof KafkaException kafka ? kafka : new KafkaException(ex.getCause());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new KafkaException(ex);
            }
        }

        /** Move the log to the position Kafka holds: whatever is before it was committed in Kafka already. */
        private void restore(final long inKafka)
        {
            if (inKafka < 0)
            {
                return;
            }
            if (inKafka >= log.runStart() && inKafka > highestAttempted)
            {
                notice("the position committed in Kafka (" + describePosition(inKafka) + ") is past anything the spill " +
                    log.dir() + " wrote before this run or sent since (were its last writes lost to a power failure?); " +
                    "keeping the spill's own position");
                return;
            }
            if (!window.isEmpty())
            {
                if (inKafka >= windowEnd)
                {
                    // The window's transaction was committed although its commit reported an error.
                    for (int i = 0; i < status.length; i++)
                    {
                        if (status[i] != FAILED)
                        {
                            status[i] = DELIVERED;
                        }
                    }
                    settle();
                }
                return;
            }
            final long before = log.committedPosition();
            if (log.seek(inKafka))
            {
                notice("the spill's last window up to " + describePosition(inKafka) + " was committed in Kafka " +
                    "before the earlier run stopped (its own position said " + describePosition(before) + "): not sending it again");
            }
        }

        /** @return true if there is a window to send. */
        private boolean fill()
        {
            final long before = log.committedPosition();
            windowEnd = log.read(window, WINDOW_RECORDS, WINDOW_BYTES);
            if (window.isEmpty())
            {
                if (windowEnd != before && windowEnd > log.committedPosition())
                {
                    log.commit(windowEnd); // only damaged records were passed over
                }
                return false;
            }
            status = new int[window.size()];
            return true;
        }

        /** Exactly once: the window and its end as one transaction. @return true if committed. */
        private boolean sendTransaction()
        {
            final int[] attempt = freshStatus();
            boolean begun = false;
            try
            {
                producer.beginTransaction();
                begun = true;
                highestAttempted = Math.max(highestAttempted, windowEnd);
                sendPending(attempt);
                for (final int s : attempt)
                {
                    if (s == RETRY || s == NOT_SENT)
                    {
                        throw new KafkaException("a send failed: " + lastTransientError);
                    }
                }
                producer.sendOffsetsToTransaction(
                    Map.of(positionPartition, new OffsetAndMetadata(windowEnd, "httpcap spill " + describePosition(windowEnd))),
                    new ConsumerGroupMetadata(transactionalId));
                while (true)
                {
                    try
                    {
                        producer.commitTransaction();
                        break;
                    }
                    catch (final TimeoutException ex)
                    {
                        // The commit goes on in the producer; asking again waits for the same outcome.
                        lastTransientError = describe(ex);
                        if (stop)
                        {
                            return false;
                        }
                        if (!troubled)
                        {
                            trouble();
                        }
                    }
                }
                if (transactions.incrementAndGet() == HALT_AFTER_COMMITS)
                {
                    Runtime.getRuntime().halt(137);
                }
                for (int i = 0; i < attempt.length; i++)
                {
                    if (attempt[i] != FAILED)
                    {
                        attempt[i] = DELIVERED;
                    }
                }
                status = attempt;
                return true;
            }
            catch (final KafkaException ex)
            {
                lastTransientError = describe(ex);
                if (isFatal(ex))
                {
                    discardProducer();
                }
                else if (begun)
                {
                    try
                    {
                        producer.abortTransaction();
                    }
                    catch (final KafkaException abortFailed)
                    {
                        lastTransientError = describe(abortFailed);
                        discardProducer();
                    }
                }
                awaitCallbacks();
                // Records refused for good stay out of the next attempt; the rest go again.
                for (int i = 0; i < attempt.length; i++)
                {
                    if (attempt[i] == FAILED)
                    {
                        status[i] = FAILED;
                    }
                }
                resent.addAndGet(countNot(attempt, FAILED));
                return false;
            }
        }

        /** At least once: send what is pending, wait for every outcome. @return true if nothing needs sending again. */
        private boolean sendAndAwait()
        {
            final int[] attempt = freshStatus();
            sendPending(attempt);
            final long since = System.nanoTime();
            while (!stop && outstanding.get() > 0)
            {
                LockSupport.parkNanos(IDLE_PARK_NANOS);
                if (!troubled && System.nanoTime() - since > STALL_NANOS)
                {
                    troubled = true;
                    notice("brokers " + config.bootstrapServers() + " have not acknowledged a window for " +
                        TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS) + " s: events wait in the spill " + log.dir());
                }
            }
            if (stop && outstanding.get() > 0)
            {
                return false;
            }
            int again = 0;
            for (int i = 0; i < attempt.length; i++)
            {
                if (attempt[i] == RETRY || attempt[i] == NOT_SENT)
                {
                    attempt[i] = PENDING;
                    again++;
                }
            }
            status = attempt;
            if (again > 0)
            {
                resent.addAndGet(again);
                return false;
            }
            return true;
        }

        private int[] freshStatus()
        {
            final int[] attempt = new int[status.length];
            for (int i = 0; i < attempt.length; i++)
            {
                attempt[i] = status[i] == FAILED || status[i] == DELIVERED ? status[i] : PENDING;
            }
            outstanding = new AtomicInteger();
            return attempt;
        }

        private void sendPending(final int[] attempt)
        {
            final AtomicInteger outstanding = this.outstanding;
            int toSend = 0;
            for (final int s : attempt)
            {
                if (s == PENDING)
                {
                    toSend++;
                }
            }
            outstanding.set(toSend);
            firstSendNanos.compareAndSet(0, System.nanoTime());
            for (int i = 0; i < attempt.length; i++)
            {
                if (attempt[i] != PENDING)
                {
                    continue;
                }
                final byte[] value = window.get(i);
                final byte[] key = keyMode.extract(value, 0, value.length);
                try
                {
                    producer.send(new ProducerRecord<>(topic, null, key, value),
                        new WindowCallback(KafkaSink.this, attempt, i, outstanding, Thread.currentThread()));
                }
                catch (final KafkaException ex)
                {
                    attempt[i] = isPermanent(ex) ? FAILED : RETRY;
                    lastTransientError = describe(ex);
                    outstanding.decrementAndGet();
                }
                if (attempt[i] == RETRY)
                {
                    // Failed inside send (no metadata: the brokers are away); each further send would
                    // wait max.block.ms as well, so the rest of the window waits for the next round.
                    for (int j = i + 1; j < attempt.length; j++)
                    {
                        if (attempt[j] == PENDING)
                        {
                            attempt[j] = NOT_SENT;
                            outstanding.decrementAndGet();
                        }
                    }
                    break;
                }
            }
        }

        private void awaitCallbacks()
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (outstanding.get() > 0 && System.nanoTime() - deadline < 0)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }

        /** Count the window's outcome and commit its end locally. */
        private void settle()
        {
            final boolean earlier = windowEnd <= log.runStart();
            long ok = 0;
            long bytes = 0;
            long refused = 0;
            for (int i = 0; i < status.length; i++)
            {
                if (status[i] == FAILED)
                {
                    refused++;
                }
                else
                {
                    ok++;
                    bytes += window.get(i).length;
                }
            }
            delivered.addAndGet(ok);
            deliveredBytes.addAndGet(bytes);
            failed.addAndGet(refused);
            if (earlier)
            {
                deliveredFromEarlierRun.addAndGet(ok);
                failedFromEarlierRun.addAndGet(refused);
            }
            log.commit(windowEnd);
            window.clear();
            status = new int[0];
        }

        private void discardProducer()
        {
            ready = false;
            initialized = false;
            if (null != producer)
            {
                try
                {
                    producer.close(Duration.ZERO);
                }
                catch (final KafkaException ex)
                {
                    lastTransientError = describe(ex);
                }
                producer = null;
            }
        }
    }

    private static int countNot(final int[] status, final int value)
    {
        int count = 0;
        for (final int s : status)
        {
            if (s != value)
            {
                count++;
            }
        }
        return count;
    }

    static String describePosition(final long position)
    {
        return "segment " + (position >>> 32) + " byte " + (position & 0xFFFF_FFFFL);
    }
}
