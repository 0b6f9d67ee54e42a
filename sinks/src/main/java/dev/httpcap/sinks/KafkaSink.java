package dev.httpcap.sinks;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Sends events to a Kafka topic, one record per event, and never loses one silently.
 * <p>
 * On the sink thread each event becomes a producer record (value: the JSON bytes; key: see
 * {@link KafkaKey}) sent directly while the broker keeps up. When it does not — a delivery fails,
 * nothing has been acknowledged for {@link KafkaSinkConfig#stallMs()}, or more than
 * {@link KafkaSinkConfig#maxInflightBytes()} wait for acknowledgement — events go to a durable
 * {@link SpillQueue} on local disk instead. A second thread, the drainer, sends the spill to the
 * broker in order once the records sent before it are settled (failed ones first, from memory,
 * oldest send first whatever order the producer reports them in), and the sink thread goes back
 * to sending directly only when the spill is empty. So events of one connection (one key) reach
 * their partition in the order they were written. Only when the
 * spill is full are events dropped, counted in {@link #eventsFailed()}.
 * <p>
 * The producer is idempotent (with {@code acks=all}): its own retries never duplicate a record.
 * It has no delivery timeout, so it never fails an older record of a partition while a newer one
 * still gets through; only closing it aborts what it holds.
 * A record is sent again by this sink only after the producer gave up on it, and a spilled record
 * after a restart only if it was sent but not acknowledged before the process stopped.
 * <p>
 * {@link #close()} waits up to {@link KafkaSinkConfig#closeTimeoutMs()} for outstanding records
 * and the spill to be delivered, then spills whatever is left, ahead of the rest of the spill, so
 * the next start sends it first. The spill directory is taken over by the next sink opened on it.
 */
public final class KafkaSink implements EventSink
{
    private static final int PENDING = 0;
    private static final int DELIVERED = 1;
    private static final int RETRY = 2;
    private static final int FAILED = 3;
    private static final int NOT_SENT = 4;
    private static final int WINDOW_RECORDS = 16_384;
    private static final int WINDOW_BYTES = 16 << 20;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long CATCH_UP_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long CATCH_UP_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private static final VarHandle LAST_ERROR;
    private static final Comparator<DirectCallback> BY_SEQUENCE = Comparator.comparingLong(record -> record.sequence);

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
    private final Producer<byte[], byte[]> producer;
    private final SpillQueue spill;
    private final Consumer<String> notices;
    private final Drainer drainer = new Drainer();
    private final Thread drainerThread;
    private final long stallNanos;

    // Owned by the sink thread.
    private boolean spilling;
    private boolean closed;
    private Thread writer;
    private byte[] failedInSend;
    private long outstandingSinceNanos;
    private boolean spillFullReported;

    // Shared with the producer's callbacks and the drainer.
    private final AtomicLong directOutstanding = new AtomicLong();
    private final AtomicLong directOutstandingBytes = new AtomicLong();
    // In the order the callbacks ran, which is not always the order of sending: a producer
    // closed with batches outstanding aborts them in no particular order. Sorted by sequence
    // before they are sent again or spilled.
    private final ConcurrentLinkedQueue<DirectCallback> failedDirect = new ConcurrentLinkedQueue<>();
    private long directSequence;
    private volatile long lastAckNanos;
    private volatile boolean directTrouble;
    private volatile boolean closing;
    private volatile String lastError;
    private volatile String lastTransientError;
    private final AtomicLong firstSendNanos = new AtomicLong();

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong deliveredBytes = new AtomicLong();
    private final AtomicLong deliveredFromSpill = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong spilled = new AtomicLong();
    private final AtomicLong spillDropped = new AtomicLong();
    private final AtomicLong resent = new AtomicLong();
    private long spilledAtClose;
    private long producerRetries;

    /**
     * Open the spill, start the producer and check that the brokers answer (for at most
     * {@link KafkaSinkConfig#startupProbeMs()}); if they do not, events are spilled from the start.
     *
     * @param config  of this sink; bootstrap servers and topic are required.
     * @param name    for reports, normally the spec.
     * @param notices where one-line messages go: broker lost and back, damaged spill, the summary at close.
     * @throws IOException              if the spill directory cannot be opened or is in use.
     * @throws IllegalArgumentException if the producer refuses the configuration.
     */
    public KafkaSink(final KafkaSinkConfig config, final String name, final Consumer<String> notices) throws IOException
    {
        if (null == config.bootstrapServers() || config.bootstrapServers().isBlank() ||
            null == config.topic() || config.topic().isBlank())
        {
            throw new IllegalArgumentException("a kafka sink needs bootstrap servers and a topic");
        }
        this.name = name;
        this.config = config;
        this.topic = config.topic();
        this.keyMode = config.key();
        this.notices = notices;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(config.stallMs());
        this.spill = config.spillMaxBytes() > 0 ?
            new SpillQueue(config.spillDir(), config.spillMaxBytes(), this::notice) : null;
        try
        {
            this.producer = new KafkaProducer<>(config.producerConfig());
        }
        catch (final KafkaException ex)
        {
            if (null != spill)
            {
                spill.close();
            }
            throw new IllegalArgumentException("cannot start the kafka producer for '" + name + "': " + describe(ex), ex);
        }

        if (null != spill && !spill.drained())
        {
            spilling = true;
            notice("the spill " + spill.dir() + " holds " + spill.diskBytes() + " bytes from an earlier run: " +
                "sending them first");
        }
        final KafkaException unreachable = probeAtStart(config.startupProbeMs());
        if (null != unreachable)
        {
            spilling = true;
            directTrouble = true;
            notice("brokers " + config.bootstrapServers() + " do not answer (" + describe(unreachable) + "): " +
                (null != spill ? "events go to the spill " + spill.dir() + " until they do" :
                    "spilling is off, so events are dropped until they do"));
        }

        drainerThread = Thread.ofPlatform().daemon().name("httpcap-kafka-drainer").unstarted(drainer);
        drainerThread.start();
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
        writer = Thread.currentThread();

        if (spilling)
        {
            if (canSendDirectly())
            {
                spilling = false;
                notice("brokers " + config.bootstrapServers() + " keep up again: sending directly");
            }
        }
        else if (troubled())
        {
            spilling = true;
            final String why = directTrouble ? "a delivery failed (" + lastTransientError + ")" :
                directOutstandingBytes.get() > config.maxInflightBytes() ? "too many bytes wait for acknowledgement" :
                "nothing acknowledged for " + config.stallMs() + " ms";
            notice("brokers " + config.bootstrapServers() + " unreachable or slow: " + why + "; " +
                (null != spill ? "spilling to " + spill.dir() : "spilling is off, dropping events"));
        }

        if (!spilling)
        {
            if (!sendDirectly(buffer, offset, length))
            {
                spilling = true;
                notice("brokers " + config.bootstrapServers() + " unreachable or slow: a delivery failed (" +
                    lastTransientError + "); " + (null != spill ? "spilling to " + spill.dir() : "spilling is off, dropping events"));
                spillEvent(buffer, offset, length);
                return;
            }
            final byte[] failedNow = failedInSend;
            if (null != failedNow)
            {
                failedInSend = null;
                spilling = true;
                notice("brokers " + config.bootstrapServers() + " refused a record (" + lastTransientError + "); " +
                    (null != spill ? "spilling to " + spill.dir() : "spilling is off, dropping events"));
                spillEvent(new UnsafeBuffer(failedNow), 0, failedNow.length);
            }
            return;
        }
        spillEvent(buffer, offset, length);
    }

    public void flush()
    {
        if (null != spill)
        {
            spill.flush();
            if (spilling)
            {
                LockSupport.unpark(drainerThread);
            }
        }
    }

    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        closing = true;
        if (null != spill)
        {
            spill.flush();
        }

        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.closeTimeoutMs());
        LockSupport.unpark(drainerThread);
        while (System.nanoTime() - deadline < 0 && !allDelivered())
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }

        drainer.stop = true;
        LockSupport.unpark(drainerThread);
        try
        {
            drainerThread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) +
                config.maxBlockMs() + 1_000L);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }

        producerRetries = producerMetric("record-retry-total");
        try
        {
            producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        catch (final KafkaException ex)
        {
            recordError(describe(ex));
        }

        final List<byte[]> left = drainer.settleAtClose();
        if (!left.isEmpty())
        {
            final int written = null != spill ? spill.writeFront(left) : 0;
            spilledAtClose = written;
            if (written < left.size())
            {
                failed.addAndGet(left.size() - written);
                recordError((left.size() - written) + " undelivered events could not be spilled at close");
            }
        }

        long leftBytes = 0;
        if (null != spill)
        {
            spill.flush();
            leftBytes = spill.drained() && left.isEmpty() ? 0 : spill.diskBytes();
            spill.close();
            if (null != spill.lastError())
            {
                recordError(spill.lastError());
            }
        }
        notice(summary(leftBytes));
    }

    /** @return events the broker acknowledged. */
    public long eventsWritten()
    {
        return delivered.get();
    }

    /** @return bytes of the events the broker acknowledged (record values). */
    public long bytesWritten()
    {
        return deliveredBytes.get();
    }

    /** @return events lost: refused by the broker for good, dropped with the spill full, or lost by the spill's disk. */
    public long eventsFailed()
    {
        return failed.get() + spillDropped.get() + (null != spill ? spill.lostRecords() : 0);
    }

    public String lastError()
    {
        return lastError;
    }

    /** @return events acknowledged after a stay in the spill (this run, or an earlier one). */
    public long eventsDeliveredFromSpill()
    {
        return deliveredFromSpill.get();
    }

    /** @return events written to the spill, at close included. */
    public long eventsSpilled()
    {
        return spilled.get() + spilledAtClose;
    }

    /** @return events dropped because the spill was full (or off). */
    public long eventsSpillDropped()
    {
        return spillDropped.get();
    }

    /** @return records sent again: by the producer itself (known after close) and by this sink after the producer gave up. */
    public long eventsRetried()
    {
        return producerRetries + resent.get();
    }

    /** @return damaged spill segments skipped. */
    public long spillCorruptSegments()
    {
        return null != spill ? spill.corruptSegments() : 0;
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
            .append(deliveredCount).append(" delivered").append(rate)
            .append(" (").append(deliveredFromSpill.get()).append(" from the spill), ")
            .append(eventsRetried()).append(" retried, ")
            .append(failed.get()).append(" failed; spill: ")
            .append(eventsSpilled()).append(" spilled, ")
            .append(spillDropped.get()).append(" dropped (full)");
        if (null != spill)
        {
            if (spill.corruptSegments() > 0)
            {
                line.append(", ").append(spill.corruptSegments()).append(" damaged segments (")
                    .append(spill.corruptBytes()).append(" bytes skipped)");
            }
            line.append(leftBytes > 0 ? ", " + leftBytes + " bytes left in " + spill.dir() + " for the next start" :
                ", empty");
        }
        else
        {
            line.append(" (spilling is off)");
        }
        if (null != lastError)
        {
            line.append("; ").append(lastError);
        }
        return line.toString();
    }

    /** @return null once the brokers give the topic's partitions, or the last error after {@code probeMs}. */
    private KafkaException probeAtStart(final long probeMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(probeMs);
        while (true)
        {
            try
            {
                producer.partitionsFor(topic);
                return null;
            }
            catch (final KafkaException ex)
            {
                if (System.nanoTime() - deadline >= 0)
                {
                    return ex;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    private boolean troubled()
    {
        if (directTrouble)
        {
            return true;
        }
        if (directOutstanding.get() == 0)
        {
            return false;
        }
        if (directOutstandingBytes.get() > config.maxInflightBytes())
        {
            return true;
        }
        return System.nanoTime() - Math.max(lastAckNanos, outstandingSinceNanos) > stallNanos;
    }

    /**
     * Direct sends may resume once everything older is delivered. Under steady traffic the drainer
     * is always one flush behind the sink thread, so when it has caught up with the last flush,
     * the sink thread flushes what it has buffered and waits (briefly) for that to be delivered.
     */
    private boolean canSendDirectly()
    {
        if (directTrouble || directOutstanding.get() != 0 || !failedDirect.isEmpty() || (null != spill && !spill.drained()))
        {
            return false;
        }
        if (null != spill && spill.hasBuffered())
        {
            spill.flush();
            LockSupport.unpark(drainerThread);
            final long deadline = System.nanoTime() + CATCH_UP_NANOS;
            while (!allDelivered() && System.nanoTime() - deadline < 0 && !directTrouble)
            {
                LockSupport.parkNanos(CATCH_UP_PARK_NANOS);
            }
        }
        return !directTrouble && allDelivered();
    }

    /** Checked in this order so that a record moving from one place to the next is never missed. */
    private boolean allDelivered()
    {
        return directOutstanding.get() == 0 && failedDirect.isEmpty() && drainer.idle &&
            (null == spill || (spill.drained() && !spill.hasBuffered()));
    }

    /**
     * @return false, sending nothing, if a delivery failed since {@link #troubled()} looked. The
     *         count goes up before the flag is read and a callback sets the flag before it counts
     *         down, so once the drainer has seen nothing outstanding (and begun to resend older
     *         records), no newer record goes directly.
     */
    private boolean sendDirectly(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] value = new byte[length];
        buffer.getBytes(offset, value);
        final byte[] key = keyMode.extract(value, 0, length);
        if (directOutstanding.getAndIncrement() == 0)
        {
            outstandingSinceNanos = System.nanoTime();
        }
        if (directTrouble)
        {
            directOutstanding.decrementAndGet();
            return false;
        }
        directOutstandingBytes.addAndGet(length);
        if (firstSendNanos.get() == 0)
        {
            firstSendNanos.compareAndSet(0, System.nanoTime());
        }
        try
        {
            producer.send(new ProducerRecord<>(topic, null, key, value), new DirectCallback(value, directSequence++));
        }
        catch (final RuntimeException ex)
        {
            // Thrown instead of reported to the callback: settle it here.
            directOutstandingBytes.addAndGet(-length);
            directOutstanding.decrementAndGet();
            if (isPermanent(ex))
            {
                failed.incrementAndGet();
                recordError(describe(ex));
            }
            else
            {
                lastTransientError = describe(ex);
                failedInSend = value;
            }
        }
        return true;
    }

    private void spillEvent(final DirectBuffer buffer, final int offset, final int length)
    {
        if (null != spill && spill.append(buffer, offset, length))
        {
            spilled.incrementAndGet();
            return;
        }
        spillDropped.incrementAndGet();
        if (!spillFullReported)
        {
            spillFullReported = true;
            final String message = null != spill ?
                "the spill " + spill.dir() + " is full (" + (spill.maxBytes() >> 20) + " MiB): dropping events" :
                "brokers unreachable and spilling is off: dropping events";
            recordError(message);
            notice(message + " (counted)");
        }
    }

    private void notice(final String message)
    {
        notices.accept("kafka " + name + ": " + message);
    }

    private void recordError(final String message)
    {
        LAST_ERROR.compareAndSet(this, null, message);
    }

    private long producerMetric(final String metric)
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
            ex instanceof SerializationException || ex instanceof UnsupportedVersionException;
    }

    static String describe(final Exception ex)
    {
        final String message = ex.getMessage();
        return ex.getClass().getSimpleName() + (null == message ? "" : ": " + message);
    }

    /** The outcome of a record sent directly by the sink thread. */
    private final class DirectCallback implements Callback
    {
        private final byte[] value;
        private final long sequence;

        DirectCallback(final byte[] value, final long sequence)
        {
            this.value = value;
            this.sequence = sequence;
        }

        public void onCompletion(final RecordMetadata metadata, final Exception ex)
        {
            directOutstandingBytes.addAndGet(-value.length);
            if (null == ex)
            {
                delivered.incrementAndGet();
                deliveredBytes.addAndGet(value.length);
                lastAckNanos = System.nanoTime();
            }
            else if (isPermanent(ex))
            {
                failed.incrementAndGet();
                recordError(describe(ex));
            }
            else if (Thread.currentThread() == writer && !closing)
            {
                // Reported inside send() on the sink thread (no metadata in time): it spills this one itself.
                lastTransientError = describe(ex);
                failedInSend = value;
            }
            else
            {
                lastTransientError = describe(ex);
                failedDirect.add(this);
                directTrouble = true;
            }
            if (directOutstanding.decrementAndGet() == 0)
            {
                LockSupport.unpark(drainerThread);
            }
        }
    }

    /** The outcome of a record sent by the drainer. */
    private static final class WindowCallback implements Callback
    {
        private final int[] status;
        private final int index;
        private final AtomicInteger outstanding;
        private final Thread drainer;
        private final KafkaSink sink;

        WindowCallback(final KafkaSink sink, final int[] status, final int index, final AtomicInteger outstanding, final Thread drainer)
        {
            this.sink = sink;
            this.status = status;
            this.index = index;
            this.outstanding = outstanding;
            this.drainer = drainer;
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
                LockSupport.unpark(drainer);
            }
        }
    }

    /**
     * Sends what could not go directly, oldest first: records the producer gave up on (from
     * memory), then the spill. It starts only once nothing sent directly is outstanding, so
     * nothing it sends overtakes an older record of the same key.
     */
    private final class Drainer implements Runnable
    {
        volatile boolean stop;
        volatile boolean idle = true;

        private final List<byte[]> window = new ArrayList<>();
        // Records sent directly that failed, oldest first; a window of them is taken from the front.
        private final List<DirectCallback> backlog = new ArrayList<>();
        private final List<DirectCallback> windowFailed = new ArrayList<>();
        private int[] status = new int[0];
        private AtomicInteger outstanding = new AtomicInteger();
        private boolean fromSpill;
        private long windowEnd;

        public void run()
        {
            long backoff = MIN_BACKOFF_NANOS;
            while (!stop)
            {
                if (window.isEmpty())
                {
                    if (directOutstanding.get() > 0)
                    {
                        LockSupport.parkNanos(IDLE_PARK_NANOS);
                        continue;
                    }
                    if (!fill())
                    {
                        idle = true;
                        if (directTrouble && !probe())
                        {
                            LockSupport.parkNanos(backoff);
                            backoff = Math.min(MAX_BACKOFF_NANOS, backoff * 2);
                        }
                        else
                        {
                            LockSupport.parkNanos(IDLE_PARK_NANOS);
                        }
                        continue;
                    }
                }
                sendWindow();
                while (!stop && outstanding.get() > 0)
                {
                    LockSupport.parkNanos(IDLE_PARK_NANOS);
                }
                if (stop)
                {
                    break;
                }
                if (settle())
                {
                    backoff = MIN_BACKOFF_NANOS;
                }
                else
                {
                    LockSupport.parkNanos(backoff);
                    backoff = Math.min(MAX_BACKOFF_NANOS, backoff * 2);
                }
            }
        }

        /** @return true if the brokers answer (metadata for the topic), so direct sends may resume. */
        private boolean probe()
        {
            try
            {
                producer.partitionsFor(topic);
                directTrouble = false;
                return true;
            }
            catch (final KafkaException ex)
            {
                lastTransientError = describe(ex);
                return false;
            }
        }

        /** @return true if there is a window to send. */
        private boolean fill()
        {
            if (!failedDirect.isEmpty() || !backlog.isEmpty())
            {
                idle = false;
                takeFailed(backlog);
                int bytes = 0;
                int taken = 0;
                while (taken < backlog.size() && window.size() < WINDOW_RECORDS && bytes < WINDOW_BYTES)
                {
                    final DirectCallback record = backlog.get(taken++);
                    window.add(record.value);
                    windowFailed.add(record);
                    bytes += record.value.length;
                }
                backlog.subList(0, taken).clear();
                fromSpill = false;
                resetStatus();
                return true;
            }
            if (null != spill)
            {
                // Set before looking, so the sink thread never sees idle while a window is being read.
                idle = false;
                windowEnd = spill.read(window, WINDOW_RECORDS, WINDOW_BYTES);
                if (!window.isEmpty())
                {
                    fromSpill = true;
                    resetStatus();
                    return true;
                }
            }
            return false;
        }

        private void resetStatus()
        {
            status = new int[window.size()];
            outstanding = new AtomicInteger();
        }

        private void sendWindow()
        {
            final int[] status = this.status;
            final AtomicInteger outstanding = this.outstanding;
            int toSend = 0;
            for (final int s : status)
            {
                if (s == PENDING)
                {
                    toSend++;
                }
            }
            outstanding.set(toSend);
            for (int i = 0; i < status.length; i++)
            {
                if (status[i] != PENDING)
                {
                    continue;
                }
                final byte[] value = window.get(i);
                final byte[] key = keyMode.extract(value, 0, value.length);
                firstSendNanos.compareAndSet(0, System.nanoTime());
                try
                {
                    producer.send(new ProducerRecord<>(topic, null, key, value),
                        new WindowCallback(KafkaSink.this, status, i, outstanding, Thread.currentThread()));
                }
                catch (final RuntimeException ex)
                {
                    status[i] = isPermanent(ex) ? FAILED : RETRY;
                    lastTransientError = describe(ex);
                    outstanding.decrementAndGet();
                }
                if (status[i] == RETRY)
                {
                    // Failed inside send (no metadata: the brokers are away); each further send would
                    // wait max.block.ms as well, so the rest of the window waits for the next round.
                    for (int j = i + 1; j < status.length; j++)
                    {
                        if (status[j] == PENDING)
                        {
                            status[j] = NOT_SENT;
                            outstanding.decrementAndGet();
                        }
                    }
                    break;
                }
            }
        }

        /** @return true if every record of the window is settled for good; otherwise the failed ones are pending again. */
        private boolean settle()
        {
            int retry = 0;
            int notSent = 0;
            for (int i = 0; i < status.length; i++)
            {
                switch (status[i])
                {
                    case DELIVERED ->
                    {
                        delivered.incrementAndGet();
                        deliveredBytes.addAndGet(window.get(i).length);
                        if (fromSpill)
                        {
                            deliveredFromSpill.incrementAndGet();
                        }
                        status[i] = -DELIVERED;
                    }
                    case FAILED ->
                    {
                        failed.incrementAndGet();
                        status[i] = -FAILED;
                    }
                    case RETRY ->
                    {
                        retry++;
                        status[i] = PENDING;
                    }
                    case NOT_SENT ->
                    {
                        notSent++;
                        status[i] = PENDING;
                    }
                    default ->
                    {
                    }
                }
            }
            if (retry > 0 || notSent > 0)
            {
                resent.addAndGet(retry);
                return false;
            }
            if (fromSpill)
            {
                spill.commit(windowEnd);
            }
            window.clear();
            windowFailed.clear();
            status = new int[0];
            if (backlog.isEmpty())
            {
                // Only now may newer records go directly again: every failed one is delivered.
                directTrouble = false;
            }
            return true;
        }

        /**
         * After the producer is closed (every callback has run): account for the window and
         * return, oldest first, the records that still need a broker and are not in the spill.
         */
        List<byte[]> settleAtClose()
        {
            final List<DirectCallback> failedLeft = new ArrayList<>();
            boolean allSettled = true;
            for (int i = 0; i < status.length; i++)
            {
                switch (status[i])
                {
                    case DELIVERED ->
                    {
                        delivered.incrementAndGet();
                        deliveredBytes.addAndGet(window.get(i).length);
                        if (fromSpill)
                        {
                            deliveredFromSpill.incrementAndGet();
                        }
                    }
                    case FAILED -> failed.incrementAndGet();
                    case PENDING, RETRY, NOT_SENT ->
                    {
                        allSettled = false;
                        if (!fromSpill)
                        {
                            failedLeft.add(windowFailed.get(i));
                        }
                    }
                    default ->
                    {
                    }
                }
            }
            if (fromSpill && allSettled && !window.isEmpty())
            {
                spill.commit(windowEnd);
            }
            window.clear();
            windowFailed.clear();
            status = new int[0];
            failedLeft.addAll(backlog);
            backlog.clear();
            takeFailed(failedLeft);
            final List<byte[]> left = new ArrayList<>(failedLeft.size());
            for (final DirectCallback record : failedLeft)
            {
                left.add(record.value);
            }
            return left;
        }

        /** Move the failed direct records into {@code into}, and sort it oldest first. */
        private void takeFailed(final List<DirectCallback> into)
        {
            final int before = into.size();
            for (DirectCallback record = failedDirect.poll(); null != record; record = failedDirect.poll())
            {
                into.add(record);
            }
            if (into.size() > before)
            {
                into.sort(BY_SEQUENCE);
            }
        }
    }
}
