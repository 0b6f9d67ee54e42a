package dev.httpcap.capture;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.common.Frames;
import dev.httpcap.common.NativeCalls;

/**
 * Live capture from a Linux interface with an AF_PACKET socket and a TPACKET_V3 receive ring,
 * through the Foreign Function & Memory API (no JNI, no native build). The kernel fills blocks
 * of frames in a ring shared with us by {@code mmap}; we walk each block handed to user space and
 * deliver its frames as views into the ring. By default the block goes back to the kernel as soon
 * as its frames are delivered. With {@link #holdFrames} it is lent to the readers instead: it goes
 * back, in ring order, once they are past the last frame delivered from it, so they read payloads
 * in place and nothing is copied. While every block is lent, the kernel has nowhere to write and
 * drops what arrives, counted in {@code PACKET_STATISTICS} ({@link #kernelDrops()}).
 * <p>
 * On loopback every packet is seen twice by a packet socket, once leaving and once arriving;
 * the outgoing copy is skipped there (and only there: on other interfaces outgoing frames are
 * the host's own traffic). VLAN tags the kernel stripped are put back into the frame.
 * <p>
 * {@link #openFanout} opens several sockets in one {@code PACKET_FANOUT} group in hash mode: the
 * kernel sends each packet to one of them by a symmetric hash of its flow (IP fragments put back
 * together first, {@code PACKET_FANOUT_FLAG_DEFRAG}), so both directions of a connection always
 * reach the same socket, and each socket can feed its own capture thread and workers.
 */
public final class AfPacketSource implements LivePacketSource
{
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int ETH_P_ALL = 0x0003;
    private static final int SOL_SOCKET = 1;
    private static final int SO_ATTACH_FILTER = 26;
    private static final int SO_DETACH_FILTER = 27;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_ADD_MEMBERSHIP = 1;
    private static final int PACKET_MR_PROMISC = 1;
    private static final int PACKET_FANOUT = 18;
    private static final int PACKET_FANOUT_HASH = 0;
    private static final int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    private static final int PACKET_FANOUT_FLAG_DEFRAG = 0x8000;
    /** Not a group id (those are 16 bits): the first socket of a fanout, which creates the group. */
    private static final int FANOUT_CREATE = 0x1_0000;
    /** BPF_RET | BPF_K with k = 0: take nothing. */
    private static final BpfProgram DROP_ALL = new BpfProgram(new short[] {0x06}, new byte[1], new byte[1], new int[1]);
    private static final int PACKET_RX_RING = 5;
    private static final int PACKET_STATISTICS = 6;
    private static final int PACKET_VERSION = 10;
    private static final int TPACKET_V3 = 2;
    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_SHARED = 0x01;
    private static final short POLLIN = 0x001;
    private static final short POLLERR = 0x008;
    private static final int TP_STATUS_KERNEL = 0;
    private static final int TP_STATUS_USER = 1;
    private static final int TP_STATUS_VLAN_VALID = 1 << 4;
    private static final int TP_STATUS_VLAN_TPID_VALID = 1 << 6;
    private static final int PACKET_OUTGOING = 4;
    private static final int ARPHRD_LOOPBACK = 772;

    /**
     * Bytes the smallest TCP/IPv4 frame (54) takes in a block: the tpacket3_hdr and sockaddr_ll (68)
     * padded so the network header is 16-aligned (frame at 82), the frame, all 16-aligned: 144.
     */
    private static final int SMALLEST_FRAME_FOOTPRINT = 144;
    private static final int BLOCK_HEADER_BYTES = 48;
    /** The longest wait in the kernel for a block while blocks are lent to the readers. */
    private static final int LENT_POLL_MILLIS = 1;

    // struct tpacket_block_desc / tpacket_hdr_v1
    private static final long BLOCK_STATUS = 8;
    private static final long BLOCK_NUM_PKTS = 12;
    private static final long BLOCK_FIRST_PKT = 16;
    // struct tpacket3_hdr, then struct sockaddr_ll at TPACKET_ALIGN(sizeof(tpacket3_hdr)) = 48
    private static final long PKT_NEXT = 0;
    private static final long PKT_SEC = 4;
    private static final long PKT_NSEC = 8;
    private static final long PKT_SNAPLEN = 12;
    private static final long PKT_LEN = 16;
    private static final long PKT_STATUS = 20;
    private static final long PKT_MAC = 24;
    private static final long PKT_VLAN_TCI = 32;
    private static final long PKT_VLAN_TPID = 36;
    private static final long PKT_SLL_HATYPE = 48 + 8;
    private static final long PKT_SLL_PKTTYPE = 48 + 10;

    private static final StructLayout CALL_STATE = NativeCalls.CALL_STATE;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private final Arena arena = Arena.ofShared();
    private final Native lib;
    private final int fd;
    private final MemorySegment ring;
    private final int blockSize;
    private final int blockCount;
    private final MemorySegment pollFd;
    private final MemorySegment stats;
    private final MemorySegment statsLength;
    private final MemorySegment errno;
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer vlanFrame = new UnsafeBuffer(new byte[Frames.MAX_FRAME_LENGTH + 4]);
    private final CaptureFileCounters counters = new CaptureFileCounters();
    private final String interfaceName;
    private final int pollTimeoutMillis;
    private final int fanoutGroup;

    private int currentBlock;
    /** With {@link #holdFrames}: the readers' progress, and per block the position after its last frame. */
    private ConsumerProgress progress;
    private long[] blockPosition;
    /** Blocks delivered but not yet given back: the {@code held} blocks before {@link #currentBlock}. */
    private int held;
    private final AtomicLong mostBlocksHeld = new AtomicLong();
    private final AtomicLong allBlocksHeld = new AtomicLong();
    private final AtomicLong kernelDrops = new AtomicLong();
    private final AtomicLong kernelPackets = new AtomicLong();
    private long outgoingSkipped;
    private volatile boolean closed;

    /**
     * Open a capture on {@code interfaceName}.
     *
     * @param ringBytes   memory of the receive ring (rounded down to whole blocks).
     * @param blockBytes  size of one block (a power of two, at least the page size).
     * @param filter      a compiled filter for link type Ethernet (or the interface's), attached in the kernel; or
     *                    null. Its return value is the snap length: the kernel cuts frames to it.
     * @param promiscuous put the interface in promiscuous mode for as long as the socket is open.
     * @throws CaptureFileException with a one-line reason (no such interface, no privilege, ...).
     */
    public AfPacketSource(
        final String interfaceName, final int ringBytes, final int blockBytes, final int retireMillis,
        final BpfProgram filter, final boolean promiscuous) throws CaptureFileException
    {
        this(interfaceName, ringBytes, blockBytes, retireMillis, filter, promiscuous, -1);
    }

    /** Open a capture as above, not promiscuous. */
    public AfPacketSource(
        final String interfaceName, final int ringBytes, final int blockBytes, final int retireMillis,
        final BpfProgram filter) throws CaptureFileException
    {
        this(interfaceName, ringBytes, blockBytes, retireMillis, filter, false, -1);
    }

    /**
     * Open {@code count} sockets on {@code interfaceName} in one new fanout group (hash mode, with
     * defragmentation), each with a ring of {@code ringBytes}. Until a socket has joined the group
     * it takes nothing, so no packet is delivered twice while the group is being formed.
     *
     * @throws CaptureFileException with a one-line reason; the sockets already opened are closed.
     */
    public static List<AfPacketSource> openFanout(
        final int count, final String interfaceName, final int ringBytes, final int blockBytes, final int retireMillis,
        final BpfProgram filter, final boolean promiscuous) throws CaptureFileException
    {
        final List<AfPacketSource> sockets = new ArrayList<>(count);
        try
        {
            final AfPacketSource first = new AfPacketSource(
                interfaceName, ringBytes, blockBytes, retireMillis, filter, promiscuous, FANOUT_CREATE);
            sockets.add(first);
            for (int i = 1; i < count; i++)
            {
                sockets.add(new AfPacketSource(
                    interfaceName, ringBytes, blockBytes, retireMillis, filter, promiscuous, first.fanoutGroup));
            }
            return sockets;
        }
        catch (final CaptureFileException ex)
        {
            for (final AfPacketSource socket : sockets)
            {
                socket.close();
            }
            throw ex;
        }
    }

    /** @param fanout -1: no fanout; {@link #FANOUT_CREATE}: start a new group; 0..65535: join that group. */
    private AfPacketSource(
        final String interfaceName, final int ringBytes, final int blockBytes, final int retireMillis,
        final BpfProgram filter, final boolean promiscuous, final int fanout) throws CaptureFileException
    {
        this.interfaceName = interfaceName;
        this.lib = Native.get();
        this.blockSize = blockBytes;
        this.blockCount = Math.max(2, ringBytes / blockBytes);
        this.pollTimeoutMillis = 100;
        this.errno = arena.allocate(CALL_STATE);
        int socket = -1;
        try
        {
            final int index = (int)lib.ifNameToIndex.invokeExact(arena.allocateFrom(interfaceName));
            if (index == 0)
            {
                throw new CaptureFileException("no such interface '" + interfaceName + "' (see 'ip link')");
            }
            // Protocol 0: the socket receives nothing until bind() names ETH_P_ALL and the interface,
            // after the ring and the filter are in place. Opened with ETH_P_ALL it would take
            // unfiltered frames from every interface in the meantime (IPv6 neighbour discovery on a
            // fresh veth, say) into the ring.
            socket = (int)lib.socket.invokeExact(errno, AF_PACKET, SOCK_RAW, 0);
            if (socket < 0)
            {
                final int error = NativeCalls.errno(errno);
                throw new CaptureFileException(error == 1 ?
                    "capturing on '" + interfaceName + "' needs root or CAP_NET_RAW (operation not permitted)" :
                    "cannot open a packet socket: " + strerror(error));
            }
            check(setInt(socket, SOL_PACKET, PACKET_VERSION, TPACKET_V3), "set TPACKET_V3");

            // struct tpacket_req3: block size, block count, frame size, frame count, retire timeout, priv, features
            final MemorySegment request = arena.allocate(7 * 4L, 4);
            request.set(INT, 0, blockSize);
            request.set(INT, 4, blockCount);
            request.set(INT, 8, 2048);
            request.set(INT, 12, (int)((long)blockSize * blockCount / 2048));
            request.set(INT, 16, retireMillis);
            request.set(INT, 20, 0);
            request.set(INT, 24, 0);
            check((int)lib.setsockopt.invokeExact(errno, socket, SOL_PACKET, PACKET_RX_RING, request, 28),
                "set up a " + ((long)blockSize * blockCount >> 20) + " MiB receive ring");

            final long ringLength = (long)blockSize * blockCount;
            final MemorySegment mapped = (MemorySegment)lib.mmap.invokeExact(
                errno, MemorySegment.NULL, ringLength, PROT_READ_WRITE, MAP_SHARED, socket, 0L);
            if (mapped.address() == -1L)
            {
                throw new CaptureFileException("cannot map the receive ring: " + strerror(NativeCalls.errno(errno)));
            }
            this.ring = mapped.reinterpret(ringLength);

            // A socket joining a fanout group must take nothing between bind() and joining, or the
            // packets of that moment would reach both it and the group.
            final boolean joining = fanout >= 0 && fanout <= 0xFFFF;
            if (joining)
            {
                attachFilter(socket, DROP_ALL);
            }
            else if (filter != null)
            {
                attachFilter(socket, filter);
            }

            // struct sockaddr_ll
            final MemorySegment address = arena.allocate(20, 4);
            address.set(ValueLayout.JAVA_SHORT, 0, (short)AF_PACKET);
            address.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short)ETH_P_ALL);
            address.set(INT, 4, index);
            check((int)lib.bind.invokeExact(errno, socket, address, 20), "bind to '" + interfaceName + "'");

            if (promiscuous)
            {
                // struct packet_mreq { int mr_ifindex; unsigned short mr_type, mr_alen; unsigned char mr_address[8]; }
                // Membership ends with the socket: the interface leaves promiscuous mode when we close.
                final MemorySegment membership = arena.allocate(16, 4);
                membership.set(INT, 0, index);
                membership.set(ValueLayout.JAVA_SHORT, 4, (short)PACKET_MR_PROMISC);
                check((int)lib.setsockopt.invokeExact(errno, socket, SOL_PACKET, PACKET_ADD_MEMBERSHIP, membership, 16),
                    "enter promiscuous mode");
            }

            if (fanout == FANOUT_CREATE)
            {
                // The kernel picks an unused group id (UNIQUEID): a group of another process on the
                // same interface is never joined by accident.
                check(setInt(socket, SOL_PACKET, PACKET_FANOUT,
                    (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG | PACKET_FANOUT_FLAG_UNIQUEID) << 16),
                    "create a fanout group");
                final MemorySegment value = arena.allocate(INT);
                final MemorySegment length = arena.allocate(INT);
                length.set(INT, 0, 4);
                check((int)lib.getsockopt.invokeExact(errno, socket, SOL_PACKET, PACKET_FANOUT, value, length),
                    "read the fanout group id");
                this.fanoutGroup = value.get(INT, 0) & 0xFFFF;
            }
            else if (joining)
            {
                check(setInt(socket, SOL_PACKET, PACKET_FANOUT, fanout | (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16),
                    "join fanout group " + fanout);
                if (filter != null)
                {
                    attachFilter(socket, filter);
                }
                else
                {
                    check(setInt(socket, SOL_SOCKET, SO_DETACH_FILTER, 0), "detach the start-up filter");
                }
                this.fanoutGroup = fanout;
            }
            else
            {
                this.fanoutGroup = -1;
            }

            this.pollFd = arena.allocate(8, 4);
            pollFd.set(INT, 0, socket);
            pollFd.set(ValueLayout.JAVA_SHORT, 4, (short)(POLLIN | POLLERR));
            this.stats = arena.allocate(12, 4);
            this.statsLength = arena.allocate(4, 4);
            this.fd = socket;
        }
        catch (final CaptureFileException ex)
        {
            if (socket >= 0)
            {
                closeFd(socket);
            }
            arena.close();
            throw ex;
        }
        catch (final Throwable ex)
        {
            if (socket >= 0)
            {
                closeFd(socket);
            }
            arena.close();
            throw new CaptureFileException("cannot capture on '" + interfaceName + "': " + ex, ex);
        }
    }

    private void attachFilter(final int socket, final BpfProgram filter) throws Throwable
    {
        final MemorySegment instructions = arena.allocate(8L * filter.instructionCount(), 8);
        for (int i = 0; i < filter.instructionCount(); i++)
        {
            instructions.set(ValueLayout.JAVA_SHORT, i * 8L, filter.code(i));
            instructions.set(ValueLayout.JAVA_BYTE, i * 8L + 2, filter.jt(i));
            instructions.set(ValueLayout.JAVA_BYTE, i * 8L + 3, filter.jf(i));
            instructions.set(INT, i * 8L + 4, filter.k(i));
        }
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
        final MemorySegment program = arena.allocate(16, 8);
        program.set(ValueLayout.JAVA_SHORT, 0, (short)filter.instructionCount());
        program.set(ValueLayout.ADDRESS, 8, instructions);
        check((int)lib.setsockopt.invokeExact(errno, socket, SOL_SOCKET, SO_ATTACH_FILTER, program, 16),
            "attach the capture filter");
    }

    /** @return the fanout group this socket is in, or -1. */
    public int fanoutGroup()
    {
        return fanoutGroup;
    }

    @Override
    public int linkType()
    {
        return LinkTypes.ETHERNET;
    }

    /**
     * Lend the ring's blocks to the readers: each block is given back to the kernel only once
     * {@code progress} says every reader is past the last frame delivered from it, oldest first.
     * Frames the kernel stripped a VLAN tag from are delivered from a copy (the tag put back), not
     * in place.
     */
    @Override
    public boolean holdFrames(final ConsumerProgress progress)
    {
        this.blockPosition = new long[blockCount];
        this.progress = progress;
        return true;
    }

    @Override
    public int poll(final PacketHandler handler, final int limit)
    {
        if (closed)
        {
            return 0;
        }
        final ConsumerProgress lent = progress;
        if (lent != null)
        {
            releaseConsumedFrames();
        }
        int delivered = 0;
        while (delivered < limit)
        {
            if (held == blockCount)
            {
                // Every block is still being read: the kernel drops (and counts) until one comes back.
                break;
            }
            final long block = (long)currentBlock * blockSize;
            if ((ring.get(INT, block + BLOCK_STATUS) & TP_STATUS_USER) == 0)
            {
                if (delivered == 0)
                {
                    // Sleep in the kernel until a block is ready; while blocks are lent, 1 ms at most, as
                    // a worker passing one cannot wake us. (Then the call mostly returns at once: the
                    // kernel reports the socket readable while the block before its current one, our
                    // newest lent block, is not back; the capture loop's idle strategy paces us.)
                    waitForBlock(held == 0 ? pollTimeoutMillis : LENT_POLL_MILLIS);
                }
                break;
            }
            VarHandle.acquireFence();
            final int packets = ring.get(INT, block + BLOCK_NUM_PKTS);
            long packet = block + (ring.get(INT, block + BLOCK_FIRST_PKT) & 0xFFFF_FFFFL);
            for (int i = 0; i < packets; i++)
            {
                delivered += deliver(packet, handler);
                packet += ring.get(INT, packet + PKT_NEXT) & 0xFFFF_FFFFL;
            }
            if (lent == null)
            {
                VarHandle.releaseFence();
                ring.set(INT, block + BLOCK_STATUS, TP_STATUS_KERNEL);
            }
            else
            {
                blockPosition[currentBlock] = lent.publishedPosition();
                held++;
                if (held > mostBlocksHeld.get())
                {
                    mostBlocksHeld.lazySet(held);
                }
                if (held == blockCount)
                {
                    allBlocksHeld.lazySet(allBlocksHeld.get() + 1);
                }
            }
            currentBlock = (currentBlock + 1) % blockCount;
        }
        return delivered;
    }

    /** Give back, oldest first, every lent block whose last frame all readers have passed. Capture thread. */
    @Override
    public void releaseConsumedFrames()
    {
        if (held == 0)
        {
            return;
        }
        // A volatile read of the readers' sequences: what they read before passing a frame happened before.
        final long consumed = progress.consumedPosition();
        while (held > 0)
        {
            final int oldest = currentBlock >= held ? currentBlock - held : currentBlock - held + blockCount;
            if (blockPosition[oldest] > consumed)
            {
                return;
            }
            VarHandle.releaseFence();
            ring.set(INT, (long)oldest * blockSize + BLOCK_STATUS, TP_STATUS_KERNEL);
            held--;
        }
    }

    /** @return blocks in the ring. */
    public int blockCount()
    {
        return blockCount;
    }

    /** @return bytes per block. */
    public int blockBytes()
    {
        return blockSize;
    }

    /**
     * @return how many of the smallest TCP frames the ring holds in all its blocks but one: more
     * lent frames than this, and the kernel may have no block left to write into.
     */
    public long smallestFramesHeld()
    {
        return (long)(blockCount - 1) * ((blockSize - BLOCK_HEADER_BYTES) / SMALLEST_FRAME_FOOTPRINT);
    }

    /** @return {@link #smallestFramesHeld()} of a ring of {@code ringBytes} in blocks of {@code blockBytes}, before it is made. */
    public static long smallestFramesHeld(final int ringBytes, final int blockBytes)
    {
        return (long)(Math.max(2, ringBytes / blockBytes) - 1) * ((blockBytes - BLOCK_HEADER_BYTES) / SMALLEST_FRAME_FOOTPRINT);
    }

    /** @return the most blocks lent to the readers at once so far (any thread). */
    public long mostBlocksHeld()
    {
        return mostBlocksHeld.get();
    }

    /** @return how many times every block was lent at once, leaving the kernel none (any thread). */
    public long allBlocksHeld()
    {
        return allBlocksHeld.get();
    }

    private int deliver(final long packet, final PacketHandler handler)
    {
        final int status = ring.get(INT, packet + PKT_STATUS);
        if ((ring.get(ValueLayout.JAVA_SHORT, packet + PKT_SLL_HATYPE) & 0xFFFF) == ARPHRD_LOOPBACK &&
            (ring.get(ValueLayout.JAVA_BYTE, packet + PKT_SLL_PKTTYPE) & 0xFF) == PACKET_OUTGOING)
        {
            outgoingSkipped++;
            return 0;
        }
        final int captured = ring.get(INT, packet + PKT_SNAPLEN);
        final int wire = ring.get(INT, packet + PKT_LEN);
        final long timestamp = (ring.get(INT, packet + PKT_SEC) & 0xFFFF_FFFFL) * 1_000_000_000L +
            (ring.get(INT, packet + PKT_NSEC) & 0xFFFF_FFFFL);
        final long data = packet + (ring.get(ValueLayout.JAVA_SHORT, packet + PKT_MAC) & 0xFFFF);
        if ((status & TP_STATUS_VLAN_VALID) != 0 && captured >= 12)
        {
            // The kernel took the 802.1Q tag out of the frame: put it back after the MAC addresses.
            final int tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0 ?
                ring.get(ValueLayout.JAVA_SHORT, packet + PKT_VLAN_TPID) & 0xFFFF : 0x8100;
            final int tci = ring.get(INT, packet + PKT_VLAN_TCI) & 0xFFFF;
            frame.wrap(ring.address() + data, captured);
            vlanFrame.putBytes(0, frame, 0, 12);
            vlanFrame.putShort(12, (short)tpid, ByteOrder.BIG_ENDIAN);
            vlanFrame.putShort(14, (short)tci, ByteOrder.BIG_ENDIAN);
            vlanFrame.putBytes(16, frame, 12, captured - 12);
            handler.onPacket(vlanFrame, 0, captured + 4, wire + 4, timestamp, LinkTypes.ETHERNET, 0);
            return 1;
        }
        frame.wrap(ring.address() + data, captured);
        handler.onPacket(frame, 0, captured, wire, timestamp, LinkTypes.ETHERNET, 0);
        return 1;
    }

    private void waitForBlock(final int timeoutMillis)
    {
        try
        {
            final int ignored = (int)lib.poll.invokeExact(pollFd, 1L, timeoutMillis);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("poll failed on '" + interfaceName + "'", ex);
        }
    }

    /** Read and accumulate the kernel's counters (they reset on every read). Capture thread only. */
    @Override
    public void updateKernelStatistics()
    {
        try
        {
            statsLength.set(INT, 0, 12);
            final int rc = (int)lib.getsockoptQuiet.invokeExact(fd, SOL_PACKET, PACKET_STATISTICS, stats, statsLength);
            if (rc == 0)
            {
                kernelPackets.addAndGet(stats.get(INT, 0) & 0xFFFF_FFFFL);
                kernelDrops.addAndGet(stats.get(INT, 4) & 0xFFFF_FFFFL);
            }
        }
        catch (final Throwable ex)
        {
            // Statistics are best effort; the capture goes on.
        }
    }

    /** @return packets the kernel dropped because the ring was full (read by {@link #updateKernelStatistics}). */
    @Override
    public long kernelDrops()
    {
        return kernelDrops.get();
    }

    /** @return packets the kernel passed the filter (read by {@link #updateKernelStatistics}). */
    @Override
    public long kernelPackets()
    {
        return kernelPackets.get();
    }

    /** @return loopback frames skipped because they were the outgoing copy of a packet. */
    @Override
    public long outgoingSkipped()
    {
        return outgoingSkipped;
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
            try
            {
                final int ignored = (int)lib.munmap.invokeExact(errno, ring, ring.byteSize());
            }
            catch (final Throwable ex)
            {
                // closing anyway
            }
            closeFd(fd);
            arena.close();
        }
    }

    private void closeFd(final int socket)
    {
        try
        {
            final int ignored = (int)lib.close.invokeExact(errno, socket);
        }
        catch (final Throwable ex)
        {
            // nothing more to do
        }
    }

    private int setInt(final int socket, final int level, final int option, final int value) throws Throwable
    {
        final MemorySegment v = arena.allocate(INT);
        v.set(INT, 0, value);
        return (int)lib.setsockopt.invokeExact(errno, socket, level, option, v, 4);
    }

    private void check(final int rc, final String what) throws CaptureFileException
    {
        if (rc != 0)
        {
            throw new CaptureFileException("cannot " + what + " on '" + interfaceName + "': " +
                strerror(NativeCalls.errno(errno)));
        }
    }

    private String strerror(final int error)
    {
        try
        {
            return ((MemorySegment)lib.strerror.invokeExact(error)).reinterpret(256).getString(0) + " (errno " + error + ")";
        }
        catch (final Throwable ex)
        {
            return "errno " + error;
        }
    }

    /**
     * The calls made while capturing ({@code poll}, {@code getsockopt} of the statistics) do not
     * capture errno: a downcall that does allocates a slice of the call-state segment on every call
     * (seen in a flight recording of every allocation of a live capture: 7,307 in 22 s, the capture
     * thread polling for blocks).
     */
    private record Native(
        MethodHandle socket, MethodHandle setsockopt, MethodHandle getsockopt, MethodHandle bind, MethodHandle mmap,
        MethodHandle munmap, MethodHandle poll, MethodHandle close, MethodHandle ifNameToIndex, MethodHandle strerror,
        MethodHandle getsockoptQuiet)
    {
        private static volatile Native instance;

        static Native get()
        {
            Native lib = instance;
            if (lib == null)
            {
                final Linker.Option errno = NativeCalls.CAPTURE_ERRNO;
                final ValueLayout.OfLong size = ValueLayout.JAVA_LONG;
                lib = new Native(
                    NativeCalls.libc("socket", FunctionDescriptor.of(INT, INT, INT, INT), errno),
                    NativeCalls.libc("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ValueLayout.ADDRESS, INT), errno),
                    NativeCalls.libc("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS), errno),
                    NativeCalls.libc("bind", FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS, INT), errno),
                    NativeCalls.libc("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, size, INT, INT,
                        INT, size), errno),
                    NativeCalls.libc("munmap", FunctionDescriptor.of(INT, ValueLayout.ADDRESS, size), errno),
                    NativeCalls.libc("poll", FunctionDescriptor.of(INT, ValueLayout.ADDRESS, size, INT)),
                    NativeCalls.libc("close", FunctionDescriptor.of(INT, INT), errno),
                    NativeCalls.libc("if_nametoindex", FunctionDescriptor.of(INT, ValueLayout.ADDRESS)),
                    NativeCalls.libc("strerror", FunctionDescriptor.of(ValueLayout.ADDRESS, INT)),
                    NativeCalls.libc("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS)));
                instance = lib;
            }
            return lib;
        }
    }
}
