package dev.httpcap.decoders.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which header fields an event carries: {@code none}, {@code default} (a short list useful on every
 * record), {@code all}, or a comma-separated list of names. The decoder matches names in any case
 * against it through the package's {@code HeaderNames} table.
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

    @Override
    public String toString()
    {
        return description;
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
