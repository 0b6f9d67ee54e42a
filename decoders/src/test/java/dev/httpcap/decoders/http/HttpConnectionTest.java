package dev.httpcap.decoders.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpConnectionTest
{
    @Test
    void shouldStartSmallGrowOnlyWhenMoreAreInFlightAndKeepTheOrderAcrossTheWrap()
    {
        final HttpConnection c = new HttpConnection(64);
        assertEquals(HttpConnection.INITIAL_QUEUE, c.queueSlots());
        final HttpTransaction[] txs = new HttpTransaction[64];
        for (int i = 0; i < txs.length; i++)
        {
            txs[i] = new HttpTransaction(256, 4);
        }

        // Many requests, never more than 4 in flight: the queue wraps over and over and stays at 4 slots.
        int next = 0;
        int popped = 0;
        for (int round = 0; round < 50; round++)
        {
            while (c.queued() < 4)
            {
                c.push(txs[next++ % txs.length]);
            }
            assertSame(txs[popped++ % txs.length], c.pop());
        }
        assertEquals(HttpConnection.INITIAL_QUEUE, c.queueSlots());

        // Then 64 in flight at once, starting from a wrapped head: it doubles to 64 slots, in order.
        while (!c.full())
        {
            assertEquals(c.queued(), (int)(c.tail - c.head));
            c.push(txs[next++ % txs.length]);
        }
        assertEquals(64, c.queued());
        assertEquals(64, c.queueSlots());
        for (long p = c.head; p < c.tail; p++)
        {
            assertSame(txs[(int)(p % txs.length)], c.at(p));
        }
        while (c.queued() > 0)
        {
            assertSame(txs[popped++ % txs.length], c.pop());
        }
        assertEquals(next, popped);
        assertFalse(c.full());
    }

    @Test
    void shouldRoundTheLimitUpToAPowerOfTwo()
    {
        final HttpConnection c = new HttpConnection(5);
        for (int i = 0; i < 8; i++)
        {
            assertFalse(c.full());
            c.push(new HttpTransaction(256, 4));
        }
        assertTrue(c.full());
        assertEquals(8, c.queueSlots());
        assertEquals(2, new HttpConnection(2).queueSlots());
    }
}
