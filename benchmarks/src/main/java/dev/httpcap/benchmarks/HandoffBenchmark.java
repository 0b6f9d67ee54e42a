package dev.httpcap.benchmarks;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SleepingWaitStrategy;

/**
 * The capture thread → worker hand-off: one producer thread passing packet-sized frames to one
 * consumer thread, through
 * <ul>
 * <li>{@code disruptor}: a single-producer Disruptor ring as the pipeline builds it (16,384 slots
 * of primitives, {@code SleepingWaitStrategy}, a {@code BatchEventProcessor}), the frame copied
 * once into a pre-allocated off-heap slot region;</li>
 * <li>{@code queue}: an {@link ArrayBlockingQueue} of the same capacity, each frame copied into
 * a new {@code byte[]} (the usual way to hand bytes to another thread through a queue);</li>
 * <li>{@code queuePooled}: the same queue, the frame copied into a {@code byte[]} taken from a
 * second queue of free buffers that the consumer returns it to (no allocation, one more
 * lock round-trip per frame).</li>
 * </ul>
 * The consumer reads the frame's first and last eight bytes and adds up its length (so the copy
 * cannot be skipped). One invocation hands over {@link #BATCH} frames and waits until the consumer
 * has taken them all; one operation is one frame, so the score is frames/s and
 * {@code gc.alloc.rate.norm} bytes per frame, both threads included.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Xmx1g"})
public class HandoffBenchmark
{
    public static final int BATCH = 64 * 1024;
    /** As {@code PipelineConfig}'s defaults. */
    static final int SLOTS = 16_384;
    static final int SLOT_BYTES = 2_048;

    @Param({"disruptor", "queue", "queuePooled"})
    public String handoff;

    /** Frame sizes: a full-size segment, and an ACK-sized frame. */
    @Param({"1400", "64"})
    public int frameBytes;

    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[SLOT_BYTES]);
    private final AtomicLong consumed = new AtomicLong();
    private long produced;
    private long checksum;

    private RingBuffer<Slot> ring;
    private UnsafeBuffer region;
    private BatchEventProcessor<Slot> processor;

    private ArrayBlockingQueue<byte[]> queue;
    private ArrayBlockingQueue<byte[]> free;

    private Thread consumer;
    private volatile boolean running;

    /** One ring slot: where the frame is, as {@code PacketEvent}. */
    static final class Slot
    {
        int regionOffset;
        int length;
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        for (int i = 0; i < frame.capacity(); i++)
        {
            frame.putByte(i, (byte)i);
        }
        running = true;
        switch (handoff)
        {
            case "disruptor" ->
            {
                region = new UnsafeBuffer(ByteBuffer.allocateDirect(SLOTS * SLOT_BYTES));
                ring = RingBuffer.createSingleProducer(Slot::new, SLOTS, new SleepingWaitStrategy());
                processor = new BatchEventProcessorBuilder().build(ring, ring.newBarrier(), new SlotHandler());
                ring.addGatingSequences(processor.getSequence());
                consumer = new Thread(processor, "handoff-consumer");
            }
            case "queue", "queuePooled" ->
            {
                queue = new ArrayBlockingQueue<>(SLOTS);
                if (handoff.equals("queuePooled"))
                {
                    // Every buffer is either free, in the queue, or held by one thread.
                    free = new ArrayBlockingQueue<>(SLOTS + 2);
                    for (int i = 0; i < SLOTS + 2; i++)
                    {
                        free.add(new byte[SLOT_BYTES]);
                    }
                }
                consumer = new Thread(this::takeFromQueue, "handoff-consumer");
            }
            default -> throw new IllegalArgumentException("handoff: " + handoff);
        }
        consumer.setDaemon(true);
        consumer.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException
    {
        running = false;
        if (processor != null)
        {
            processor.halt();
        }
        else
        {
            consumer.interrupt();
        }
        consumer.join(10_000);
        if (consumed.get() != produced)
        {
            throw new IllegalStateException("the consumer took " + consumed.get() + " of " + produced + " frames");
        }
        final long expected = produced * (frameBytes + (frame.getLong(0) ^ frame.getLong(frameBytes - 8)));
        if (checksum != expected)
        {
            throw new IllegalStateException("the consumer saw other bytes than were sent");
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long handOver() throws InterruptedException
    {
        switch (handoff)
        {
            case "disruptor" -> toRing();
            case "queue" -> toQueue();
            default -> toPooledQueue();
        }
        produced += BATCH;
        while (consumed.get() != produced)
        {
            if (!consumer.isAlive())
            {
                throw new IllegalStateException("the consumer thread died");
            }
            Thread.onSpinWait();
        }
        return produced;
    }

    private void toRing()
    {
        final RingBuffer<Slot> ring = this.ring;
        final int length = frameBytes;
        for (int i = 0; i < BATCH; i++)
        {
            final long sequence = ring.next();
            final int offset = ((int)sequence & (SLOTS - 1)) * SLOT_BYTES;
            region.putBytes(offset, frame, 0, length);
            final Slot slot = ring.get(sequence);
            slot.regionOffset = offset;
            slot.length = length;
            ring.publish(sequence);
        }
    }

    private void toQueue() throws InterruptedException
    {
        final int length = frameBytes;
        final byte[] source = frame.byteArray();
        for (int i = 0; i < BATCH; i++)
        {
            final byte[] copy = new byte[length];
            System.arraycopy(source, 0, copy, 0, length);
            queue.put(copy);
        }
    }

    private void toPooledQueue() throws InterruptedException
    {
        final int length = frameBytes;
        final byte[] source = frame.byteArray();
        for (int i = 0; i < BATCH; i++)
        {
            final byte[] copy = free.take();
            System.arraycopy(source, 0, copy, 0, length);
            queue.put(copy);
        }
    }

    private final class SlotHandler implements EventHandler<Slot>
    {
        private long taken;

        @Override
        public void onEvent(final Slot slot, final long sequence, final boolean endOfBatch)
        {
            final int offset = slot.regionOffset;
            final int length = slot.length;
            checksum += length + (region.getLong(offset) ^ region.getLong(offset + length - 8));
            taken++;
            if (endOfBatch)
            {
                consumed.lazySet(taken);
            }
        }
    }

    private void takeFromQueue()
    {
        final int length = frameBytes;
        final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
        long taken = 0;
        try
        {
            while (running)
            {
                final byte[] bytes = queue.take();
                view.wrap(bytes);
                checksum += length + (view.getLong(0) ^ view.getLong(length - 8));
                if (free != null)
                {
                    free.put(bytes);
                }
                consumed.lazySet(++taken);
            }
        }
        catch (final InterruptedException ex)
        {
            // tear-down
        }
    }
}
