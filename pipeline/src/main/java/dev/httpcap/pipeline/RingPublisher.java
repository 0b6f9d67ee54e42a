package dev.httpcap.pipeline;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;

import dev.httpcap.capture.BpfCompiler;
import dev.httpcap.capture.BpfProgram;
import dev.httpcap.capture.ConsumerProgress;
import dev.httpcap.capture.DecodeStatus;
import dev.httpcap.capture.PacketDecoder;
import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.PacketInfo;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.capture.SymmetricFlowHash;
import dev.httpcap.common.Frames;
import dev.httpcap.common.TcpSegment;

/**
 * The capture thread's half of the pipeline: filters and decodes each frame, picks the shard that
 * owns its connection and publishes the decoded facts with where the TCP payload is: in place when
 * the source's frames stay readable (a mapped file) or are lent until the workers are past them
 * (an AF_PACKET ring, {@link PacketSource#holdFrames}), otherwise copied once into pre-allocated
 * ring storage (libpcap, a pipe, a frame whose VLAN tag had to be put back), the payload only.
 * Owned by the capture thread; its counters are read by others only after that thread is joined,
 * except {@link #packetsReadRelaxed()}, which feeds progress displays.
 */
final class RingPublisher implements PacketHandler
{
    private static final int MAX_LINK_TYPES = 512;
    /**
     * How long the capture thread naps while the ring is full under {@link BackPressure#BLOCK}
     * (reading a file faster than the workers decode it). The ring holds thousands of packets,
     * milliseconds of the workers' work, so they never run dry meanwhile.
     */
    private static final long FULL_RING_NAP_NANOS = 100_000;

    private final RingBuffer<PacketEvent> ring;
    private final UnsafeBuffer region;
    private final int slotBytes;
    private final int slotMask;
    private final int workers;
    private final boolean dropWhenFull;
    private final boolean framesStayReadable;
    private final PacketSource source;
    private final String filterExpression;
    /** Filters are compiled per link type, the first time a frame of that type arrives. */
    private final BpfProgram[] filters = new BpfProgram[MAX_LINK_TYPES];
    private final PacketDecoder decoder = new PacketDecoder();
    private final PacketInfo info = new PacketInfo();

    private final long[] decodeCounts = new long[DecodeStatus.count()];
    private long packetsRead;
    private long filtered;
    private long ringFull;
    private long frameTooLarge;
    private long unfilterableLinkType;
    private long snaplenCut;
    private long stalls;
    private long stallNanos;
    private int snaplen;
    private final AtomicLong packetsReadRelaxed = new AtomicLong();
    private long wireBytesRead;
    private final AtomicLong wireBytesReadRelaxed = new AtomicLong();
    private final AtomicLong ringFullRelaxed = new AtomicLong();
    private boolean batchUnstamped = true;
    private long batchCaptureNanos;
    /** The naps of the workers this ring feeds, cut short when a poll batch published something. */
    private Nap[] workerNaps = new Nap[0];
    private boolean publishedSinceWake;

    /**
     * Publish what {@code source} delivers. A source that can lend its frames ({@link PacketSource#holdFrames})
     * is told to, with the ring's cursor and its workers' slowest sequence as the progress it waits for.
     */
    RingPublisher(
        final RingBuffer<PacketEvent> ring, final UnsafeBuffer region, final int slotBytes, final int workers,
        final BackPressure backPressure, final String filterExpression, final PacketSource source)
    {
        this.ring = ring;
        this.region = region;
        this.slotBytes = slotBytes;
        this.slotMask = ring.getBufferSize() - 1;
        this.workers = workers;
        this.dropWhenFull = backPressure == BackPressure.DROP;
        this.filterExpression = filterExpression;
        this.source = source;
        this.framesStayReadable = source.framesStayReadable() || source.holdFrames(new RingProgress(ring));
    }

    /** @return whether payloads are read in place (a mapped file, lent frames) rather than copied. */
    boolean readsInPlace()
    {
        return framesStayReadable;
    }

    @Override
    public void onPacket(
        final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
        final long timestampNanos, final int linkType, final int interfaceId)
    {
        if (batchUnstamped)
        {
            // One clock reading per poll batch, taken when its first packet arrives: every packet of
            // the batch was already waiting in the source then, so this is no later than its capture.
            batchCaptureNanos = System.nanoTime();
            batchUnstamped = false;
        }
        packetsRead++;
        wireBytesRead += wireLength;
        if (capturedLength < wireLength)
        {
            // The capture kept only the first capturedLength bytes (its snap length): count it, so
            // that the gaps this makes are explained rather than taken for loss.
            snaplenCut++;
            snaplen = Math.max(snaplen, capturedLength);
        }
        if (filterExpression != null && !passesFilter(frame, offset, capturedLength, wireLength, linkType))
        {
            return;
        }

        final DecodeStatus status = decoder.decode(frame, offset, capturedLength, linkType, info);
        decodeCounts[status.ordinal()]++;
        if (status != DecodeStatus.TCP)
        {
            return;
        }
        if (capturedLength > Frames.MAX_FRAME_LENGTH)
        {
            frameTooLarge++;
            return;
        }

        final int payloadLength = info.segment().payloadLength;
        // In place: the frame outlives this call at a native address (a mapped file's frames, or a
        // lent ring block, are not heap arrays), so the worker reads it there and the packet needs
        // no region slot space.
        final boolean inPlace = framesStayReadable && frame.byteArray() == null;
        final int slots = inPlace ? 1 : Math.max(1, (payloadLength + slotBytes - 1) / slotBytes);
        final long hi;
        if (dropWhenFull)
        {
            try
            {
                hi = ring.tryNext(slots);
            }
            catch (final InsufficientCapacityException ex)
            {
                // A pre-allocated singleton: dropping allocates nothing.
                ringFull++;
                wakeWorkers(); // a worker napping through a missed wake must not make us drop on
                return;
            }
        }
        else
        {
            if (!ring.hasAvailableCapacity(slots))
            {
                awaitRoom(slots);
            }
            hi = ring.next(slots);
        }
        final long lo = hi - slots + 1;

        final long payloadAddress;
        if (inPlace)
        {
            payloadAddress = frame.addressOffset() + offset + info.payloadOffset;
        }
        else
        {
            // Slots are contiguous in the region and the region has a MAX_FRAME_LENGTH tail, so a
            // payload starting near the end may run past the last slot without wrapping.
            final int regionOffset = ((int)lo & slotMask) * slotBytes;
            region.putBytes(regionOffset, frame, offset + info.payloadOffset, payloadLength);
            payloadAddress = region.addressOffset() + regionOffset;
        }

        final PacketEvent event = ring.get(lo);
        event.slots = slots;
        event.shard = workers == 1 ? 0 : shardOf(SymmetricFlowHash.hash(info), workers);
        event.captureNanos = batchCaptureNanos;
        // The decoded segment goes into the slot whole; the slot's previous one, which every worker
        // is past (the slot was free to claim), takes its place for the next frame.
        final TcpSegment segment = info.exchangeSegment(event.segment);
        event.segment = segment;
        segment.timestampNanos = timestampNanos;
        segment.wireLength = wireLength;
        segment.payloadAt(payloadAddress, payloadLength);
        segment.payloadStaysReadable = inPlace;
        for (long s = lo + 1; s <= hi; s++)
        {
            ring.get(s).slots = PacketEvent.CONTINUATION;
        }
        ring.publish(lo, hi);
        publishedSinceWake = true;
    }

    /** The workers this ring feeds idle with {@code naps}; set before the threads start. */
    void workerNaps(final Nap[] naps)
    {
        this.workerNaps = naps.clone();
    }

    /** Cut the workers' naps short: something was published for them. */
    private void wakeWorkers()
    {
        publishedSinceWake = false;
        for (final Nap nap : workerNaps)
        {
            nap.wake();
        }
    }

    /** The hash's top 32 bits scaled to [0, workers): a multiplication where a remainder would be a division. */
    static int shardOf(final long hash, final int workers)
    {
        return (int)(((hash >>> 32) * workers) >>> 32);
    }

    /**
     * Wait in naps of {@link #FULL_RING_NAP_NANOS} until the workers have made room. The Disruptor's
     * own wait in {@code next()} parks for 1 ns at a time, which the kernel stretches to its timer
     * slack (~50 us): a system call every few dozen packets, measured at ~20% of the capture
     * thread's CPU on the 657,640-packet nginx-wrk capture, taken from the workers on a small machine.
     */
    private void awaitRoom(final int slots)
    {
        final long start = System.nanoTime();
        do
        {
            // The blocks already read go back to the kernel while we wait, so it keeps capturing into them.
            source.releaseConsumedFrames();
            // The ring is full: should a worker nap through a missed wake, this ends it.
            wakeWorkers();
            LockSupport.parkNanos(FULL_RING_NAP_NANOS);
        }
        while (!ring.hasAvailableCapacity(slots));
        stalls++;
        stallNanos += System.nanoTime() - start;
    }

    /** @return times the capture thread waited for the workers to make room (block policy): the kernel ring buffered meanwhile. */
    long stalls()
    {
        return stalls;
    }

    /** @return how long those waits took in all. */
    long stallNanos()
    {
        return stallNanos;
    }

    /** @return frames the capture cut short (captured length below the length on the wire: a snap length). */
    long snaplenCut()
    {
        return snaplenCut;
    }

    /** @return the largest captured length of a frame that was cut: the capture's snap length, seen from its frames. */
    int snaplen()
    {
        return snaplen;
    }

    /** Called by the capture loop before each poll: the next packet starts a batch with its own capture time. */
    void startBatch()
    {
        batchUnstamped = true;
    }

    /** Tell every worker that no more packets will come. Blocks for room even under the drop policy. */
    void publishEndOfCapture()
    {
        final long sequence = ring.next();
        final PacketEvent event = ring.get(sequence);
        event.slots = PacketEvent.END_OF_CAPTURE;
        event.captureNanos = System.nanoTime();
        ring.publish(sequence);
        wakeWorkers();
    }

    /** Tell every worker the time is {@code epochNanos}; never dropped (a tick is tiny and rare). */
    void publishClockTick(final long epochNanos)
    {
        final long sequence = ring.next();
        final PacketEvent event = ring.get(sequence);
        event.slots = PacketEvent.CLOCK_TICK;
        event.tickNanos = epochNanos;
        event.captureNanos = System.nanoTime();
        ring.publish(sequence);
        wakeWorkers();
    }

    /** Called by the capture loop after each poll batch. */
    void publishProgress()
    {
        if (publishedSinceWake)
        {
            wakeWorkers();
        }
        packetsReadRelaxed.lazySet(packetsRead);
        wireBytesReadRelaxed.lazySet(wireBytesRead);
        ringFullRelaxed.lazySet(ringFull);
    }

    long wireBytesReadRelaxed()
    {
        return wireBytesReadRelaxed.get();
    }

    long ringFullRelaxed()
    {
        return ringFullRelaxed.get();
    }

    long packetsReadRelaxed()
    {
        return packetsReadRelaxed.get();
    }

    /** A lending source's view of the ring: the last sequence published, and the slowest worker's. */
    private static final class RingProgress implements ConsumerProgress
    {
        private final RingBuffer<PacketEvent> ring;

        RingProgress(final RingBuffer<PacketEvent> ring)
        {
            this.ring = ring;
        }

        @Override
        public long publishedPosition()
        {
            return ring.getCursor();
        }

        @Override
        public long consumedPosition()
        {
            return ring.getMinimumGatingSequence();
        }
    }

    private boolean passesFilter(
        final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength, final int linkType)
    {
        if (linkType < 0 || linkType >= MAX_LINK_TYPES)
        {
            unfilterableLinkType++;
            return false;
        }
        BpfProgram program = filters[linkType];
        if (program == null)
        {
            // Once per link type per run; an expression libpcap cannot compile for this link type is a
            // configuration error and stops the run with libpcap's message.
            program = BpfCompiler.compile(filterExpression, linkType, Frames.MAX_FRAME_LENGTH);
            filters[linkType] = program;
        }
        if (program.matches(frame, offset, capturedLength, wireLength))
        {
            return true;
        }
        filtered++;
        return false;
    }

    long packetsRead()
    {
        return packetsRead;
    }

    long decodeCount(final DecodeStatus status)
    {
        return decodeCounts[status.ordinal()];
    }

    /** @return frames decoded as TCP and handed to a worker, or decoded as UDP: not a drop. */
    long decoded()
    {
        long decoded = 0;
        for (int i = 0; i < decodeCounts.length; i++)
        {
            if (!DecodeStatus.of(i).isDrop())
            {
                decoded += decodeCounts[i];
            }
        }
        // A TCP frame that did not reach a worker was decoded but then dropped: it counts there.
        return decoded - ringFull - frameTooLarge;
    }

    long filtered()
    {
        return filtered;
    }

    long ringFull()
    {
        return ringFull;
    }

    long frameTooLarge()
    {
        return frameTooLarge;
    }

    long unfilterableLinkType()
    {
        return unfilterableLinkType;
    }
}
