package dev.httpcap.capture;

import org.agrona.DirectBuffer;

/**
 * Receives frames from a {@link PacketSource}. The buffer is only valid for the duration of the
 * call: it usually points straight into a memory-mapped capture file or a kernel ring, so a
 * handler that keeps bytes must copy them.
 */
@FunctionalInterface
public interface PacketHandler
{
    /**
     * @param frame          buffer holding the frame, starting at the link-layer header.
     * @param offset         offset of the first byte of the frame in {@code frame}.
     * @param capturedLength bytes captured (may be less than {@code wireLength} after a snaplen cut).
     * @param wireLength     length of the frame on the wire.
     * @param timestampNanos capture time, nanoseconds since the Unix epoch.
     * @param linkType       libpcap LINKTYPE_ value of the interface the frame came from.
     * @param interfaceId    interface index within the capture (pcapng IDB number; 0 for pcap).
     */
    void onPacket(DirectBuffer frame, int offset, int capturedLength, int wireLength, long timestampNanos,
        int linkType, int interfaceId);
}
