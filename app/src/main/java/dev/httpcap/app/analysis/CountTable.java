package dev.httpcap.app.analysis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Rows by key, at most {@code maxRows} of them: once full, a new key's counts go to the row
 * {@link #OTHER} and the keys folded into it are counted ({@link #foldedKeys()}), so a capture with
 * millions of distinct URIs costs bounded memory and says so.
 */
final class CountTable<R>
{
    static final String OTHER = "(other)";

    private final Map<String, R> rows = new HashMap<>();
    private final int maxRows;
    private final Function<String, R> factory;
    private long foldedKeys;

    CountTable(final int maxRows, final Function<String, R> factory)
    {
        this.maxRows = maxRows;
        this.factory = factory;
    }

    R row(final String key)
    {
        final R row = rows.get(key);
        if (row != null)
        {
            return row;
        }
        if (rows.size() >= maxRows)
        {
            foldedKeys++;
            return rows.computeIfAbsent(OTHER, factory);
        }
        final R created = factory.apply(key);
        rows.put(key, created);
        return created;
    }

    /** Add {@code other}'s rows to this table's (new keys past the bound fold into {@link #OTHER}) and its folded keys. */
    void merge(final CountTable<R> other, final java.util.function.BiConsumer<R, R> add)
    {
        for (final Map.Entry<String, R> e : other.rows.entrySet())
        {
            add.accept(row(e.getKey()), e.getValue());
        }
        foldedKeys += other.foldedKeys;
    }

    Map<String, R> rows()
    {
        return rows;
    }

    List<String> keys()
    {
        return new ArrayList<>(rows.keySet());
    }

    long foldedKeys()
    {
        return foldedKeys;
    }
}
