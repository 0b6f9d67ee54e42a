package dev.httpcap.sinks;

import java.util.List;
import java.util.function.LongSupplier;

import org.agrona.DirectBuffer;

/**
 * Where encoded events end up. A sink is owned by a single thread, the sink thread, which calls
 * {@link #onEvent} for each event of a batch and {@link #flush()} at the end of the batch. The
 * counters may be read from any thread.
 * <p>
 * Output trouble never escapes: {@link #onEvent}, {@link #flush()} and {@link #close()} do not
 * throw on I/O errors. Events lost to an error are counted in {@link #eventsFailed()} and the
 * first error is kept in {@link #lastError()}, so capture goes on and the report says what was
 * lost. Every event handed to {@link #onEvent} is eventually counted exactly once as written or
 * failed, once the sink has been flushed.
 */
public interface EventSink extends AutoCloseable
{
    /** @return the format of the events this sink expects. */
    EventFormat format();

    /**
     * Accept one encoded event. The sink appends the line break. The bytes are copied before the
     * call returns, so the caller may reuse the buffer at once. Never throws on I/O errors.
     *
     * @param buffer holding the event.
     * @param offset of the first byte of the event in {@code buffer}.
     * @param length of the event in bytes, without a trailing line break.
     */
    void onEvent(DirectBuffer buffer, int offset, int length);

    /** Push buffered events to the operating system (no fsync). Called at the end of each batch. */
    void flush();

    /** Flush, then release the output. Idempotent; events offered after close are counted failed. */
    @Override
    void close();

    /** @return the spec this sink was made from, e.g. {@code file:/var/log/http.ndjson}, for reports. */
    String name();

    /** @return events handed to the operating system, line break included. */
    long eventsWritten();

    /** @return bytes handed to the operating system, line breaks included. */
    long bytesWritten();

    /** @return events lost to an I/O error, or offered after {@link #close()}. */
    long eventsFailed();

    /** @return the message of the first error that lost events, or {@code null} if there was none. */
    String lastError();

    /**
     * @return why the sink cannot take events now (its last write failed; its brokers are away and
     * its spill is past its threshold), or {@code null} when it can. Any thread.
     */
    default String notReady()
    {
        return null;
    }

    /**
     * @return more counts for the statistics line and the report, e.g. the Kafka sink's
     *         {@code spilled N, pending N, acknowledged N, dropped (full) N}; {@code null} if none.
     *         Any thread.
     */
    default String progress()
    {
        return null;
    }

    /** One of a sink's own counters, for the metrics (any thread). */
    record Counter(String name, String help, boolean gauge, LongSupplier reader)
    {
    }

    /** @return the sink's own counters beyond written, bytes and failed (the Kafka sink's spill), for the metrics. */
    default List<Counter> counters()
    {
        return List.of();
    }
}
