package dev.httpcap.decoders.event;

import dev.httpcap.decoders.tcp.Tags;

import static dev.httpcap.decoders.event.EcsNames.TAGS;
import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/** Writes a record's {@link Tags} bits: as the {@code tags} array of an event, or bracketed on a readable line. */
final class EventTags
{
    private static final byte[][] TAG_NAMES = new byte[Tags.NAMES.length][];

    static
    {
        for (int i = 0; i < TAG_NAMES.length; i++)
        {
            TAG_NAMES[i] = encodeName(Tags.NAMES[i]);
        }
    }

    private EventTags()
    {
    }

    static void tagsArray(final JsonWriter out, final int tags)
    {
        out.name(TAGS).startArray();
        for (int i = 0; i < TAG_NAMES.length; i++)
        {
            if ((tags & (1 << i)) != 0)
            {
                out.rawString(TAG_NAMES[i]);
            }
        }
        out.endArray();
    }

    /** {@code " [gap,incomplete]"} for a readable line; nothing without tags. */
    static void appendTags(final JsonWriter out, final int tags)
    {
        if (tags == 0)
        {
            return;
        }
        out.appendAscii(' ').appendAscii('[');
        boolean first = true;
        for (int i = 0; i < TAG_NAMES.length; i++)
        {
            if ((tags & (1 << i)) != 0)
            {
                if (!first)
                {
                    out.appendAscii(',');
                }
                out.appendAscii(TAG_NAMES[i]);
                first = false;
            }
        }
        out.appendAscii(']');
    }
}
