package dev.httpcap.common;

/** Limits on one captured frame, shared by the capture sources, the capture-file reader and the packet ring. */
public final class Frames
{
    /**
     * The largest frame read or captured (libpcap's {@code MAXIMUM_SNAPLEN}): a capture file's record
     * above it is corrupt, and the packet ring and capture filters are sized for it.
     */
    public static final int MAX_FRAME_LENGTH = 262_144;

    private Frames()
    {
    }
}
