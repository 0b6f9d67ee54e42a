package dev.httpcap.decoders.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The part of the decoder's configuration that may change while it runs: which header fields an
 * event keeps ({@link HeaderSelection}), whether credentials are redacted, and the names redacted
 * besides {@code authorization}, {@code proxy-authorization}, {@code cookie} and {@code set-cookie}.
 * Immutable; built off the hot path (its look-up table is allocated here) and handed to a running
 * decoder with {@link HttpDecoder#rules(HeaderRules)} on the decoder's own thread.
 */
public final class HeaderRules
{
    final HeaderNames names;
    final boolean redact;
    private final String description;

    private HeaderRules(final HeaderNames names, final boolean redact, final String description)
    {
        this.names = names;
        this.redact = redact;
        this.description = description;
    }

    /**
     * @param redactNames more header names whose values are redacted (any case; redaction on only).
     * @throws IllegalArgumentException with a one-line message for a name that is not an HTTP token.
     */
    public static HeaderRules of(final HeaderSelection headers, final boolean redact, final List<String> redactNames)
    {
        final List<byte[]> extra = new ArrayList<>(redactNames.size());
        for (final String name : redactNames)
        {
            final String lower = name.strip().toLowerCase(Locale.ROOT);
            if (lower.isEmpty() || !lower.chars().allMatch(c -> c < 128 && HttpChars.isTokenChar(c)))
            {
                throw new IllegalArgumentException("not a header name to redact: '" + name + "'");
            }
            extra.add(HttpChars.ascii(lower));
        }
        return new HeaderRules(new HeaderNames(headers, extra.toArray(new byte[0][])), redact,
            "headers " + headers + (redact ? ", redacted: the credentials" + (redactNames.isEmpty() ? "" : " and " +
                String.join(",", redactNames)) : ", nothing redacted"));
    }

    /** The rules an {@link HttpConfig} starts with. */
    public static HeaderRules of(final HttpConfig config)
    {
        return of(config.headers(), config.redact(), config.redactNames());
    }

    @Override
    public String toString()
    {
        return description;
    }
}
