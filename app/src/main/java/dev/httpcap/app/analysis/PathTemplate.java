package dev.httpcap.app.analysis;

/**
 * An endpoint's name: a URL path with its ids folded into {@code {id}}, so that
 * {@code /users/42/orders/7f3c9a12} and {@code /users/7/orders/0badcafe} are both
 * {@code /users/{id}/orders/{id}}. A path segment is an id when it is a number, a UUID, or a run of
 * at least 8 hex digits with a digit among them (hashes, object ids); the query is dropped.
 */
public final class PathTemplate
{
    public static final String ID = "{id}";

    private PathTemplate()
    {
    }

    /** @return the template of {@code path} (a URL path or request target; its query, if any, is ignored). */
    public static String of(final String path)
    {
        if (path == null || path.isEmpty())
        {
            return "/";
        }
        int stop = path.indexOf('?');
        if (stop < 0)
        {
            stop = path.length();
        }
        final StringBuilder out = new StringBuilder(stop + 8);
        int start = 0;
        boolean changed = false;
        while (start <= stop)
        {
            int slash = path.indexOf('/', start);
            if (slash < 0 || slash > stop)
            {
                slash = stop;
            }
            if (isId(path, start, slash))
            {
                out.append(ID);
                changed = true;
            }
            else
            {
                out.append(path, start, slash);
            }
            if (slash < stop)
            {
                out.append('/');
            }
            start = slash + 1;
        }
        return changed || stop != path.length() ? out.toString() : path;
    }

    static boolean isId(final String s, final int start, final int stop)
    {
        final int length = stop - start;
        if (length == 0)
        {
            return false;
        }
        boolean allDigits = true;
        boolean allHex = true;
        boolean anyDigit = false;
        for (int i = start; i < stop; i++)
        {
            final char c = s.charAt(i);
            final boolean digit = c >= '0' && c <= '9';
            anyDigit |= digit;
            allDigits &= digit;
            allHex &= digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        }
        if (allDigits)
        {
            return true;
        }
        if (allHex && anyDigit && length >= 8)
        {
            return true;
        }
        return length == 36 && isUuid(s, start);
    }

    private static boolean isUuid(final String s, final int start)
    {
        for (int i = 0; i < 36; i++)
        {
            final char c = s.charAt(start + i);
            if (i == 8 || i == 13 || i == 18 || i == 23)
            {
                if (c != '-')
                {
                    return false;
                }
            }
            else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            {
                return false;
            }
        }
        return true;
    }
}
