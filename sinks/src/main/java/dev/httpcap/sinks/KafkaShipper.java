package dev.httpcap.sinks;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static dev.httpcap.sinks.KafkaErrors.describe;
import static dev.httpcap.sinks.KafkaErrors.isFatal;
import static dev.httpcap.sinks.KafkaErrors.isPermanent;

/**
 * The Kafka sink's second thread: reads the sink's write-ahead log in order and sends it, a window
 * of up to {@value #WINDOW_RECORDS} records at a time; the window's end is committed (in Kafka's
 * transaction and locally) once every record of it is delivered or refused for good. See
 * {@link KafkaSink} for the guarantees this gives.
 * <p>
 * A window is not held in memory: its records are read from the log a chunk at a time and each
 * chunk is sent as soon as it is read, and a window sent again is read again from its start (a
 * window never crosses a segment, and nothing before its end is committed). Only an outcome and a
 * length per record are kept. So the producer gets the first records at once, a large window (a
 * transaction's round trips amortised over more records) costs no heap, and the records live no
 * longer than a send: the collector has nothing to copy.
 * <p>
 * A chunk is read as views of the log reader's buffer ({@link SpillRecords}); each record is
 * copied once, into a value array (and its key into a key array) of its exact length that the next
 * record of that length uses again ({@link RecordArrays}): the producer wants arrays, copies them
 * into its batch within {@code send} and keeps neither. No array per record is left to collect.
 */
final class KafkaShipper implements Runnable
{
    static final int WINDOW_RECORDS = 131_072;
    static final int WINDOW_BYTES = 64 << 20;
    private static final int CHUNK_RECORDS = 4096;
    private static final int CHUNK_BYTES = 1 << 20;

    private static final int PENDING = 0;
    private static final int DELIVERED = 1;
    private static final int RETRY = 2;
    private static final int FAILED = 3;
    private static final int NOT_SENT = 4;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** Why a window's transaction is aborted at a stop (not an error of the brokers'). */
    private static final String STOPPED = "stopped while sending a window";

    /**
     * Fault injection for the tests: with {@code -Dhttpcap.kafka.haltAfterCommits=N} the process
     * halts right after its N-th transaction is committed in Kafka, before the log's own position
     * records it, as a crash at that instant would.
     */
    private static final long HALT_AFTER_COMMITS = Long.getLong("httpcap.kafka.haltAfterCommits", 0);

    private final KafkaSinkConfig config;
    private final SpillQueue log;
    private final boolean exactlyOnce;
    private final String topic;
    private final KafkaKey keyMode;
    private final String transactionalId;
    private final TopicPartition positionPartition;
    private final Admin admin;
    private final Supplier<Producer<byte[], byte[]>> newProducer;
    private final Consumer<String> notices;
    private final KafkaDeliveryCounts counts;

    private volatile boolean stop;
    /** Made by the sink before the thread starts; read by the sink after it ended. */
    private Producer<byte[], byte[]> producer;

    private final SpillRecords chunk = new SpillRecords(CHUNK_RECORDS);
    private final RecordArrays keys;
    private final RecordArrays values;
    // The window: its records (0: none), whether its first pass still reads the log (it may grow),
    // each record's outcome and length, and the log position after it.
    private int windowCount;
    private boolean windowOpen;
    private long windowBytes;
    private int[] status = new int[0];
    private int[] lengths = new int[0];
    private AtomicInteger outstanding = new AtomicInteger();
    private long windowEnd;
    private boolean ready;
    /** The brokers have been away or refusing for a while (read by {@link #troubled()} on any thread). */
    private volatile boolean troubled;
    private long troubleSinceNanos;
    private boolean initialized;
    // The end of the last window this run put into a transaction: Kafka may hold it as the position.
    private long highestAttempted = -1;
    private long backoff = MIN_BACKOFF_NANOS;

    /**
     * @param producer        the first producer (the sink makes it, to fail at start on a bad configuration).
     * @param newProducer     makes a producer afresh after a fatal error.
     * @param admin           reads the position committed in Kafka (exactly-once only, else null).
     * @param transactionalId also the consumer group the position is committed as.
     * @param notices         one-line messages, already prefixed with the sink's name.
     */
    KafkaShipper(
        final KafkaSinkConfig config,
        final SpillQueue log,
        final Producer<byte[], byte[]> producer,
        final Supplier<Producer<byte[], byte[]>> newProducer,
        final Admin admin,
        final String transactionalId,
        final Consumer<String> notices,
        final KafkaDeliveryCounts counts)
    {
        this.config = config;
        this.log = log;
        this.producer = producer;
        this.newProducer = newProducer;
        this.admin = admin;
        this.transactionalId = transactionalId;
        this.notices = notices;
        this.counts = counts;
        this.exactlyOnce = config.delivery() == KafkaSinkConfig.Delivery.EXACTLY_ONCE;
        this.topic = config.topic();
        this.keyMode = config.key();
        this.positionPartition = new TopicPartition(topic, 0);
        final boolean reuse = sendCopies(config.producerConfig(null));
        this.keys = new RecordArrays(reuse);
        this.values = new RecordArrays(reuse);
    }

    /**
     * @return true if the producer copies a record's key and value before {@code send} returns and
     *         keeps no reference to them: byte arrays as they are, no interceptor (which is handed
     *         the record and may keep it) and no partitioner of the user's (which is handed the key
     *         and value bytes).
     */
    static boolean sendCopies(final Properties producerConfig)
    {
        final String byteArrays = ByteArraySerializer.class.getName();
        final String interceptors = producerConfig.getProperty(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, "");
        final String partitioner = producerConfig.getProperty(ProducerConfig.PARTITIONER_CLASS_CONFIG, "");
        return interceptors.isBlank() && partitioner.isBlank() &&
            byteArrays.equals(producerConfig.getProperty(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG)) &&
            byteArrays.equals(producerConfig.getProperty(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG));
    }

    /** Ask the thread to end after what it is doing; the caller unparks and joins it. */
    void stop()
    {
        stop = true;
    }

    /** @return the producer, or null; only once the thread has ended. */
    Producer<byte[], byte[]> producer()
    {
        return producer;
    }

    /** @return true while the brokers have been away or refusing for a while. Any thread. */
    boolean troubled()
    {
        return troubled;
    }


    public void run()
    {
        while (!stop)
        {
            try
            {
                if (!ready && !connect())
                {
                    trouble();
                    continue;
                }
                if (!hasWindow() && !fill())
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
                counts.lastTransientError = describe(ex);
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
            notice("brokers " + config.bootstrapServers() + " unreachable or refusing (" + counts.lastTransientError +
                "): events wait in the spill " + log.dir());
        }
        if (stop)
        {
            return; // close() waits for this thread: no backoff nap now
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
                producer = newProducer.get();
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
            counts.lastTransientError = describe(ex);
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
        if (hasWindow())
        {
            if (inKafka >= windowEnd)
            {
                // The window's transaction was committed although its commit reported an error.
                for (int i = 0; i < windowCount; i++)
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

    private boolean hasWindow()
    {
        return windowOpen || windowCount > 0;
    }

    /** @return true if there is a window to send: its first chunk is read, the rest is read as it is sent. */
    private boolean fill()
    {
        final long before = log.committedPosition();
        final long end = log.read(chunk, CHUNK_RECORDS, CHUNK_BYTES);
        if (chunk.isEmpty())
        {
            if (end != before && end > log.committedPosition())
            {
                log.commit(end); // only damaged records were passed over
            }
            return false;
        }
        windowEnd = end;
        windowOpen = true;
        windowCount = 0;
        windowBytes = 0;
        status = new int[WINDOW_RECORDS];
        lengths = new int[WINDOW_RECORDS];
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
            sendPending(attempt);
            highestAttempted = Math.max(highestAttempted, windowEnd);
            for (int i = 0; i < windowCount; i++)
            {
                if (attempt[i] == RETRY || attempt[i] == NOT_SENT)
                {
                    throw new KafkaException(stop ? STOPPED : "a send failed: " + counts.lastTransientError);
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
                    counts.lastTransientError = describe(ex);
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
            if (counts.transactions.incrementAndGet() == HALT_AFTER_COMMITS)
            {
                Runtime.getRuntime().halt(137);
            }
            for (int i = 0; i < windowCount; i++)
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
            if (!STOPPED.equals(ex.getMessage()))
            {
                counts.lastTransientError = describe(ex);
            }
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
                    counts.lastTransientError = describe(abortFailed);
                    discardProducer();
                }
            }
            awaitCallbacks();
            // Records refused for good stay out of the next attempt; the rest go again.
            for (int i = 0; i < windowCount; i++)
            {
                if (attempt[i] == FAILED)
                {
                    status[i] = FAILED;
                }
            }
            if (!stop)
            {
                // What was handed over goes again (its transaction aborted); not what was never sent.
                counts.resent.addAndGet(windowCount - count(attempt, windowCount, FAILED) - count(attempt, windowCount, NOT_SENT));
            }
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
        int failedForNow = 0;
        for (int i = 0; i < windowCount; i++)
        {
            if (attempt[i] == RETRY || attempt[i] == NOT_SENT)
            {
                failedForNow += attempt[i] == RETRY ? 1 : 0;
                attempt[i] = PENDING;
                again++;
            }
        }
        status = attempt;
        if (again > 0)
        {
            if (!stop)
            {
                // Records handed over that failed go again; those never sent (the round ended first) are not counted.
                counts.resent.addAndGet(failedForNow);
            }
            return false;
        }
        return true;
    }

    /**
     * Hand the chunk's record {@code c}, the window's {@code index}, to the producer. A method of its
     * own, called per record, so that the JIT compiles it once from its calls rather than compiling
     * the long-running loop around it on stack, again and again as that loop is entered anew.
     *
     * @return false when the record failed for now: send threw a transient failure, or reported one
     * to the callback before it returned (kafka-clients does so for its own timeouts: no metadata, or
     * no room in {@code buffer.memory}, within {@code max.block.ms}). Each further send would likely
     * wait as long and fail the same way (a window of 131,072 records, a second each, while the
     * brokers are away), so the rest waits for the next round.
     */
    private boolean send(
        final int c, final int[] attempt, final int index, final AtomicInteger outstanding, final Thread shipper)
    {
        // Arrays used again for the next record of the same length: send copies them.
        final int length = chunk.length(c);
        final byte[] value = values.get(length);
        chunk.buffer(c).getBytes(chunk.offset(c), value, 0, length);
        final long span = keyMode.find(value, 0, length);
        byte[] key = null;
        if (span >= 0)
        {
            key = keys.get(KafkaKey.spanEnd(span) - KafkaKey.spanStart(span));
            System.arraycopy(value, KafkaKey.spanStart(span), key, 0, key.length);
        }
        outstanding.incrementAndGet();
        final WindowCallback callback = new WindowCallback(counts, attempt, index, outstanding, shipper);
        try
        {
            producer.send(new ProducerRecord<>(topic, null, key, value), callback);
        }
        catch (final KafkaException ex)
        {
            // The record may be queued all the same (a transaction in error is found out after the
            // append), and its callback come later: the record's outcome is whichever comes first.
            callback.onCompletion(null, ex);
        }
        // Written by the callback, on this thread if it ran within send; from the producer's
        // thread a moment later it may be seen or not, and either way the record goes again.
        return attempt[index] != RETRY;
    }

    private int[] freshStatus()
    {
        final int[] attempt = new int[status.length];
        for (int i = 0; i < windowCount; i++)
        {
            attempt[i] = status[i] == FAILED || status[i] == DELIVERED ? status[i] : PENDING;
        }
        outstanding = new AtomicInteger();
        return attempt;
    }

    /**
     * Send the window's records whose {@code attempt} is {@link #PENDING}: on the window's first pass
     * reading the log on, chunk by chunk, until the window is full or the log has no more (or a
     * send fails, or a stop comes: the window ends with the chunk); on a later pass reading the
     * window again from its start, which the log's committed position still is.
     */
    private void sendPending(final int[] attempt)
    {
        final AtomicInteger outstanding = this.outstanding;
        outstanding.set(1); // held until every record of this attempt is sent
        counts.firstSendNanos.compareAndSet(0, System.nanoTime());
        if (!windowOpen)
        {
            log.rewind();
        }
        final Thread shipper = Thread.currentThread();
        int index = 0;
        boolean failing = false;
        try
        {
            while (!failing)
            {
                if (chunk.isEmpty())
                {
                    final int want = windowOpen ?
                        (windowBytes >= WINDOW_BYTES ? 0 : Math.min(CHUNK_RECORDS, WINDOW_RECORDS - windowCount)) :
                        Math.min(CHUNK_RECORDS, windowCount - index);
                    if (want <= 0)
                    {
                        break;
                    }
                    // Never past the segment: finishing it would commit the next one's start.
                    final long end = log.readAhead(chunk, want, CHUNK_BYTES);
                    if (chunk.isEmpty())
                    {
                        break;
                    }
                    if (windowOpen)
                    {
                        windowEnd = end;
                    }
                }
                if (windowOpen)
                {
                    for (int c = 0; c < chunk.size(); c++)
                    {
                        lengths[windowCount] = chunk.length(c);
                        windowBytes += lengths[windowCount];
                        windowCount++;
                    }
                }
                for (int c = 0; c < chunk.size(); c++, index++)
                {
                    if (attempt[index] != PENDING)
                    {
                        continue;
                    }
                    if (failing)
                    {
                        attempt[index] = NOT_SENT;
                        continue;
                    }
                    // A stop ends the round too: what is not sent stays in the log for the next start.
                    failing = !send(c, attempt, index, outstanding, shipper) || stop;
                }
                chunk.clear();
            }
            for (int i = index; i < windowCount; i++)
            {
                if (attempt[i] == PENDING)
                {
                    // Not sent this round, or (read again) no longer in the log: damaged meanwhile.
                    attempt[i] = failing ? NOT_SENT : FAILED;
                }
            }
        }
        finally
        {
            chunk.clear();
            windowOpen = false;
            if (outstanding.decrementAndGet() == 0)
            {
                LockSupport.unpark(shipper);
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
        for (int i = 0; i < windowCount; i++)
        {
            if (status[i] == FAILED)
            {
                refused++;
            }
            else
            {
                ok++;
                bytes += lengths[i];
            }
        }
        counts.delivered.addAndGet(ok);
        counts.deliveredBytes.addAndGet(bytes);
        counts.failed.addAndGet(refused);
        if (earlier)
        {
            counts.deliveredFromEarlierRun.addAndGet(ok);
            counts.failedFromEarlierRun.addAndGet(refused);
        }
        // Moves the reader too, should it have stopped short of the end (read again, the window's
        // records end before a damaged part that its first pass skipped).
        if (!log.seek(windowEnd))
        {
            log.commit(windowEnd);
        }
        windowCount = 0;
        windowBytes = 0;
        status = new int[0];
        lengths = new int[0];
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
                counts.lastTransientError = describe(ex);
            }
            producer = null;
        }
    }

    private void notice(final String message)
    {
        notices.accept(message);
    }

    private static int count(final int[] status, final int length, final int value)
    {
        int count = 0;
        for (int i = 0; i < length; i++)
        {
            if (status[i] == value)
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

    /** The outcome of one record of a window: the first one reported, once. */
    private static final class WindowCallback implements Callback
    {
        private static final VarHandle COMPLETED;

        static
        {
            try
            {
                COMPLETED = MethodHandles.lookup().findVarHandle(WindowCallback.class, "completed", int.class);
            }
            catch (final ReflectiveOperationException ex)
            {
                throw new ExceptionInInitializerError(ex);
            }
        }

        @SuppressWarnings("unused") // through COMPLETED
        private volatile int completed;
        private final int[] status;
        private final int index;
        private final AtomicInteger outstanding;
        private final Thread shipper;
        private final KafkaDeliveryCounts counts;

        WindowCallback(final KafkaDeliveryCounts counts, final int[] status, final int index, final AtomicInteger outstanding, final Thread shipper)
        {
            this.counts = counts;
            this.status = status;
            this.index = index;
            this.outstanding = outstanding;
            this.shipper = shipper;
        }

        public void onCompletion(final RecordMetadata metadata, final Exception ex)
        {
            if (!COMPLETED.compareAndSet(this, 0, 1))
            {
                return;
            }
            if (null == ex)
            {
                status[index] = DELIVERED;
                counts.lastAckNanos = System.nanoTime();
            }
            else if (isPermanent(ex))
            {
                status[index] = FAILED;
                counts.recordError(describe(ex));
            }
            else
            {
                status[index] = RETRY;
                counts.lastTransientError = describe(ex);
            }
            if (outstanding.decrementAndGet() == 0)
            {
                LockSupport.unpark(shipper);
            }
        }
    }
}
