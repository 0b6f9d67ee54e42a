package dev.httpcap.decoders.http;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link HttpTransaction#keepField} (words copied past the field where there is room) against the
 * byte-exact {@code appendField} + {@code addHeader} with roll-back it stands for: same result,
 * same store contents up to its length, same header table, whatever the room left in the store,
 * the header table and the segment.
 */
class HttpTransactionTest
{
    @Test
    void shouldKeepAFieldAsAppendFieldAndAddHeaderDo()
    {
        final SplittableRandom random = new SplittableRandom(4);
        for (int round = 0; round < 3_000; round++)
        {
            final int capacity = 16 + random.nextInt(400);
            final int maxHeaders = 1 + random.nextInt(20);
            final HttpTransaction fast = new HttpTransaction(capacity, maxHeaders);
            final HttpTransaction reference = new HttpTransaction(capacity, maxHeaders);
            final byte[] wire = new byte[8 + random.nextInt(200)];
            for (int i = 0; i < wire.length; i++)
            {
                wire[i] = (byte)(random.nextInt(4) == 0 ? 'A' + random.nextInt(26) : 0x20 + random.nextInt(0x60));
            }
            final ByteBuffer direct = ByteBuffer.allocateDirect(wire.length);
            direct.put(wire);
            final DirectBuffer[] buffers = {new UnsafeBuffer(wire), new UnsafeBuffer(direct)};
            final DirectBuffer buffer = buffers[random.nextInt(2)];
            for (int field = 0; field < 30; field++)
            {
                final int nameOffset = random.nextInt(wire.length - 2);
                final int nameLength = 1 + random.nextInt(Math.min(30, wire.length - nameOffset - 1));
                final int valueOffset = nameOffset + nameLength + random.nextInt(3);
                if (valueOffset > wire.length)
                {
                    continue;
                }
                final int valueLength = random.nextInt(Math.min(160, wire.length - valueOffset) + 1);
                final int limit = valueOffset + valueLength + random.nextInt(wire.length - valueOffset - valueLength + 1);
                final int side = random.nextInt(2);
                final long first = HeaderNames.firstWord(buffer, nameOffset, nameLength, limit);
                final long second = HeaderNames.secondWord(buffer, nameOffset, nameLength, limit);

                final int kept = fast.keepField(side, buffer, nameOffset, nameLength, first, second, valueOffset,
                    valueLength, limit);

                final int mark = reference.storeLength;
                final int nameAt = reference.appendField(buffer, nameOffset, nameLength, valueOffset, valueLength, limit);
                int expected = -1;
                if (nameAt >= 0 && reference.addHeader(side, nameAt, nameLength, nameAt + nameLength, valueLength))
                {
                    expected = nameAt + nameLength;
                }
                else
                {
                    reference.storeLength = mark;
                }

                final String where = "round " + round + ", field " + field;
                assertEquals(expected, kept, where);
                assertEquals(reference.storeLength, fast.storeLength, where);
                final byte[] stored = new byte[fast.storeLength];
                final byte[] wanted = new byte[reference.storeLength];
                fast.store.getBytes(0, stored);
                reference.store.getBytes(0, wanted);
                assertArrayEquals(wanted, stored, where);
                for (int s = 0; s < 2; s++)
                {
                    assertEquals(reference.headerCount[s], fast.headerCount[s], where);
                    assertArrayEquals(Arrays.copyOf(reference.headers[s], 4 * reference.headerCount[s]),
                        Arrays.copyOf(fast.headers[s], 4 * fast.headerCount[s]), where);
                }
            }
        }
    }
}
