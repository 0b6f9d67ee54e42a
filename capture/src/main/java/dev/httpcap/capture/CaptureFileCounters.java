package dev.httpcap.capture;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Problems found in the structure of a capture file, as opposed to in the packets it holds.
 * Written by the reading thread; read by others only after it has finished.
 */
public final class CaptureFileCounters
{
    long truncatedRecords;
    long corruptBlocks;
    long oversizedFrames;
    long skippedBlocks;
    private String damage;

    /** @return records or blocks cut short by the end of the file (the last one, when a capture was interrupted). */
    public long truncatedRecords()
    {
        return truncatedRecords;
    }

    /** @return blocks with impossible lengths or references; reading stops (or skips the block) and counts it. */
    public long corruptBlocks()
    {
        return corruptBlocks;
    }

    /**
     * @return pcapng packet blocks whose frame exceeds 262144 bytes: skipped, not delivered. (A pcap
     *         record that large is damage: reading stops, as in libpcap.)
     */
    public long oversizedFrames()
    {
        return oversizedFrames;
    }

    /** @return pcapng blocks without packets that we do not use (name resolution, statistics, custom). */
    public long skippedBlocks()
    {
        return skippedBlocks;
    }

    /**
     * @return one line saying where and how the file is damaged (the first problem that was counted as a
     *         truncated record or a corrupt block), or null for a sound file. Like tcpdump, a program
     *         that printed what it read should then fail.
     */
    public String damage()
    {
        return damage;
    }

    void damaged(final String what)
    {
        if (damage == null)
        {
            damage = what;
        }
    }

    /** @return every counter by name, in a stable order. */
    public Map<String, Long> asMap()
    {
        final Map<String, Long> map = new LinkedHashMap<>();
        map.put("truncated_records", truncatedRecords);
        map.put("corrupt_blocks", corruptBlocks);
        map.put("oversized_frames", oversizedFrames);
        map.put("skipped_blocks", skippedBlocks);
        return map;
    }
}
