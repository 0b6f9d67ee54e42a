package dev.httpcap.app.analysis;

/** A small JSON text builder for reports (not the hot path: the event encoder is decoders' JsonWriter). */
final class JsonOut
{
    private final StringBuilder out = new StringBuilder(1 << 16);
    private boolean comma;

    JsonOut open()
    {
        sep();
        out.append('{');
        comma = false;
        return this;
    }

    JsonOut open(final String name)
    {
        key(name);
        out.append('{');
        comma = false;
        return this;
    }

    JsonOut close()
    {
        out.append('}');
        comma = true;
        return this;
    }

    JsonOut array(final String name)
    {
        key(name);
        out.append('[');
        comma = false;
        return this;
    }

    JsonOut endArray()
    {
        out.append(']');
        comma = true;
        return this;
    }

    JsonOut field(final String name, final String value)
    {
        key(name);
        if (value == null)
        {
            out.append("null");
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
        out.append(value);
        comma = true;
        return this;
    }

    JsonOut field(final String name, final double value)
    {
        key(name);
        if (Double.isFinite(value))
        {
            out.append(value);
        }
        else
        {
            out.append("null");
        }
        comma = true;
        return this;
    }

    private void key(final String name)
    {
        sep();
        string(name);
        out.append(':');
    }

    private void sep()
    {
        if (comma)
        {
            out.append(',');
        }
    }

    private void string(final String s)
    {
        out.append('"');
        if (plain(s))
        {
            out.append(s).append('"');
            return;
        }
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default ->
                {
                    // '<' escaped too, so the text can sit inside an HTML <script> element.
                    if (c < 0x20 || c == '<' || c == 0x2028 || c == 0x2029)
                    {
                        out.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    @Override
    public String toString()
    {
        return out.toString();
    }

    /** @return whether {@code s} goes into a JSON string as it is (most of a report's strings). */
    private static boolean plain(final String s)
    {
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == 0x2028 || c == 0x2029)
            {
                return false;
            }
        }
        return true;
    }
}
