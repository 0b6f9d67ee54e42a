import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Holds the events a live capture wrote against those of `bin/httpcap read` of exactly the packets
 * that were sent, one for one, for perf/live-capture-rates.sh:
 *
 *   java perf/LiveEventMatch.java [--samples DIR] LIVE.ndjson LABEL=READ.ndjson [LABEL=READ.ndjson ...]
 *
 * Every event (one JSON object a line) is normalised as LiveReplayIT does (ItSupport.withoutCaptureTimes):
 * without what legitimately differs between a live capture of replayed frames and a read of the
 * file — {@code @timestamp}, {@code event.id/start/end/duration}, where it was captured
 * ({@code observer}, {@code host}, {@code network.direction}) and the values of
 * {@code httpcap.timing.*} (kept as {@code true}: which phases were timed must agree) — and
 * everything else (addresses, ports, community id, method, URL, status, byte counts, headers,
 * tags, {@code httpcap.trans_depth}, the transaction's order in its connection) must be equal. The
 * normalised events are compared as multisets by a SHA-256 of each: an event read but not live is
 * "missing", one live more often than read (a duplicate, or one never read) "extra".
 *
 * With several READ files (service mode: the warm-up and each step replayed different addresses)
 * every read event is counted for its LABEL, and an extra live event for the LABEL whose events
 * have its source and destination addresses ("-" if none has). Prints per LABEL:
 *
 *   match LABEL read R live L missing M extra X duplicates D
 *
 * (L = the live events attributed to LABEL; D = the extra events that are an event read, once
 * more). With --samples DIR, up to 20 missing and 20 extra normalised events per LABEL go to
 * DIR/LABEL.missing and DIR/LABEL.extra. Exit status 0 whatever the result. No dependencies.
 */
public final class LiveEventMatch
{
    private static final int SAMPLES = 20;

    /** A normalised event's SHA-256, its first 128 bits. */
    private record Key(long high, long low)
    {
    }

    private static final class Expected
    {
        final String label;
        int remaining;

        Expected(final String label)
        {
            this.label = label;
        }
    }

    public static void main(final String[] args) throws Exception
    {
        int at = 0;
        Path samples = null;
        if (args.length > 1 && args[0].equals("--samples"))
        {
            samples = Path.of(args[1]);
            Files.createDirectories(samples);
            at = 2;
        }
        if (args.length - at < 2)
        {
            System.err.println("usage: java perf/LiveEventMatch.java [--samples DIR] LIVE.ndjson LABEL=READ.ndjson...");
            System.exit(2);
        }
        final Path live = Path.of(args[at]);
        final Map<String, Path> reads = new LinkedHashMap<>();
        for (int i = at + 1; i < args.length; i++)
        {
            final int eq = args[i].indexOf('=');
            reads.put(args[i].substring(0, eq), Path.of(args[i].substring(eq + 1)));
        }
        final Map<Key, Expected> expected = new HashMap<>(1 << 20);
        final Map<String, String> labelOfAddresses = new HashMap<>();
        final Map<String, long[]> counts = new LinkedHashMap<>(); // read, live, missing, extra, duplicates
        final Normaliser normaliser = new Normaliser();
        for (final Map.Entry<String, Path> read : reads.entrySet())
        {
            final String label = read.getKey();
            counts.put(label, new long[5]);
            try (BufferedReader in = Files.newBufferedReader(read.getValue(), StandardCharsets.UTF_8))
            {
                for (String line = in.readLine(); line != null; line = in.readLine())
                {
                    if (line.isBlank())
                    {
                        continue;
                    }
                    final String normal = normaliser.normalise(line);
                    final Expected e = expected.computeIfAbsent(normaliser.key(normal), k -> new Expected(label));
                    if (!e.label.equals(label))
                    {
                        System.err.println("LiveEventMatch: the same event read for " + e.label + " and " + label +
                            " (counted for " + e.label + "): " + normal);
                    }
                    e.remaining++;
                    counts.get(e.label)[0]++;
                    labelOfAddresses.putIfAbsent(normaliser.addresses(), label);
                }
            }
        }
        counts.put("-", new long[5]);
        final Map<String, List<String>> extraSamples = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(live, StandardCharsets.UTF_8))
        {
            for (String line = in.readLine(); line != null; line = in.readLine())
            {
                if (line.isBlank())
                {
                    continue;
                }
                final String normal = normaliser.normalise(line);
                final Expected e = expected.get(normaliser.key(normal));
                final String label = e != null ? e.label : labelOfAddresses.getOrDefault(normaliser.addresses(), "-");
                final long[] c = counts.get(label);
                c[1]++;
                if (e != null && e.remaining > 0)
                {
                    e.remaining--;
                    continue;
                }
                c[3]++;
                if (e != null)
                {
                    c[4]++;
                }
                final List<String> s = extraSamples.computeIfAbsent(label, k -> new ArrayList<>());
                if (s.size() < SAMPLES)
                {
                    s.add(normal);
                }
            }
        }
        // Missing: what is left of the read events.
        for (final Expected e : expected.values())
        {
            counts.get(e.label)[2] += e.remaining;
        }
        for (final Map.Entry<String, long[]> c : counts.entrySet())
        {
            final long[] v = c.getValue();
            if (c.getKey().equals("-") && v[1] == 0)
            {
                continue;
            }
            System.out.println("match " + c.getKey() + " read " + v[0] + " live " + v[1] + " missing " + v[2] +
                " extra " + v[3] + " duplicates " + v[4]);
        }
        if (samples != null)
        {
            for (final Map.Entry<String, List<String>> s : extraSamples.entrySet())
            {
                Files.write(samples.resolve(file(s.getKey()) + ".extra"), s.getValue());
            }
            // A second pass over the read events for the missing ones' text.
            for (final Map.Entry<String, Path> read : reads.entrySet())
            {
                if (counts.get(read.getKey())[2] == 0)
                {
                    continue;
                }
                final List<String> missing = new ArrayList<>();
                final Map<Key, Integer> shown = new HashMap<>();
                try (BufferedReader in = Files.newBufferedReader(read.getValue(), StandardCharsets.UTF_8))
                {
                    for (String line = in.readLine(); line != null && missing.size() < SAMPLES; line = in.readLine())
                    {
                        if (line.isBlank())
                        {
                            continue;
                        }
                        final String normal = normaliser.normalise(line);
                        final Key key = normaliser.key(normal);
                        final int n = shown.merge(key, 1, Integer::sum);
                        if (n <= expected.get(key).remaining)
                        {
                            missing.add(normal);
                        }
                    }
                }
                Files.write(samples.resolve(file(read.getKey()) + ".missing"), missing);
            }
        }
    }

    private static String file(final String label)
    {
        return label.equals("-") ? "unattributed" : label.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /**
     * Copies a JSON object without the members that differ between live and read, in one pass over
     * the text (the events are httpcap's own compact JSON: no library needed).
     */
    static final class Normaliser
    {
        private static final Set<String> DROPPED = Set.of(
            "@timestamp", "event.id", "event.start", "event.end", "event.duration", "observer", "host", "network.direction");
        private final StringBuilder out = new StringBuilder(4096);
        private final MessageDigest sha;
        private String text;
        private int pos;
        private String sourceIp = "";
        private String destinationIp = "";

        Normaliser()
        {
            try
            {
                sha = MessageDigest.getInstance("SHA-256");
            }
            catch (final NoSuchAlgorithmException e)
            {
                throw new IllegalStateException(e);
            }
        }

        String normalise(final String line)
        {
            text = line;
            pos = 0;
            out.setLength(0);
            sourceIp = "";
            destinationIp = "";
            value("", true);
            return out.toString();
        }

        Key key(final String normal)
        {
            final byte[] d = sha.digest(normal.getBytes(StandardCharsets.UTF_8));
            long high = 0;
            long low = 0;
            for (int i = 0; i < 8; i++)
            {
                high = high << 8 | (d[i] & 0xFF);
                low = low << 8 | (d[8 + i] & 0xFF);
            }
            return new Key(high, low);
        }

        /** The last event's source and destination addresses, in either order. */
        String addresses()
        {
            return sourceIp.compareTo(destinationIp) <= 0 ? sourceIp + " " + destinationIp : destinationIp + " " + sourceIp;
        }

        private void value(final String path, final boolean emit)
        {
            skipSpace();
            final char c = text.charAt(pos);
            if (c == '{')
            {
                object(path, emit);
            }
            else if (c == '[')
            {
                if (emit)
                {
                    out.append('[');
                }
                pos++;
                boolean first = true;
                skipSpace();
                if (text.charAt(pos) == ']')
                {
                    pos++;
                }
                else
                {
                    while (true)
                    {
                        if (emit && !first)
                        {
                            out.append(',');
                        }
                        first = false;
                        value(path + "[]", emit);
                        skipSpace();
                        if (text.charAt(pos++) == ']')
                        {
                            break;
                        }
                    }
                }
                if (emit)
                {
                    out.append(']');
                }
            }
            else if (c == '"')
            {
                final int start = pos;
                final String s = string();
                if (path.equals("source.ip"))
                {
                    sourceIp = s;
                }
                else if (path.equals("destination.ip"))
                {
                    destinationIp = s;
                }
                if (emit)
                {
                    out.append(text, start, pos);
                }
            }
            else
            {
                final int start = pos;
                while (pos < text.length() && ",}] \t\r\n".indexOf(text.charAt(pos)) < 0)
                {
                    pos++;
                }
                if (emit)
                {
                    out.append(text, start, pos);
                }
            }
        }

        private void object(final String path, final boolean emit)
        {
            pos++;
            if (emit)
            {
                out.append('{');
            }
            boolean first = true;
            skipSpace();
            if (text.charAt(pos) == '}')
            {
                pos++;
            }
            else
            {
                while (true)
                {
                    skipSpace();
                    final int keyStart = pos;
                    final String key = string();
                    final int keyEnd = pos;
                    skipSpace();
                    pos++; // ':'
                    final String child = path.isEmpty() ? key : path + "." + key;
                    final boolean keep = emit && !DROPPED.contains(child);
                    if (keep)
                    {
                        if (!first)
                        {
                            out.append(',');
                        }
                        first = false;
                        out.append(text, keyStart, keyEnd).append(':');
                    }
                    if (keep && path.equals("httpcap.timing"))
                    {
                        value(child, false);
                        out.append("true");
                    }
                    else
                    {
                        value(child, keep);
                    }
                    skipSpace();
                    if (text.charAt(pos++) == '}')
                    {
                        break;
                    }
                }
            }
            if (emit)
            {
                out.append('}');
            }
        }

        /** Skips a JSON string at pos; @return its raw text between the quotes. */
        private String string()
        {
            final int start = ++pos;
            while (true)
            {
                final char c = text.charAt(pos);
                if (c == '\\')
                {
                    pos += 2;
                }
                else if (c == '"')
                {
                    pos++;
                    return text.substring(start, pos - 1);
                }
                else
                {
                    pos++;
                }
            }
        }

        private void skipSpace()
        {
            while (pos < text.length() && text.charAt(pos) <= ' ')
            {
                pos++;
            }
        }
    }
}
