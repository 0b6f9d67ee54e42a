package dev.httpcap.capture;

import java.sql.Timestamp;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.UnsafeBuffer;
import org.pcap4j.core.BpfProgram.BpfCompileMode;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.core.PcapStat;
import org.pcap4j.core.RawPacketListener;

/**
 * Live capture through libpcap (pcap4j over JNA): the portable engine, for systems or interfaces
 * where {@link AfPacketSource} cannot be used, and for comparison with it. Same options — snap
 * length, promiscuous mode, kernel buffer size, a filter compiled and attached by libpcap — in
 * immediate mode (every packet is handed over as soon as it arrives), with nanosecond timestamps
 * where libpcap offers them. Reads do not block: libpcap 1.10 on Linux may wait in {@code poll}
 * forever on a quiet link whatever the read timeout, and the capture loop must come round to see
 * stop requests and publish clock ticks; when nothing is there the loop backs off (sleeps of up to
 * a millisecond), as it does for every source.
 * <p>
 * Not the fast path: pcap4j copies each frame into a new {@code byte[]} and wraps its timestamp in
 * a {@link Timestamp}, so this engine allocates per packet and costs microseconds per packet in
 * JNA. Of pcap4j's ways to read, {@code dispatch} with a {@link RawPacketListener} is the cheapest
 * (one native call per batch; reading a file it took about 7 µs a packet here against 15-20 µs for
 * {@code getNextRawPacketEx}, which allocates JNA memory per call). Frames go to the same
 * {@link PacketHandler} as every other source's.
 */
public final class LibpcapSource implements LivePacketSource
{
    static final int READ_TIMEOUT_MILLIS = 100;

    private final PcapHandle handle;
    private final String interfaceName;
    private final int linkType;
    private final boolean nanosecondTimestamps;
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    private final CaptureFileCounters counters = new CaptureFileCounters();
    private final AtomicLong kernelPackets = new AtomicLong();
    private final AtomicLong kernelDrops = new AtomicLong();
    private final AtomicLong interfaceDrops = new AtomicLong();
    private final RawPacketListener listener = this::onRawPacket;
    private PacketHandler downstream;
    private RuntimeException handlerFailure;
    private volatile boolean closed;

    /**
     * Open {@code interfaceName} with libpcap ({@code pcap_create} … {@code pcap_activate}).
     *
     * @param bufferBytes kernel buffer size ({@code pcap_set_buffer_size}).
     * @param filter      tcpdump filter syntax, compiled and attached by libpcap; or null.
     * @throws CaptureFileException with a one-line reason (no libpcap, no such interface, no privilege, ...).
     */
    public LibpcapSource(
        final String interfaceName, final int snaplen, final boolean promiscuous, final int bufferBytes,
        final String filter) throws CaptureFileException
    {
        this.interfaceName = interfaceName;
        PcapHandle opened;
        boolean nanos = true;
        try
        {
            opened = open(interfaceName, snaplen, promiscuous, bufferBytes, PcapHandle.TimestampPrecision.NANO);
        }
        catch (final PcapNativeException ex)
        {
            if (ex.getMessage() == null || !ex.getMessage().contains("tstamp_precision"))
            {
                throw failure(ex);
            }
            // An old libpcap without nanosecond timestamps: microseconds it is.
            nanos = false;
            try
            {
                opened = open(interfaceName, snaplen, promiscuous, bufferBytes, PcapHandle.TimestampPrecision.MICRO);
            }
            catch (final PcapNativeException again)
            {
                throw failure(again);
            }
        }
        catch (final LinkageError ex)
        {
            throw new CaptureFileException(
                "the pcap engine needs libpcap, which could not be loaded (apt-get install libpcap0.8): " + ex.getMessage(), ex);
        }
        this.handle = opened;
        this.nanosecondTimestamps = nanos && handle.getTimestampPrecision() == PcapHandle.TimestampPrecision.NANO;
        try
        {
            if (filter != null)
            {
                handle.setFilter(filter, BpfCompileMode.OPTIMIZE);
            }
            handle.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
            // On Linux, DLT_ and LINKTYPE_ values agree for everything the decoder reads except
            // DLT_RAW (12 here), which it reads too.
            this.linkType = handle.getDlt().value();
        }
        catch (final PcapNativeException | NotOpenException ex)
        {
            handle.close();
            throw new CaptureFileException("cannot set up the capture on '" + interfaceName + "': " + ex.getMessage(), ex);
        }
    }

    private static PcapHandle open(
        final String interfaceName, final int snaplen, final boolean promiscuous, final int bufferBytes,
        final PcapHandle.TimestampPrecision precision) throws PcapNativeException
    {
        return new PcapHandle.Builder(interfaceName)
            .snaplen(snaplen)
            .promiscuousMode(promiscuous ? PromiscuousMode.PROMISCUOUS : PromiscuousMode.NONPROMISCUOUS)
            .timeoutMillis(READ_TIMEOUT_MILLIS)
            .bufferSize(bufferBytes)
            .immediateMode(true)
            .timestampPrecision(precision)
            .build();
    }

    private CaptureFileException failure(final PcapNativeException ex)
    {
        final String message = String.valueOf(ex.getMessage());
        if (message.contains("Operation not permitted") || message.contains("permission"))
        {
            return new CaptureFileException(
                "capturing on '" + interfaceName + "' needs root or CAP_NET_RAW (libpcap: " + message.strip() + ")", ex);
        }
        if (message.contains("No such device"))
        {
            return new CaptureFileException("no such interface '" + interfaceName + "' (see 'ip link')", ex);
        }
        return new CaptureFileException("libpcap cannot capture on '" + interfaceName + "': " + message.strip(), ex);
    }

    /** @return true when timestamps have nanosecond precision (false: microseconds). */
    public boolean nanosecondTimestamps()
    {
        return nanosecondTimestamps;
    }

    @Override
    public int poll(final PacketHandler handler, final int limit)
    {
        if (closed)
        {
            return 0;
        }
        downstream = handler;
        final int delivered;
        try
        {
            // One native call for everything buffered (up to limit); pcap4j calls back per packet.
            delivered = handle.dispatch(limit, listener);
        }
        catch (final InterruptedException ex)
        {
            // pcap_breakloop: a stop was asked for.
            return 0;
        }
        catch (final PcapNativeException | NotOpenException ex)
        {
            if (closed)
            {
                return 0;
            }
            throw new IllegalStateException("libpcap failed on '" + interfaceName + "': " + ex.getMessage(), ex);
        }
        final RuntimeException failure = handlerFailure;
        if (failure != null)
        {
            // pcap4j would only log what the handler threw: rethrow it on the capture thread.
            handlerFailure = null;
            throw failure;
        }
        return Math.max(0, delivered);
    }

    private void onRawPacket(final byte[] data)
    {
        try
        {
            final Timestamp time = handle.getTimestamp();
            final Integer wire = handle.getOriginalLength();
            final long timestamp = Math.floorDiv(time.getTime(), 1000L) * 1_000_000_000L + time.getNanos();
            frame.wrap(data);
            downstream.onPacket(frame, 0, data.length, wire != null ? wire : data.length, timestamp, linkType, 0);
        }
        catch (final RuntimeException ex)
        {
            if (handlerFailure == null)
            {
                handlerFailure = ex;
            }
        }
    }

    @Override
    public void updateKernelStatistics()
    {
        if (closed)
        {
            return;
        }
        try
        {
            // libpcap keeps running totals (ps_recv counts what passed the filter, drops included).
            final PcapStat stats = handle.getStats();
            kernelPackets.set(stats.getNumPacketsReceived());
            kernelDrops.set(stats.getNumPacketsDropped());
            interfaceDrops.set(stats.getNumPacketsDroppedByIf());
        }
        catch (final PcapNativeException | NotOpenException ex)
        {
            // Statistics are best effort; the capture goes on.
        }
    }

    @Override
    public long kernelPackets()
    {
        return kernelPackets.get();
    }

    @Override
    public long kernelDrops()
    {
        return kernelDrops.get();
    }

    @Override
    public long interfaceDrops()
    {
        return interfaceDrops.get();
    }

    @Override
    public int linkType()
    {
        return linkType;
    }

    @Override
    public boolean isDone()
    {
        return closed;
    }

    @Override
    public CaptureFileCounters fileCounters()
    {
        return counters;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            handle.close();
        }
    }
}
