package dev.httpcap.capture;

/**
 * A capture from a live interface: frames as they arrive, plus the kernel's own counters, so a
 * report can say how many packets the kernel saw and how many it had to drop before we read them.
 * Implemented by {@link AfPacketSource} (the fast path) and {@link LibpcapSource} (the portable one).
 */
public interface LivePacketSource extends PacketSource
{
    /** Read the kernel's counters into {@link #kernelPackets()} and {@link #kernelDrops()}. Capture thread only. */
    void updateKernelStatistics();

    /** @return packets that passed the filter in the kernel, as last read (safe from any thread). */
    long kernelPackets();

    /** @return packets the kernel dropped because the capture buffer was full, as last read (any thread). */
    long kernelDrops();

    /** @return packets the interface or its driver dropped, where the engine can tell (0 otherwise). */
    default long interfaceDrops()
    {
        return 0;
    }

    /** @return loopback frames skipped because they were the outgoing copy of a packet. */
    default long outgoingSkipped()
    {
        return 0;
    }

    /** @return the LINKTYPE_ of the frames delivered. */
    int linkType();

    @Override
    default long bytesConsumed()
    {
        return 0;
    }

    @Override
    default long totalBytes()
    {
        return -1;
    }
}
