package dev.httpcap.sinks;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordArraysTest
{
    @Test
    void shouldGiveTheSameArrayForTheSameLength()
    {
        final RecordArrays arrays = new RecordArrays(true);
        final byte[] first = arrays.get(916);
        assertEquals(916, first.length);
        assertSame(first, arrays.get(916));
        assertNotSame(first, arrays.get(917));
        assertEquals(916 + 917, arrays.keptBytes());
    }

    @Test
    void shouldGiveArraysOfTheirOwnPastTheLengthOrTheBudget()
    {
        final RecordArrays arrays = new RecordArrays(true);
        final int large = RecordArrays.MAX_LENGTH + 1;
        assertNotSame(arrays.get(large), arrays.get(large));
        int length = RecordArrays.MAX_LENGTH;
        while (arrays.keptBytes() + length <= RecordArrays.BUDGET_BYTES)
        {
            arrays.get(length--);
        }
        final long kept = arrays.keptBytes();
        assertNotSame(arrays.get(length), arrays.get(length), "over the budget");
        assertEquals(kept, arrays.keptBytes());
        assertTrue(kept <= RecordArrays.BUDGET_BYTES);
    }

    @Test
    void shouldGiveEveryRecordArraysOfItsOwnWhenNotReusing()
    {
        final RecordArrays arrays = new RecordArrays(false);
        assertNotSame(arrays.get(916), arrays.get(916));
        assertEquals(0, arrays.keptBytes());
    }

    @Test
    void shouldReuseOnlyWhenTheProducerCopiesByteArraysAndHasNoInterceptorOrPartitionerOfItsOwn()
    {
        final KafkaSinkConfig config = new KafkaSinkConfig().bootstrapServers("127.0.0.1:9092").topic("t");
        assertTrue(KafkaShipper.sendCopies(config.producerConfig(null)));
        final Properties intercepted = config.producerConfig(null);
        intercepted.setProperty("interceptor.classes", "com.example.Tracing");
        assertFalse(KafkaShipper.sendCopies(intercepted));
        final Properties serialized = config.producerConfig(null);
        serialized.setProperty("value.serializer", "com.example.Serializer");
        assertFalse(KafkaShipper.sendCopies(serialized));
        final Properties partitioned = config.producerConfig(null);
        partitioned.setProperty("partitioner.class", "com.example.Partitioner");
        assertFalse(KafkaShipper.sendCopies(partitioned));
    }
}
