package dev.httpcap.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;

import dev.httpcap.common.TcpSegment;

class WorkerAgentTest
{
    @Test
    void shouldCountASlotItFailsOnAndGoOnToTheEndOfCaptureThenEnd() throws Exception
    {
        final RingBuffer<PacketEvent> ring = RingBuffer.createSingleProducer(PacketEvent::new, 8, new BusySpinWaitStrategy());
        final EventPoller<PacketEvent> poller = ring.newPoller();
        ring.addGatingSequences(poller.getSequence());
        final CountDownLatch finished = new CountDownLatch(1);
        final FlowWorkerHandler worker = new FlowWorkerHandler(0, new PipelineConfig(),
            new EventHandoff(EventHandoff.capacityFor(64 * 1024, 4096), BackPressure.DROP), true, false, null, finished);
        final AtomicLong errors = new AtomicLong();
        final AtomicReference<Throwable> first = new AtomicReference<>();
        final AtomicReference<WorkerAgent> died = new AtomicReference<>();
        final WorkerAgent agent = new WorkerAgent("test-worker", poller, worker, errors, first, died::set);

        // A segment whose payload is missing: the flow layer fails on it (a bug's stand-in).
        final long broken = ring.next();
        final PacketEvent event = ring.get(broken);
        event.slots = 1;
        event.shard = 0;
        final TcpSegment segment = event.segment;
        segment.ipVersion = 4;
        segment.srcPort = 40000;
        segment.dstPort = 80;
        segment.flags = TcpSegment.ACK;
        segment.payload = null;
        segment.payloadLength = 10;
        segment.wirePayloadLength = 10;
        ring.publish(broken);
        final long end = ring.next();
        ring.get(end).slots = PacketEvent.END_OF_CAPTURE;
        ring.publish(end);

        final Thread thread = new Thread(PipelineAgent.runnable(agent, WorkerAgent.idleStrategy(BackPressure.BLOCK)));
        thread.start();
        thread.join(10_000);

        assertFalse(thread.isAlive(), "the worker ends by itself after the end of capture");
        assertEquals(1, errors.get(), "the failed slot is counted");
        assertInstanceOf(NullPointerException.class, first.get());
        assertTrue(finished.await(0, TimeUnit.SECONDS), "the end of capture was handled");
        assertEquals(end, poller.getSequence().get(), "the worker is past both slots: the ring is not held back");
        assertNull(agent.failure(), "a failed slot is not the worker's failure");
        assertNull(died.get());
    }
}
