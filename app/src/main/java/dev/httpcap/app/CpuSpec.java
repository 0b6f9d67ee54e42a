package dev.httpcap.app;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code --cpus} option: which CPUs each kind of thread is pinned to, e.g.
 * {@code capture=0,workers=1-3,sink=4} or {@code none} (the default: nothing is pinned). A role's
 * list may hold single CPUs and ranges ({@code workers=1-3,6}); threads of a role take its CPUs in
 * turn. Roles left out are not pinned.
 */
final class CpuSpec
{
    static final String CAPTURE = "capture";
    static final String WORKERS = "workers";
    static final String SINK = "sink";
    private static final int MAX_CPU = 1023;

    private final Map<String, int[]> cpus;

    private CpuSpec(final Map<String, int[]> cpus)
    {
        this.cpus = cpus;
    }

    /** @throws IllegalArgumentException with a one-line message for a malformed spec. */
    static CpuSpec parse(final String text)
    {
        final Map<String, int[]> cpus = new LinkedHashMap<>();
        final String spec = text == null ? "none" : text.strip();
        if (spec.isEmpty() || spec.equals("none"))
        {
            return new CpuSpec(cpus);
        }
        final Map<String, TreeSet<Integer>> lists = new LinkedHashMap<>();
        String role = null;
        for (final String rawItem : spec.split(","))
        {
            String item = rawItem.strip();
            final int equals = item.indexOf('=');
            if (equals >= 0)
            {
                role = item.substring(0, equals).strip();
                if (role.equals("worker"))
                {
                    role = WORKERS;
                }
                if (!role.equals(CAPTURE) && !role.equals(WORKERS) && !role.equals(SINK))
                {
                    throw new IllegalArgumentException("--cpus: unknown thread kind '" + role +
                        "' (capture, workers or sink): " + text);
                }
                if (lists.containsKey(role))
                {
                    throw new IllegalArgumentException("--cpus: '" + role + "' given twice: " + text);
                }
                lists.put(role, new TreeSet<>());
                item = item.substring(equals + 1).strip();
            }
            if (role == null)
            {
                throw new IllegalArgumentException("--cpus: expected none or KIND=CPUS,... (e.g. capture=0,workers=1-3): " + text);
            }
            addRange(lists.get(role), item, text);
        }
        lists.forEach((name, set) -> cpus.put(name, set.stream().mapToInt(Integer::intValue).toArray()));
        return new CpuSpec(cpus);
    }

    private static void addRange(final TreeSet<Integer> into, final String item, final String text)
    {
        try
        {
            final int dash = item.indexOf('-');
            final int from = Integer.parseInt(dash < 0 ? item : item.substring(0, dash).strip());
            final int to = dash < 0 ? from : Integer.parseInt(item.substring(dash + 1).strip());
            if (from < 0 || to < from || to > MAX_CPU)
            {
                throw new NumberFormatException();
            }
            for (int cpu = from; cpu <= to; cpu++)
            {
                into.add(cpu);
            }
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--cpus: '" + item + "' is not a CPU number or range N-M (0-" + MAX_CPU +
                "): " + text);
        }
    }

    /** @return true when nothing is to be pinned. */
    boolean none()
    {
        return cpus.isEmpty();
    }

    /** @return the CPUs for threads of {@code role} ({@link #CAPTURE}, {@link #WORKERS}, {@link #SINK}); empty: unpinned. */
    int[] cpus(final String role)
    {
        final int[] list = cpus.get(role);
        return list == null ? new int[0] : list.clone();
    }

    @Override
    public String toString()
    {
        if (cpus.isEmpty())
        {
            return "none";
        }
        final StringBuilder sb = new StringBuilder();
        cpus.forEach((role, list) ->
        {
            sb.append(sb.isEmpty() ? "" : " ").append(role).append('=');
            for (int i = 0; i < list.length; i++)
            {
                sb.append(i == 0 ? "" : ",").append(list[i]);
            }
        });
        return sb.toString();
    }
}
