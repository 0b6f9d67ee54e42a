package dev.httpcap.app.analysis;

/**
 * A small JSON text builder for reports (not the hot path: the event encoder is decoders' JsonWriter).
 * Built in memory ({@link #toString()}), or streamed to an {@link java.io.OutputStream} through a
 * fixed buffer ({@link #JsonOut(java.io.OutputStream)}): a big capture's report is tens of MB.
 */
final class JsonOut
{
    private static final int STREAM_BUFFER = 1 << 18;

    /** UTF-8, ASCII written byte by byte; grown by doubling when built in memory. */
    private byte[] out;
    private int length;
    private boolean comma;
    /** Where a full buffer goes, or null: built in memory. */
    private final java.io.OutputStream sink;

    JsonOut()
    {
        out = new byte[1 << 16];
        sink = null;
    }

    /** Stream the text to {@code sink} as it is built; {@link #writeTo} writes what is left. */
    JsonOut(final java.io.OutputStream sink)
    {
        out = new byte[STREAM_BUFFER];
        this.sink = sink;
    }

    JsonOut open()
    {
        sep();
        ascii('{');
        comma = false;
        return this;
    }

    JsonOut open(final String name)
    {
        key(name);
        ascii('{');
        comma = false;
        return this;
    }

    JsonOut close()
    {
        ascii('}');
        comma = true;
        return this;
    }

    JsonOut array(final String name)
    {
        key(name);
        ascii('[');
        comma = false;
        return this;
    }

    JsonOut endArray()
    {
        ascii(']');
        comma = true;
        return this;
    }

    JsonOut field(final String name, final String value)
    {
        key(name);
        if (value == null)
        {
            ascii("null");
        }
        else
        {
            string(value);
        }
        comma = true;
        return this;
    }

    JsonOut field(final String name, final long value)
    {
        key(name);
        decimal(value);
        comma = true;
        return this;
    }

    JsonOut field(final String name, final double value)
    {
        key(name);
        if (Double.isFinite(value))
        {
            ascii(Double.toString(value));
        }
        else
        {
            ascii("null");
        }
        comma = true;
        return this;
    }

    private void key(final String name)
    {
        sep();
        string(name);
        ascii(':');
    }

    private void sep()
    {
        if (comma)
        {
            ascii(',');
        }
    }

    private void string(final String s)
    {
        final int n = s.length();
        reserve(n + 2);
        final byte[] out = this.out;
        final int start = length;
        out[start] = '"';
        // Most of a report's strings are ASCII that goes into a JSON string as it is: copied in one pass.
        for (int i = 0; i < n; i++)
        {
            final char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<')
            {
                length = start + 1;
                escaped(s);
                ascii('"');
                return;
            }
            out[start + 1 + i] = (byte)c;
        }
        out[start + 1 + n] = '"';
        length = start + n + 2;
    }

    /** The slow path: escapes, and characters beyond ASCII as UTF-8. */
    private void escaped(final String s)
    {
        final StringBuilder escaped = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"' -> escaped.append("\\\"");
                case '\\' -> escaped.append("\\\\");
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '\t' -> escaped.append("\\t");
                default ->
                {
                    // '<' escaped too, so the text can sit inside an HTML <script> element.
                    if (c < 0x20 || c == '<' || c == 0x2028 || c == 0x2029)
                    {
                        escaped.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        escaped.append(c);
                    }
                }
            }
        }
        final byte[] bytes = escaped.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        reserve(bytes.length);
        System.arraycopy(bytes, 0, out, length, bytes.length);
        length += bytes.length;
    }

    private void ascii(final char c)
    {
        reserve(1);
        out[length++] = (byte)c;
    }

    private void ascii(final String s)
    {
        final int n = s.length();
        reserve(n);
        for (int i = 0; i < n; i++)
        {
            out[length + i] = (byte)s.charAt(i);
        }
        length += n;
    }

    private void decimal(final long value)
    {
        if (value < 0)
        {
            if (value == Long.MIN_VALUE)
            {
                ascii(Long.toString(value));
                return;
            }
            ascii('-');
            decimal(-value);
            return;
        }
        reserve(20);
        int digits = 1;
        for (long v = value / 10; v > 0; v /= 10)
        {
            digits++;
        }
        long v = value;
        for (int i = length + digits - 1; i >= length; i--)
        {
            out[i] = (byte)('0' + v % 10);
            v /= 10;
        }
        length += digits;
    }

    private void reserve(final int more)
    {
        if (length + more > out.length)
        {
            if (sink != null && length > 0)
            {
                try
                {
                    sink.write(out, 0, length);
                }
                catch (final java.io.IOException ex)
                {
                    throw new java.io.UncheckedIOException(ex);
                }
                length = 0;
                if (more <= out.length)
                {
                    return;
                }
            }
            out = java.util.Arrays.copyOf(out, Math.max(length + more, 2 * out.length));
        }
    }

    /** Write the text (UTF-8), or what the stream has not been given yet, to {@code sink}. */
    void writeTo(final java.io.OutputStream sink) throws java.io.IOException
    {
        sink.write(out, 0, length);
        length = 0;
    }

    @Override
    public String toString()
    {
        return new String(out, 0, length, java.nio.charset.StandardCharsets.UTF_8);
    }
}
