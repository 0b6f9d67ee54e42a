package dev.httpcap.sinks;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the Kafka sink's shipper has delivered, refused and retried, and the errors it met: written
 * by the shipper and the producer's callbacks, read by the sink for its counters and its summary.
 */
final class KafkaDeliveryCounts
{
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong deliveredBytes = new AtomicLong();
    final AtomicLong deliveredFromEarlierRun = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong failedFromEarlierRun = new AtomicLong();
    final AtomicLong resent = new AtomicLong();
    final AtomicLong transactions = new AtomicLong();
    final AtomicLong firstSendNanos = new AtomicLong();
    volatile long lastAckNanos;
    /** The last error the brokers may get over (for messages and readiness). */
    volatile String lastTransientError;
    private final AtomicReference<String> lastError = new AtomicReference<>();

    /** Keep the first lasting error: the one the report shows. */
    void recordError(final String message)
    {
        lastError.compareAndSet(null, message);
    }

    String lastError()
    {
        return lastError.get();
    }
}
