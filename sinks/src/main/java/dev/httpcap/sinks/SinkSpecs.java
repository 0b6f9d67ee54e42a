package dev.httpcap.sinks;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.function.Consumer;

import dev.httpcap.common.WriteBehind;

/**
 * Turns the value of a {@code --sink} option into an open {@link EventSink}.
 * <ul>
 *     <li>{@code stdout}: human-readable lines ({@link EventFormat#TEXT}) on standard output.</li>
 *     <li>{@code stdout:json}: NDJSON on standard output.</li>
 *     <li>{@code file:PATH[?rotate-mb=N&keep=K&format=json|text&cache=drop|keep]}: NDJSON (unless
 *     {@code format=text}) appended to {@code PATH}; rotated when a file would exceed {@code N}
 *     MiB ({@code 0}, the default, never rotates), keeping {@code K} rotated files (default
 *     {@value FileSink#DEFAULT_KEEP}); with {@code cache=drop} written out as it grows and dropped
 *     from the page cache behind its end ({@link WriteBehind}), with {@code cache=keep} left to the
 *     kernel; the default is the caller's ({@code live}: drop).</li>
 *     <li>{@code kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?key=community_id|host|none&acks=all|1|0&
 *     compression=lz4|zstd|snappy|gzip|none&batch-kb=N&linger-ms=N&spill-dir=DIR&spill-max-mb=N&
 *     fsync-ms=N&delivery=exactly-once|at-least-once&close-seconds=N]}: one record per event (see {@link KafkaSink});
 *     the options override the defaults given to {@link #open(String, KafkaSinkConfig, Consumer)}.</li>
 * </ul>
 */
public final class SinkSpecs
{
    /** What {@link #open(String)} accepts, for usage messages. */
    public static final String ACCEPTED = "stdout, stdout:json, file:PATH[?rotate-mb=N&keep=K&format=json|text&cache=drop|keep] " +
        "or kafka://HOST:PORT[,HOST:PORT]/TOPIC[?key=...&acks=...]";

    private static final String KAFKA_PREFIX = "kafka://";
    private static final String KAFKA_OPTIONS = "key=community_id|host|none, acks=all|1|0, " +
        "compression=lz4|zstd|snappy|gzip|none, batch-kb=N, linger-ms=N, spill-dir=DIR, spill-max-mb=N, " +
        "fsync-ms=N, delivery=exactly-once|at-least-once, close-seconds=N";

    private static final String FILE_PREFIX = "file:";
    private static final String FILE_OPTIONS =
        "rotate-mb=N, keep=K (0.." + FileSink.MAX_KEEP + "), format=json|text or cache=drop|keep";
    private static final long MAX_ROTATE_MB = Long.MAX_VALUE >> 20;

    private SinkSpecs()
    {
    }

    /**
     * Open the sink a spec describes; for a file, the file is created and opened now.
     *
     * @param spec as given on the command line.
     * @return the open sink, named by {@code spec}.
     * @throws IllegalArgumentException with a one-line message if the spec is malformed, or if the
     *                                  file cannot be opened for writing (the {@link IOException}
     *                                  is the cause), so a command line needs only the one catch.
     */
    public static EventSink open(final String spec)
    {
        return open(spec, new KafkaSinkConfig(), line -> System.err.println("httpcap: " + line));
    }

    /**
     * Open the sink a spec describes, with the defaults of Kafka sinks given.
     *
     * @param spec          as given on the command line.
     * @param kafkaDefaults settings of {@code kafka://} sinks that their spec does not override; not changed.
     * @param notices       where a Kafka sink reports lost and recovered brokers, spill trouble and its summary.
     * @return the open sink, named by {@code spec}.
     * @throws IllegalArgumentException with a one-line message if the spec is malformed or the sink
     *                                  cannot be opened.
     */
    public static EventSink open(final String spec, final KafkaSinkConfig kafkaDefaults, final Consumer<String> notices)
    {
        return open(spec, kafkaDefaults, notices, false);
    }

    /**
     * Open the sink a spec describes, with the defaults of Kafka sinks given, and whether a
     * {@code file:} sink without a {@code cache=} option drops its file from the page cache behind
     * its end ({@link WriteBehind}: for a process that writes for days, such as {@code live}).
     *
     * @see #open(String, KafkaSinkConfig, Consumer)
     */
    public static EventSink open(
        final String spec, final KafkaSinkConfig kafkaDefaults, final Consumer<String> notices, final boolean dropFileCache)
    {
        if (null == spec || spec.isBlank())
        {
            throw new IllegalArgumentException("empty sink: expected " + ACCEPTED);
        }
        if ("stdout".equals(spec))
        {
            return new StdoutSink(EventFormat.TEXT);
        }
        if ("stdout:json".equals(spec))
        {
            return new StdoutSink(EventFormat.JSON);
        }
        if (spec.startsWith(FILE_PREFIX))
        {
            return openFile(spec, dropFileCache);
        }
        if (spec.startsWith(KAFKA_PREFIX))
        {
            final KafkaSinkConfig config = kafkaConfig(spec, kafkaDefaults);
            try
            {
                return new KafkaSink(config, spec, notices);
            }
            catch (final IOException ex)
            {
                throw new IllegalArgumentException(
                    "cannot open sink '" + spec + "': spill " + BatchingChannelSink.describe(ex), ex);
            }
        }
        throw new IllegalArgumentException("unknown sink '" + spec + "': expected " + ACCEPTED);
    }

    /**
     * Check a spec's grammar as {@link #open(String, KafkaSinkConfig, Consumer)} does, without
     * opening anything (no file created, no broker contacted): for {@code httpcap config check}.
     *
     * @throws IllegalArgumentException with the same one-line message {@code open} would give.
     */
    public static void check(final String spec, final KafkaSinkConfig kafkaDefaults)
    {
        if (null == spec || spec.isBlank())
        {
            throw new IllegalArgumentException("empty sink: expected " + ACCEPTED);
        }
        if ("stdout".equals(spec) || "stdout:json".equals(spec))
        {
            return;
        }
        if (spec.startsWith(FILE_PREFIX))
        {
            parseFile(spec, false);
            return;
        }
        if (spec.startsWith(KAFKA_PREFIX))
        {
            kafkaConfig(spec, kafkaDefaults);
            return;
        }
        throw new IllegalArgumentException("unknown sink '" + spec + "': expected " + ACCEPTED);
    }

    /**
     * @return the file a {@code file:} spec writes to, or null for another kind of sink.
     * @throws IllegalArgumentException for a malformed {@code file:} spec.
     */
    public static Path filePath(final String spec)
    {
        return spec.startsWith(FILE_PREFIX) ? parseFile(spec, false).path() : null;
    }

    private record FileSpec(Path path, EventFormat format, long rotateMb, int keep, boolean dropCache)
    {
    }

    private static EventSink openFile(final String spec, final boolean dropCacheByDefault)
    {
        final FileSpec file = parseFile(spec, dropCacheByDefault);
        try
        {
            return new FileSink(
                file.path(), file.format(), file.rotateMb() << 20, file.keep(), BatchingChannelSink.DEFAULT_BATCH_CAPACITY, spec,
                file.dropCache());
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(
                "cannot open sink '" + spec + "': " + BatchingChannelSink.describe(ex), ex);
        }
    }

    private static FileSpec parseFile(final String spec, final boolean dropCacheByDefault)
    {
        final int queryStart = spec.indexOf('?');
        final String pathText = spec.substring(FILE_PREFIX.length(), -1 == queryStart ? spec.length() : queryStart);
        if (pathText.isEmpty())
        {
            throw new IllegalArgumentException("sink '" + spec + "' has no path: expected " + ACCEPTED);
        }

        long rotateMb = 0;
        int keep = FileSink.DEFAULT_KEEP;
        EventFormat format = EventFormat.JSON;
        boolean seenRotate = false;
        boolean seenKeep = false;
        boolean seenFormat = false;
        boolean dropCache = dropCacheByDefault;
        boolean seenCache = false;

        if (-1 != queryStart)
        {
            for (final String option : spec.substring(queryStart + 1).split("&", -1))
            {
                final int eq = option.indexOf('=');
                final String key = -1 == eq ? option : option.substring(0, eq);
                final String value = -1 == eq ? "" : option.substring(eq + 1);
                if (-1 == eq || value.isEmpty())
                {
                    throw badOption(spec, "option '" + option + "' has no value");
                }
                switch (key)
                {
                    case "rotate-mb" ->
                    {
                        seenRotate = checkOnce(spec, key, seenRotate);
                        rotateMb = parseNumber(spec, key, value, MAX_ROTATE_MB);
                    }
                    case "keep" ->
                    {
                        seenKeep = checkOnce(spec, key, seenKeep);
                        keep = (int)parseNumber(spec, key, value, FileSink.MAX_KEEP);
                    }
                    case "format" ->
                    {
                        seenFormat = checkOnce(spec, key, seenFormat);
                        format = switch (value)
                        {
                            case "json" -> EventFormat.JSON;
                            case "text" -> EventFormat.TEXT;
                            default -> throw badOption(spec, "format '" + value + "' is not json or text");
                        };
                    }
                    case "cache" ->
                    {
                        seenCache = checkOnce(spec, key, seenCache);
                        dropCache = switch (value)
                        {
                            case "drop" -> true;
                            case "keep" -> false;
                            default -> throw badOption(spec, "cache '" + value + "' is not drop or keep");
                        };
                    }
                    default -> throw badOption(spec, "unknown option '" + key + "'");
                }
            }
        }

        final Path path;
        try
        {
            path = Path.of(pathText);
        }
        catch (final InvalidPathException ex)
        {
            throw new IllegalArgumentException(
                "sink '" + spec + "' has an invalid path (" + ex.getReason() + "): expected " + ACCEPTED, ex);
        }

        return new FileSpec(path, format, rotateMb, keep, dropCache);
    }

    /**
     * The settings of a {@code kafka://} spec over {@code defaults}.
     *
     * @throws IllegalArgumentException with a one-line message if the spec is malformed.
     */
    public static KafkaSinkConfig kafkaConfig(final String spec, final KafkaSinkConfig defaults)
    {
        final int queryStart = spec.indexOf('?');
        final String target = spec.substring(KAFKA_PREFIX.length(), -1 == queryStart ? spec.length() : queryStart);
        final int slash = target.indexOf('/');
        if (slash <= 0 || slash == target.length() - 1)
        {
            throw badKafka(spec, "expected kafka://HOST:PORT[,HOST:PORT]/TOPIC");
        }
        final String servers = target.substring(0, slash);
        final String topic = target.substring(slash + 1);
        for (final String server : servers.split(",", -1))
        {
            final int colon = server.lastIndexOf(':');
            final String host = colon < 0 ? "" : server.substring(0, colon);
            final String port = colon < 0 ? "" : server.substring(colon + 1);
            if (host.isEmpty() || port.isEmpty() || !port.chars().allMatch(Character::isDigit) ||
                port.length() > 5 || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65_535)
            {
                throw badKafka(spec, "broker '" + server + "' is not HOST:PORT");
            }
        }
        if (topic.length() > 249 || !topic.chars().allMatch(c ->
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
        {
            throw badKafka(spec, "topic '" + topic + "' is not a legal Kafka topic name (letters, digits, . _ -)");
        }

        final KafkaSinkConfig config = defaults.copy().bootstrapServers(servers).topic(topic);
        if (-1 != queryStart)
        {
            final java.util.Set<String> seen = new java.util.HashSet<>();
            for (final String option : spec.substring(queryStart + 1).split("&", -1))
            {
                final int eq = option.indexOf('=');
                final String key = -1 == eq ? option : option.substring(0, eq);
                final String value = -1 == eq ? "" : option.substring(eq + 1);
                if (-1 == eq || value.isEmpty())
                {
                    throw badKafka(spec, "option '" + option + "' has no value");
                }
                if (!seen.add(key))
                {
                    throw badKafka(spec, "option '" + key + "' given twice");
                }
                try
                {
                    switch (key)
                    {
                        case "key" -> config.key(KafkaKey.parse(value));
                        case "acks" -> config.acks(value);
                        case "compression" -> config.compression(value);
                        case "batch-kb" -> config.batchBytes((int)parseKafkaNumber(spec, key, value, 1, 1 << 20) * 1024);
                        case "linger-ms" -> config.lingerMs((int)parseKafkaNumber(spec, key, value, 0, 60_000));
                        case "spill-dir" -> config.spillDir(Path.of(value));
                        case "spill-max-mb" -> config.spillMaxBytes(parseKafkaNumber(spec, key, value, 1, MAX_ROTATE_MB) << 20);
                        case "unready-spill-mb" ->
                            config.unreadySpillBytes(parseKafkaNumber(spec, key, value, 0, MAX_ROTATE_MB) << 20);
                        case "delivery" -> config.delivery(KafkaSinkConfig.Delivery.parse(value));
                        case "fsync-ms" -> config.fsyncMs(parseKafkaNumber(spec, key, value, 0, 3_600_000));
                        case "close-seconds" -> config.closeTimeoutMs(parseKafkaNumber(spec, key, value, 0, 86_400) * 1000);
                        default -> throw badKafka(spec, "unknown option '" + key + "'");
                    }
                }
                catch (final InvalidPathException ex)
                {
                    throw badKafka(spec, "spill-dir '" + value + "' is not a valid path");
                }
                catch (final IllegalArgumentException ex)
                {
                    if (ex.getMessage() != null && ex.getMessage().startsWith("bad sink"))
                    {
                        throw ex;
                    }
                    throw badKafka(spec, ex.getMessage());
                }
            }
        }
        return config;
    }

    private static long parseKafkaNumber(final String spec, final String key, final String value, final long min, final long max)
    {
        final long number;
        try
        {
            number = Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw badKafka(spec, key + " '" + value + "' is not a whole number");
        }
        if (number < min || number > max)
        {
            throw badKafka(spec, key + " " + value + " is out of range " + min + ".." + max);
        }
        return number;
    }

    private static IllegalArgumentException badKafka(final String spec, final String problem)
    {
        return new IllegalArgumentException(
            "bad sink '" + spec + "': " + problem + "; kafka options are " + KAFKA_OPTIONS);
    }

    private static boolean checkOnce(final String spec, final String key, final boolean seen)
    {
        if (seen)
        {
            throw badOption(spec, "option '" + key + "' given twice");
        }
        return true;
    }

    private static long parseNumber(final String spec, final String key, final String value, final long max)
    {
        final long number;
        try
        {
            number = Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw badOption(spec, key + " '" + value + "' is not a whole number");
        }
        if (number < 0 || number > max)
        {
            throw badOption(spec, key + " " + value + " is out of range 0.." + max);
        }
        return number;
    }

    private static IllegalArgumentException badOption(final String spec, final String problem)
    {
        return new IllegalArgumentException(
            "bad sink '" + spec + "': " + problem + "; file options are " + FILE_OPTIONS);
    }
}
