package dev.httpcap.decoders.tcp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.common.LazyMemory;
import dev.httpcap.common.TcpSegment;

/**
 * Turns each connection's segments into two ordered byte streams, on the worker that owns the
 * connection.
 * <p>
 * In-order data is delivered straight from the packet (zero copy). Data that arrives ahead of a
 * hole is copied once into a <em>reassembly window</em>: a power-of-two ring of bytes indexed by
 * sequence number modulo its size, with a short sorted list of the byte ranges it holds. Windows
 * come from a pool allocated off-heap at start-up, and a flow holds one only while it has bytes
 * out of order, so memory is bounded by {@code windowBytes × windows} whatever the traffic.
 * <p>
 * Bytes are never waited for forever: when the peer acknowledges past a hole, when a segment
 * lies beyond the window (the per-flow cap), when the pool is empty (the per-worker cap), or
 * when the connection ends, the hole is reported as a gap and delivery goes on. The first copy
 * of a byte wins; a later copy with different bytes is counted as an overlap conflict, on the
 * flow too ({@link TcpFlow#takeOverlapConflicts()}), whether the first copy is still buffered or
 * was delivered: for the latter, the last {@link #KEPT_SEGMENTS} segments of each direction delivered
 * in place from memory that stays readable (a mapped capture file) are remembered by address, so
 * the check costs no copy. Where the memory is reused (live capture, a pipe) delivered bytes are
 * not kept and cannot be compared.
 */
public final class TcpReassembler
{
    private static final int MAX_RANGES = 16;
    /** Delivered segments remembered per direction for comparing retransmissions (a power of two). */
    static final int KEPT_SEGMENTS = 4;
    /**
     * A kept segment further than this in memory from the copy that repeats it (in a mapped file: a
     * retransmission read that far after the original) is not compared: the source hands the file's
     * pages that far behind its reader back to the kernel, and reading one would map it in again for
     * the rest of the run.
     */
    static final long MAX_KEPT_DISTANCE = 16L * 1024 * 1024;

    private final StreamListener listener;
    private final int windowBytes;
    private final int windowMask;
    private final int windows;
    private final Arena arena = Arena.ofShared();
    private final UnsafeBuffer storage;
    private final int[] freeWindows;
    private int freeCount;
    private final int[] rangeStart;
    private final int[] rangeEnd;
    private final int[] rangeCount;
    /** Re-pointed at a kept delivered segment to compare a retransmission with it. */
    private final UnsafeBuffer keptView = new UnsafeBuffer(0, 0);
    /** Whether the segment being handled lies in memory that outlives it ({@link TcpSegment#payloadStaysReadable}). */
    private boolean payloadStaysReadable;

    private long segments;
    private long outOfOrder;
    private long retransmitted;
    private long overlapConflicts;
    private long keepAlives;
    private long gapBytes;
    private long capEvictions;
    private long midstreamStarts;
    private long deliveredBytes;

    /**
     * @param windowBytes bytes one direction of one connection may hold out of order (per-flow cap); a power of two.
     * @param windows     reassembly windows in this worker's pool (per-worker cap is {@code windowBytes × windows}).
     */
    public TcpReassembler(final StreamListener listener, final int windowBytes, final int windows)
    {
        if (windowBytes < 1024 || Integer.bitCount(windowBytes) != 1)
        {
            throw new IllegalArgumentException("reassembly window must be a power of two >= 1024: " + windowBytes);
        }
        if (windows < 1 || (long)windowBytes * windows > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("reassembly windows must be positive and total under 2 GiB: " + windows);
        }
        this.listener = listener;
        this.windowBytes = windowBytes;
        this.windowMask = windowBytes - 1;
        this.windows = windows;
        final MemorySegment memory = LazyMemory.allocate(arena, (long)windowBytes * windows);
        this.storage = new UnsafeBuffer(memory.address(), windowBytes * windows);
        this.freeWindows = new int[windows];
        for (int i = 0; i < windows; i++)
        {
            freeWindows[i] = windows - 1 - i;
        }
        this.freeCount = windows;
        this.rangeStart = new int[windows * MAX_RANGES];
        this.rangeEnd = new int[windows * MAX_RANGES];
        this.rangeCount = new int[windows];
    }

    /** Take one segment of {@code flow} sent in {@code direction} (as accounted by the tracker). */
    public void onSegment(final TcpFlow flow, final int direction, final TcpSegment segment)
    {
        final TcpFlow.Side side = flow.sides[direction];
        final TcpFlow.Side other = flow.sides[1 - direction];
        segments++;
        final int flags = segment.flags;
        final long now = segment.timestampNanos;
        if ((flags & TcpSegment.ACK) != 0)
        {
            acknowledged(flow, 1 - direction, (int)segment.ack, now);
        }
        if (side.streamEnded)
        {
            return;
        }

        int seq = (int)segment.seq;
        if ((flags & TcpSegment.SYN) != 0)
        {
            if (!side.seqKnown)
            {
                side.seqKnown = true;
                side.nextSeq = seq + 1;
                side.highestSeq = seq + 1;
            }
            if ((flags & TcpSegment.ACK) != 0 && !other.seqKnown)
            {
                // A SYN-ACK seen before (or without) its SYN tells where the other stream starts.
                other.seqKnown = true;
                other.nextSeq = (int)segment.ack;
                other.highestSeq = (int)segment.ack;
            }
            seq++;
        }
        else if (!side.seqKnown)
        {
            side.seqKnown = true;
            side.nextSeq = seq;
            side.highestSeq = seq;
            if ((flags & TcpSegment.RST) == 0)
            {
                // A bare RST answering a SYN (a closed port) starts no stream worth the name.
                midstreamStarts++;
            }
        }

        final int captured = segment.payloadLength;
        final int wire = Math.max(segment.wirePayloadLength, captured);
        if (captured < wire)
        {
            flow.snaplenCutSegments++;
        }
        if (wire > 0)
        {
            payloadStaysReadable = segment.payloadStaysReadable && segment.payload.byteArray() == null;
            data(flow, direction, seq, segment.payload, segment.payloadOffset, captured, wire, now);
        }
        if ((flags & TcpSegment.FIN) != 0 && !side.finSeen)
        {
            side.finSeen = true;
            side.finSeq = seq + wire;
        }
        if ((flags & TcpSegment.RST) != 0)
        {
            // The connection is gone: nothing buffered will ever be completed, in either direction.
            end(flow, direction, true, now);
            end(flow, 1 - direction, true, now);
            return;
        }
        maybeFinish(flow, direction, now);
    }

    /** The connection's record is being written: deliver what is buffered (holes as gaps) and free its windows. */
    public void onFlowEnd(final TcpFlow flow, final long timestampNanos)
    {
        for (int d = 0; d < 2; d++)
        {
            final TcpFlow.Side side = flow.sides[d];
            if (!side.streamEnded)
            {
                flushAll(flow, d, timestampNanos);
                if (side.finSeen && side.nextSeq == side.finSeq)
                {
                    side.streamEnded = true;
                    listener.onEnd(flow, d, false, timestampNanos);
                }
            }
            releaseWindow(flow, d);
        }
    }

    private void data(
        final TcpFlow flow, final int direction, final int seq, final DirectBuffer payload, final int payloadOffset,
        final int captured, final int wire, final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        final int next = side.nextSeq;
        final int end = seq + wire;
        if (end - side.highestSeq > 0)
        {
            side.highestSeq = end;
        }
        if (end - next <= 0)
        {
            if (wire == 1 && next - seq == 1)
            {
                keepAlives++;
            }
            else
            {
                retransmitted++;
                compareDelivered(flow, direction, seq, payload, payloadOffset, captured);
            }
            return;
        }
        // Trim what was already delivered.
        int start = seq;
        int offset = payloadOffset;
        int available = captured;
        if (start - next < 0)
        {
            final int skip = next - start;
            retransmitted++;
            compareDelivered(flow, direction, seq, payload, payloadOffset, Math.min(skip, captured));
            start = next;
            offset += Math.min(skip, captured);
            available = Math.max(0, captured - skip);
        }

        final int window = side.reassemblyWindow;
        final boolean inOrder = start == next;
        if (inOrder)
        {
            // In order: deliver from the packet up to whatever was already buffered further on.
            final int limit = window >= 0 && rangeCount[window] > 0 ? rangeStart[window * MAX_RANGES] : end;
            final int direct = Math.min(end, limit) - start;
            final int directCaptured = Math.min(direct, available);
            if (payloadStaysReadable && directCaptured > 0)
            {
                keep(flow, direction, payload.addressOffset() + offset, start, directCaptured);
            }
            deliver(flow, direction, payload, offset, directCaptured, now);
            if (direct > directCaptured)
            {
                // The capture's snap length cut the payload: the rest is lost.
                gap(flow, direction, direct - directCaptured, now);
            }
            start += direct;
            offset += directCaptured;
            available -= directCaptured;
            if (start == end)
            {
                drainWindow(flow, direction, now);
                return;
            }
        }

        if (!inOrder)
        {
            // (The tail of an in-order segment that overlaps buffered bytes is not out of order.)
            outOfOrder++;
        }
        buffer(flow, direction, start, end, payload, offset, available, now);
        drainWindow(flow, direction, now);
    }

    private void buffer(
        final TcpFlow flow, final int direction, final int segmentStart, final int end, final DirectBuffer payload,
        final int segmentOffset, final int segmentAvailable, final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        int start = segmentStart;
        int offset = segmentOffset;
        int available = segmentAvailable;
        if (end - start > windowBytes)
        {
            // A segment longer than a window (a GRO super-segment behind a hole): keep its tail.
            capEvictions++;
            final int skip = end - windowBytes - start;
            start += skip;
            offset += Math.min(skip, available);
            available = Math.max(0, available - skip);
        }
        // Per-flow cap: a segment reaching past the window pushes the oldest data out, delivered or as a gap.
        if (end - side.nextSeq > windowBytes)
        {
            capEvictions++;
            flushUntil(flow, direction, end - windowBytes, now);
        }
        int window = side.reassemblyWindow;
        if (window < 0)
        {
            if (freeCount == 0)
            {
                // Per-worker cap: nowhere to hold it, so the hole before it is declared lost.
                capEvictions++;
                final int next = side.nextSeq;
                if (start - next > 0)
                {
                    gap(flow, direction, start - next, now);
                }
                deliver(flow, direction, payload, offset, Math.min(available, end - start), now);
                if (end - start > available)
                {
                    gap(flow, direction, end - start - available, now);
                }
                return;
            }
            window = freeWindows[--freeCount];
            side.reassemblyWindow = window;
            rangeCount[window] = 0;
        }

        final int capturedEnd = start + Math.min(available, end - start);
        if (capturedEnd - start <= 0)
        {
            return;
        }
        if (insert(window, side.nextSeq, start, capturedEnd, payload, offset))
        {
            flow.overlapConflicts++;
        }
        if (rangeCount[window] > MAX_RANGES - 1)
        {
            // Too many holes: give up on the oldest one.
            capEvictions++;
            flushUntil(flow, direction, rangeStart[window * MAX_RANGES + 1], now);
        }
    }

    /**
     * Copy the parts of [start, end) not yet held, compare the parts already held, and merge the ranges.
     *
     * @return true when a part already held had different content.
     */
    private boolean insert(
        final int window, final int next, final int start, final int end, final DirectBuffer payload, final int offset)
    {
        final int base = window * MAX_RANGES;
        int cursor = start;
        boolean conflict = false;
        int count = rangeCount[window];
        for (int i = 0; i < count && cursor - end < 0; i++)
        {
            final int rs = rangeStart[base + i];
            final int re = rangeEnd[base + i];
            if (re - cursor <= 0)
            {
                continue;
            }
            if (rs - cursor > 0)
            {
                final int copyEnd = rs - end < 0 ? rs : end;
                copyIn(window, cursor, copyEnd - cursor, payload, offset + (cursor - start));
                cursor = copyEnd;
            }
            if (cursor - end < 0)
            {
                final int overlapEnd = re - end < 0 ? re : end;
                conflict |= compare(window, cursor, overlapEnd - cursor, payload, offset + (cursor - start));
                cursor = overlapEnd;
            }
        }
        if (cursor - end < 0)
        {
            copyIn(window, cursor, end - cursor, payload, offset + (cursor - start));
        }

        // Merge [start, end) into the sorted, disjoint range list (ordered by distance from next).
        int insertAt = 0;
        while (insertAt < count && rangeStart[base + insertAt] - next < start - next)
        {
            insertAt++;
        }
        System.arraycopy(rangeStart, base + insertAt, rangeStart, base + insertAt + 1, count - insertAt);
        System.arraycopy(rangeEnd, base + insertAt, rangeEnd, base + insertAt + 1, count - insertAt);
        rangeStart[base + insertAt] = start;
        rangeEnd[base + insertAt] = end;
        count++;
        int write = 0;
        for (int read = 1; read < count; read++)
        {
            if (rangeStart[base + read] - rangeEnd[base + write] <= 0)
            {
                if (rangeEnd[base + read] - rangeEnd[base + write] > 0)
                {
                    rangeEnd[base + write] = rangeEnd[base + read];
                }
            }
            else
            {
                write++;
                rangeStart[base + write] = rangeStart[base + read];
                rangeEnd[base + write] = rangeEnd[base + read];
            }
        }
        rangeCount[window] = write + 1;
        return conflict;
    }

    private void copyIn(final int window, final int seq, final int length, final DirectBuffer payload, final int offset)
    {
        final int windowBase = window * windowBytes;
        int done = 0;
        while (done < length)
        {
            final int position = (seq + done) & windowMask;
            final int chunk = Math.min(length - done, windowBytes - position);
            storage.putBytes(windowBase + position, payload, offset + done, chunk);
            done += chunk;
        }
    }

    private boolean compare(final int window, final int seq, final int length, final DirectBuffer payload, final int offset)
    {
        final int windowBase = window * windowBytes;
        for (int i = 0; i < length; i++)
        {
            if (storage.getByte(windowBase + ((seq + i) & windowMask)) != payload.getByte(offset + i))
            {
                overlapConflicts++;
                return true;
            }
        }
        return false;
    }

    /** Remember a segment delivered in place, whose memory stays readable, for {@link #compareDelivered}. */
    private static void keep(final TcpFlow flow, final int direction, final long address, final int seq, final int length)
    {
        final TcpFlow.Side side = flow.sides[direction];
        long[] kept = flow.keptSegments;
        if (kept == null)
        {
            // Once per flow object: pooled flows keep theirs, so the steady state allocates nothing.
            kept = new long[2 * KEPT_SEGMENTS * 2];
            flow.keptSegments = kept;
        }
        final int at = (direction * KEPT_SEGMENTS + side.keptNext) * 2;
        kept[at] = address;
        kept[at + 1] = ((long)seq << 32) | (length & 0xFFFF_FFFFL);
        side.keptNext = (side.keptNext + 1) & (KEPT_SEGMENTS - 1);
        if (side.keptCount < KEPT_SEGMENTS)
        {
            side.keptCount++;
        }
    }

    /**
     * A segment repeats delivered bytes [seq, seq + length): compare them with the kept segments they
     * overlap; different content is an overlap conflict (counted once per segment).
     */
    private void compareDelivered(
        final TcpFlow flow, final int direction, final int seq, final DirectBuffer payload, final int offset,
        final int length)
    {
        final TcpFlow.Side side = flow.sides[direction];
        final long[] kept = flow.keptSegments;
        if (kept == null || !payloadStaysReadable)
        {
            return;
        }
        final long address = payload.addressOffset() + offset;
        final int base = direction * KEPT_SEGMENTS * 2;
        final int end = seq + length;
        for (int i = 0; i < side.keptCount && length > 0; i++)
        {
            final long packed = kept[base + 2 * i + 1];
            final int keptSeq = (int)(packed >>> 32);
            final int keptEnd = keptSeq + (int)packed;
            final int from = seq - keptSeq > 0 ? seq : keptSeq;
            final int to = end - keptEnd < 0 ? end : keptEnd;
            if (to - from > 0 && Math.abs(address - kept[base + 2 * i]) <= MAX_KEPT_DISTANCE)
            {
                keptView.wrap(kept[base + 2 * i] + (from - keptSeq), to - from);
                if (differs(keptView, payload, offset + (from - seq), to - from))
                {
                    overlapConflicts++;
                    flow.overlapConflicts++;
                    return;
                }
            }
        }
    }

    private static boolean differs(final DirectBuffer kept, final DirectBuffer payload, final int offset, final int length)
    {
        int i = 0;
        for (; i <= length - Long.BYTES; i += Long.BYTES)
        {
            if (kept.getLong(i) != payload.getLong(offset + i))
            {
                return true;
            }
        }
        for (; i < length; i++)
        {
            if (kept.getByte(i) != payload.getByte(offset + i))
            {
                return true;
            }
        }
        return false;
    }

    /** Deliver buffered bytes that have become contiguous with the stream. */
    private void drainWindow(final TcpFlow flow, final int direction, final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        final int window = side.reassemblyWindow;
        if (window < 0)
        {
            return;
        }
        final int base = window * MAX_RANGES;
        while (rangeCount[window] > 0)
        {
            final int next = side.nextSeq;
            final int rs = rangeStart[base];
            final int re = rangeEnd[base];
            if (re - next <= 0)
            {
                removeFirstRange(window);
                continue;
            }
            if (rs - next > 0)
            {
                break;
            }
            deliverFromWindow(flow, direction, window, next, re - next, now);
            removeFirstRange(window);
        }
        if (rangeCount[window] == 0)
        {
            releaseWindow(flow, direction);
        }
    }

    /** Advance the stream to {@code target}: deliver buffered bytes below it, report holes as gaps. */
    private void flushUntil(final TcpFlow flow, final int direction, final int target, final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        final int window = side.reassemblyWindow;
        if (window >= 0)
        {
            final int base = window * MAX_RANGES;
            while (rangeCount[window] > 0 && rangeStart[base] - target < 0)
            {
                final int next = side.nextSeq;
                final int rs = rangeStart[base];
                final int re = rangeEnd[base];
                if (rs - next > 0)
                {
                    gap(flow, direction, rs - next, now);
                }
                final int from = side.nextSeq;
                final int until = re - target < 0 ? re : target;
                if (until - from > 0)
                {
                    deliverFromWindow(flow, direction, window, from, until - from, now);
                }
                if (until == re)
                {
                    removeFirstRange(window);
                }
                else
                {
                    rangeStart[base] = until;
                }
            }
        }
        final int next = side.nextSeq;
        if (target - next > 0)
        {
            gap(flow, direction, target - next, now);
        }
        drainWindow(flow, direction, now);
    }

    /** Deliver everything held and report every hole, up to the highest byte the sender was seen to send. */
    private void flushAll(final TcpFlow flow, final int direction, final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        int target = side.highestSeq;
        final int window = side.reassemblyWindow;
        if (window >= 0 && rangeCount[window] > 0)
        {
            final int lastEnd = rangeEnd[window * MAX_RANGES + rangeCount[window] - 1];
            if (lastEnd - target > 0)
            {
                target = lastEnd;
            }
        }
        if (side.finSeen && side.finSeq - target > 0)
        {
            target = side.finSeq;
        }
        if (target - side.nextSeq > 0)
        {
            flushUntil(flow, direction, target, now);
        }
    }

    /** The peer acknowledged up to {@code ack}: whatever of the stream lies below it and was not seen is lost. */
    private void acknowledged(final TcpFlow flow, final int direction, final int ack, final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        if (!side.seqKnown || side.streamEnded)
        {
            return;
        }
        int target = ack;
        if (side.finSeen && target - side.finSeq > 0)
        {
            // The FIN takes one sequence number that carries no byte.
            target = side.finSeq;
        }
        if (target - side.nextSeq > 0)
        {
            flushUntil(flow, direction, target, now);
            maybeFinish(flow, direction, now);
        }
    }

    private void maybeFinish(final TcpFlow flow, final int direction, final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        if (side.finSeen && !side.streamEnded && side.nextSeq == side.finSeq)
        {
            side.streamEnded = true;
            releaseWindow(flow, direction);
            listener.onEnd(flow, direction, false, now);
        }
    }

    private void end(final TcpFlow flow, final int direction, final boolean reset, final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        if (side.streamEnded || !side.seqKnown)
        {
            side.streamEnded = true;
            releaseWindow(flow, direction);
            return;
        }
        flushAll(flow, direction, now);
        side.streamEnded = true;
        releaseWindow(flow, direction);
        listener.onEnd(flow, direction, reset, now);
    }

    private void deliverFromWindow(
        final TcpFlow flow, final int direction, final int window, final int seq, final int length, final long now)
    {
        final int windowBase = window * windowBytes;
        final int position = seq & windowMask;
        final int first = Math.min(length, windowBytes - position);
        deliver(flow, direction, storage, windowBase + position, first, now);
        if (length > first)
        {
            deliver(flow, direction, storage, windowBase, length - first, now);
        }
    }

    private void deliver(
        final TcpFlow flow, final int direction, final DirectBuffer buffer, final int offset, final int length,
        final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        if (length <= 0)
        {
            return;
        }
        side.nextSeq += length;
        side.streamBytes += length;
        deliveredBytes += length;
        listener.onData(flow, direction, buffer, offset, length, now);
    }

    private void gap(final TcpFlow flow, final int direction, final int length, final long now)
    {
        final TcpFlow.Side side = flow.sides[direction];
        side.nextSeq += length;
        side.gapBytes += length;
        gapBytes += length;
        listener.onGap(flow, direction, length & 0xFFFF_FFFFL, now);
    }

    private void removeFirstRange(final int window)
    {
        final int base = window * MAX_RANGES;
        final int count = --rangeCount[window];
        System.arraycopy(rangeStart, base + 1, rangeStart, base, count);
        System.arraycopy(rangeEnd, base + 1, rangeEnd, base, count);
    }

    private void releaseWindow(final TcpFlow flow, final int direction)
    {
        final TcpFlow.Side side = flow.sides[direction];
        final int window = side.reassemblyWindow;
        if (window >= 0)
        {
            rangeCount[window] = 0;
            freeWindows[freeCount++] = window;
            side.reassemblyWindow = -1;
        }
    }

    /** Free the off-heap window pool; the reassembler must not be used afterwards. */
    public void close()
    {
        arena.close();
    }

    public long segments()
    {
        return segments;
    }

    /** @return segments (or parts) that arrived ahead of a hole and were buffered. */
    public long outOfOrder()
    {
        return outOfOrder;
    }

    /** @return segments that repeated bytes already delivered. */
    public long retransmitted()
    {
        return retransmitted;
    }

    /** @return later copies of buffered bytes whose content differed from the first copy. */
    public long overlapConflicts()
    {
        return overlapConflicts;
    }

    public long keepAlives()
    {
        return keepAlives;
    }

    public long gapBytes()
    {
        return gapBytes;
    }

    /** @return times a per-flow or per-worker cap forced buffered data out (with a gap). */
    public long capEvictions()
    {
        return capEvictions;
    }

    /** @return stream directions whose start (SYN) was not captured. */
    public long midstreamStarts()
    {
        return midstreamStarts;
    }

    public long deliveredBytes()
    {
        return deliveredBytes;
    }

    /** @return reassembly windows currently held by flows. */
    public int windowsInUse()
    {
        return windows - freeCount;
    }
}
