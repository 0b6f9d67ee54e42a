package dev.httpcap.decoders.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.agrona.DirectBuffer;

/**
 * Which header fields an event carries: {@code none}, {@code default} (a short list useful on every
 * record), {@code all}, or a comma-separated list of names. Matching is on lowercased names and
 * allocation-free.
 */
public final class HeaderSelection
{
    /** The names {@code default} selects. */
    public static final List<String> DEFAULT_NAMES = List.of(
        "host", "accept", "content-type", "content-length", "content-encoding", "transfer-encoding", "location",
        "referer", "x-forwarded-for", "x-request-id", "upgrade", "sec-websocket-key", "sec-websocket-accept",
        "sec-websocket-protocol", "sec-websocket-extensions", "sec-websocket-version");

    public static final HeaderSelection NONE = new HeaderSelection("none", false, List.of());
    public static final HeaderSelection DEFAULT = new HeaderSelection("default", false, DEFAULT_NAMES);
    public static final HeaderSelection ALL = new HeaderSelection("all", true, List.of());

    private static final byte[][] REDACTED = {
        ascii("authorization"), ascii("proxy-authorization"), ascii("cookie"), ascii("set-cookie")};

    private final String description;
    private final boolean all;
    private final byte[][] names;

    private HeaderSelection(final String description, final boolean all, final List<String> names)
    {
        this.description = description;
        this.all = all;
        this.names = new byte[names.size()][];
        for (int i = 0; i < names.size(); i++)
        {
            this.names[i] = ascii(names.get(i));
        }
    }

    /**
     * @param spec {@code none}, {@code default}, {@code all} or {@code name,name,...}.
     * @throws IllegalArgumentException with a one-line message for an empty or malformed name.
     */
    public static HeaderSelection parse(final String spec)
    {
        final String trimmed = spec.trim().toLowerCase(Locale.ROOT);
        switch (trimmed)
        {
            case "none":
                return NONE;
            case "default":
                return DEFAULT;
            case "all":
                return ALL;
            default:
                break;
        }
        final List<String> names = new ArrayList<>();
        for (final String part : trimmed.split(",", -1))
        {
            final String name = part.trim();
            if (name.isEmpty() || !isToken(name))
            {
                throw new IllegalArgumentException("not a header name in --headers: '" + part + "'");
            }
            names.add(name);
        }
        return new HeaderSelection(String.join(",", names), false, names);
    }

    /** @return whether the name at {@code buffer[offset, offset + length)}, in any case, is selected. */
    public boolean selectsIgnoreCase(final DirectBuffer buffer, final int offset, final int length)
    {
        if (all)
        {
            return true;
        }
        for (final byte[] name : names)
        {
            if (name.length == length && HttpChars.equalsIgnoreCase(buffer, offset, length, name))
            {
                return true;
            }
        }
        return false;
    }

    /** @return whether every field is selected. */
    boolean selectsAll()
    {
        return all;
    }

    /** @return the selected names, lowercase (none for {@code all}); not to be modified. */
    byte[][] names()
    {
        return names;
    }

    /** @return whether the lowercased name carries credentials whose value is redacted. */
    public static boolean isSensitive(final DirectBuffer buffer, final int offset, final int length)
    {
        return matchesAny(REDACTED, buffer, offset, length);
    }

    @Override
    public String toString()
    {
        return description;
    }

    private static boolean matchesAny(final byte[][] names, final DirectBuffer buffer, final int offset, final int length)
    {
        for (final byte[] name : names)
        {
            if (name.length == length && equals(name, buffer, offset))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean equals(final byte[] name, final DirectBuffer buffer, final int offset)
    {
        final byte[] array = buffer.byteArray();
        if (array != null)
        {
            final int from = buffer.wrapAdjustment() + offset;
            return Arrays.equals(name, 0, name.length, array, from, from + name.length);
        }
        for (int i = 0; i < name.length; i++)
        {
            if (buffer.getByte(offset + i) != name[i])
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isToken(final String name)
    {
        for (int i = 0; i < name.length(); i++)
        {
            if (!HttpChars.isTokenChar(name.charAt(i)))
            {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
