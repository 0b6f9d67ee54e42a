package dev.httpcap.app.schema;

import java.util.List;
import java.util.Map;

/** Writes maps, lists, strings, numbers and booleans as indented JSON (the schema outputs; off the hot path). */
final class Json
{
    private Json()
    {
    }

    static String write(final Object value)
    {
        final StringBuilder out = new StringBuilder(1 << 14);
        write(out, value, 0);
        return out.append('\n').toString();
    }

    private static void write(final StringBuilder out, final Object value, final int depth)
    {
        switch (value)
        {
            case null -> out.append("null");
            case Map<?, ?> map ->
            {
                if (map.isEmpty())
                {
                    out.append("{}");
                    return;
                }
                out.append('{');
                boolean first = true;
                for (final Map.Entry<?, ?> e : map.entrySet())
                {
                    out.append(first ? "\n" : ",\n");
                    first = false;
                    indent(out, depth + 1);
                    string(out, String.valueOf(e.getKey()));
                    out.append(": ");
                    write(out, e.getValue(), depth + 1);
                }
                out.append('\n');
                indent(out, depth);
                out.append('}');
            }
            case List<?> list ->
            {
                out.append('[');
                for (int i = 0; i < list.size(); i++)
                {
                    out.append(i == 0 ? "" : ", ");
                    write(out, list.get(i), depth + 1);
                }
                out.append(']');
            }
            case String s -> string(out, s);
            case Number n -> out.append(n);
            case Boolean b -> out.append(b);
            default -> throw new IllegalArgumentException("not JSON: " + value.getClass());
        }
    }

    private static void indent(final StringBuilder out, final int depth)
    {
        out.append("  ".repeat(depth));
    }

    static void string(final StringBuilder out, final String s)
    {
        out.append('"');
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
                    if (c < 0x20)
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
}
