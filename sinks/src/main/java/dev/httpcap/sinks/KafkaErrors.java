package dev.httpcap.sinks;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/** How the Kafka sink reads a producer's error: refused for good, fatal to the producer, or worth another try. */
final class KafkaErrors
{
    private KafkaErrors()
    {
    }

    /** @return true if the record will never be taken: it is counted failed, not sent again. */
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
}
