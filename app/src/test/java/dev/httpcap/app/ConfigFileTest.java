package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.ConfigFile;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.app.cli.UsageException;

/** {@code --config FILE.yaml} and {@code httpcap config check}: keys, precedence, and every error's message. */
class ConfigFileTest
{
    @TempDir
    Path dir;

    private final CommandSpec main = Main.spec();
    private final CommandSpec live = main.subcommand("live");
    private final CommandSpec read = main.subcommand("read");

    private Path yaml(final String text) throws IOException
    {
        final Path file = Files.createTempFile(dir, "httpcap", ".yaml");
        Files.writeString(file, text);
        return file;
    }

    private ParsedArgs load(final CommandSpec command, final String text) throws IOException, UsageException
    {
        return ConfigFile.read(yaml(text), command, main.subcommands());
    }

    /** The message of the error reading {@code text}, with the file's name replaced by {@code FILE}. */
    private String error(final CommandSpec command, final String text) throws IOException
    {
        final Path file = yaml(text);
        final UsageException ex = assertThrows(UsageException.class, () -> ConfigFile.read(file, command, main.subcommands()));
        return ex.getMessage().replace(file.toString(), "FILE");
    }

    /** The command line {@code args} (for live) with {@code --config} of {@code text}, as Main merges them. */
    private ParsedArgs merged(final String text, final String... args) throws IOException, UsageException
    {
        final List<String> line = new ArrayList<>(List.of(args));
        line.add("--config=" + yaml(text));
        final ParsedArgs parsed = live.parseOptions(line.toArray(String[]::new), 0);
        parsed.addDefaults(ConfigFile.read(Path.of(parsed.string(ConfigFile.OPTION, null)), live, main.subcommands()));
        live.checkComplete(parsed);
        return parsed;
    }

    @Test
    void shouldLetTheCommandLineOverrideTheFile() throws Exception
    {
        final String file = """
            interface: eth0
            workers: 4
            sink: [stdout:json, "file:/var/lib/httpcap/a.ndjson"]
            http-ports: [80, 8080]
            promisc: false
            stats-interval: 60
            stats-sink: kafka://broker-1:9092/httpcap-stats
            stats-sink-interval: 5
            """;
        final LiveCommand fromFile = new LiveCommand(merged(file));
        assertEquals("kafka://broker-1:9092/httpcap-stats", fromFile.statsSink);
        assertEquals(5, fromFile.statsSinkIntervalSeconds);
        assertEquals("eth0", fromFile.interfaceName);
        assertEquals(4, fromFile.options.workers);
        assertEquals(List.of("stdout:json", "file:/var/lib/httpcap/a.ndjson"), fromFile.options.sinkSpecs);
        assertEquals(List.of(80, 8080), java.util.Arrays.stream(fromFile.options.httpPorts).boxed().toList());
        assertFalse(fromFile.promiscuous);
        assertEquals(60, fromFile.statsIntervalSeconds);

        final LiveCommand overridden = new LiveCommand(merged(file, "-i", "lo", "--workers", "2", "--sink", "stdout",
            "--http-ports", "81", "--promisc"));
        assertEquals("lo", overridden.interfaceName);
        assertEquals(2, overridden.options.workers);
        // A repeatable option on the command line replaces the file's list; it does not add to it.
        assertEquals(List.of("stdout"), overridden.options.sinkSpecs);
        assertEquals(List.of(81), java.util.Arrays.stream(overridden.options.httpPorts).boxed().toList());
        assertTrue(overridden.promiscuous);
        assertEquals(60, overridden.statsIntervalSeconds, "what the command line does not give still comes from the file");
    }

    @Test
    void shouldTakeARequiredOptionFromTheFile() throws Exception
    {
        assertEquals("eth1", new LiveCommand(merged("interface: eth1\n")).interfaceName);
        final UsageException missing = assertThrows(UsageException.class, () -> merged("workers: 2\n"));
        assertTrue(missing.getMessage().startsWith("Missing required option '--interface=IF'"), missing.getMessage());
    }

    /** A value of the option's type that the command line accepts, for the every-key test. */
    private static List<String> sample(final Option option)
    {
        return switch (option.type())
        {
            case FLAG, NEGATABLE -> List.of("false");
            case INT, LONG -> List.of("7");
            case DOUBLE -> List.of("2.5");
            case CHOICE -> List.of(option.choices()[option.choices().length - 1]);
            case INT_LIST -> List.of("81", "82");
            case STRING -> option.isRepeatable() ? List.of("a=1", "b=2") : List.of("some text");
        };
    }

    @Test
    void shouldGiveEveryOptionOfEveryCommandAKeyWithTheSameMeaning() throws Exception
    {
        for (final CommandSpec command : List.of(live, read))
        {
            int checked = 0;
            for (final Option option : command.options())
            {
                if (option == CommandSpec.HELP || option == CommandSpec.VERSION || option == ConfigFile.OPTION)
                {
                    continue;
                }
                final String key = option.longName().substring(2);
                assertTrue(ConfigFile.keys(command).contains(key), key);
                final List<String> values = sample(option);
                final List<String> line = new ArrayList<>();
                final StringBuilder file = new StringBuilder(key).append(": ");
                if (option.takesValue())
                {
                    for (final String value : values)
                    {
                        line.add(option.longName() + "=" + value);
                    }
                    file.append(option.isRepeatable() ? "[\"" + String.join("\", \"", values) + "\"]" : "\"" + values.getFirst() + "\"");
                }
                else
                {
                    line.add(option.longName() + "=false");
                    file.append("false");
                }
                final ParsedArgs fromLine = command.parseOptions(line.toArray(String[]::new), 0);
                final ParsedArgs fromFile = load(command, file + "\n");
                assertEquals(fromLine.strings(option), fromFile.strings(option), file::toString);
                assertTrue(fromFile.origin(option).endsWith(":1, key '" + key + "'"), fromFile.origin(option));
                checked++;
            }
            assertEquals(command.options().size() - 3, checked, command.qualifiedName());
        }
        // The other spellings: no-NAME of a negatable pair, numbers unquoted, a comma list, grouped keys.
        final ParsedArgs other = load(live, """
            no-promisc: true
            workers: 3
            http-ports: 80, 8080
            kafka:
              acks: "1"
              batch-kb: 64
              prop:
                - security.protocol=SSL
            write:
              rotate-mb: 10
            """);
        assertEquals("false", other.string(LiveCommand.PROMISC, null));
        assertEquals(3, other.intValue(PipelineOptions.WORKERS, 0));
        assertEquals(List.of("80", "8080"), other.strings(PipelineOptions.HTTP_PORTS));
        assertEquals("1", other.string(PipelineOptions.KAFKA_ACKS, null));
        assertEquals(64, other.intValue(PipelineOptions.KAFKA_BATCH_KB, 0));
        assertEquals(List.of("security.protocol=SSL"), other.strings(PipelineOptions.KAFKA_PROP));
        assertEquals(10, other.longValue(LiveCommand.WRITE_ROTATE_MB, 0));
        assertFalse(load(live, "# only a comment\n").isSet(PipelineOptions.WORKERS), "an empty file sets nothing");
    }

    @Test
    void shouldLoadTheExampleFileWithoutAnError() throws Exception
    {
        final Path example = Path.of(System.getProperty("httpcap.root", ".."), "packaging/httpcap.yaml");
        final ParsedArgs options = ConfigFile.read(example, live, main.subcommands());
        assertEquals("eth0", options.string(LiveCommand.INTERFACE, null));
        new LiveCommand(options).validate();
    }

    @Test
    void shouldNameTheKeyItsLineAndTheOptionMeantWhenAKeyIsUnknown() throws Exception
    {
        assertEquals("FILE:2: key 'wokers' is not an option of httpcap live (did you mean 'workers'?)",
            error(live, "interface: lo\nwokers: 2\n"));
        assertEquals("FILE:3: key 'kafka.ackz' is not an option of httpcap live (did you mean 'kafka-acks'?)",
            error(live, "kafka:\n  batch-kb: 64\n  ackz: all\n"));
        assertEquals("FILE:1: key 'bogus' is not an option of httpcap live", error(live, "bogus: 1\n"));
        assertEquals("FILE:1: key 'progress' is not an option of httpcap live (it is one of httpcap read)",
            error(live, "progress: never\n"));
        assertEquals("FILE:1: key 'interface' is not an option of httpcap read (it is one of httpcap live)",
            error(read, "interface: eth0\n"));
        assertEquals("FILE:1: key 'config': a configuration file cannot name another", error(live, "config: other.yaml\n"));
        assertEquals("FILE:1: key 'help' is not an option of httpcap live", error(live, "help: true\n"));
        assertEquals("FILE:2: key 'no-promisc' sets --promisc, which is already set above",
            error(live, "promisc: true\nno-promisc: true\n"));
        assertEquals("FILE:1: key 'kafka' is not an option of httpcap live", error(live, "kafka: all\n"));
    }

    @Test
    void shouldNameTheKeyAndWhatItTakesWhenAValueIsBad() throws Exception
    {
        assertEquals("FILE:1: key 'workers': 'four' is not a whole number", error(live, "workers: four\n"));
        assertEquals("FILE:1: key 'workers': '99999999999' is out of range (-2147483648..2147483647)",
            error(live, "workers: 99999999999\n"));
        assertEquals("FILE:1: key 'count': '1.5' is not a whole number (64-bit)", error(live, "count: 1.5\n"));
        assertEquals("FILE:1: key 'duration': 'soon' is not a number", error(live, "duration: soon\n"));
        assertEquals("FILE:1: key 'back-pressure': expected block or drop (in any case) but was 'wait'",
            error(live, "back-pressure: wait\n"));
        assertEquals("FILE:1: key 'progress': expected auto, always or never (in any case) but was 'sometimes'",
            error(read, "progress: sometimes\n"));
        assertEquals("FILE:1: key 'flows': 'yes' is not a boolean (true or false)", error(live, "flows: yes\n"));
        assertEquals("FILE:1: key 'workers' has no value (expected a whole number)", error(live, "workers:\n"));
        assertEquals("FILE:1: key 'workers' takes one value (a whole number), not a list", error(live, "workers: [1, 2]\n"));
        assertEquals("FILE:1: key 'filter' takes EXPR, not a mapping", error(live, "filter: {tcp: 80}\n"));
        assertEquals("FILE:3: key 'http-ports[1]': 'http' is not a whole number", error(live, "http-ports:\n  - 80\n  - http\n"));
        assertEquals("FILE:3: key 'sink[1]' must be SPEC, not a list", error(live, "sink:\n  - stdout\n  - [a, b]\n"));
        assertEquals("FILE:1: the file must be a mapping of option names to values (workers: 4), not a list",
            error(live, "- workers\n"));
        assertTrue(error(live, "workers: 4\n  bad indent: [\n").startsWith("FILE:"), "malformed YAML names where");
        assertTrue(error(live, "workers: 4\n  bad indent: [\n").contains("not valid YAML"));
        final Path missing = dir.resolve("missing.yaml");
        assertEquals("cannot read configuration file " + missing + ": no such file",
            assertThrows(UsageException.class, () -> ConfigFile.read(missing, live, List.of())).getMessage());
    }

    private record Run(int exitCode, String out, String err)
    {
    }

    private static Run run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exitCode = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldCheckAFileWithTheCommandsOwnChecksWithoutCapturing() throws Exception
    {
        final Path good = yaml("interface: nosuch0\nworkers: 2\nfilter: tcp port 80\n");
        final Run ok = run("config", "check", good.toString());
        assertEquals(0, ok.exitCode(), ok::toString);
        assertEquals(good + ": valid for httpcap live (3 options set)\n", ok.out());

        final Run forRead = run("config", "check", "--for", "read", yaml("progress: never\n").toString());
        assertEquals(0, forRead.exitCode(), forRead::toString);

        final Path range = yaml("interface: lo\nduration: -1\n");
        final Run bad = run("config", "check", range.toString());
        assertEquals(2, bad.exitCode());
        assertEquals("httpcap: --duration must be a number of seconds >= 0 (0: until stopped): -1 (" + range +
            ":2, key 'duration')\nTry 'httpcap live --help' for more information.\n", bad.err());

        final Path filter = yaml("filter: tcp port\ninterface: lo\n");
        final Run badFilter = run("config", "check", filter.toString());
        assertEquals(2, badFilter.exitCode(), badFilter::toString);
        assertTrue(badFilter.err().startsWith("httpcap: --filter: bad filter 'tcp port'"), badFilter.err());
        assertTrue(badFilter.err().contains(filter + ":1, key 'filter'"), badFilter.err());

        final Path sink = yaml("interface: lo\nsink:\n  - stdout\n  - file:/var/lib/x?keep=lots\n");
        final Run badSink = run("config", "check", sink.toString());
        assertEquals(2, badSink.exitCode(), badSink::toString);
        assertTrue(badSink.err().startsWith("httpcap: --sink: bad sink 'file:/var/lib/x?keep=lots': keep 'lots' is not a whole number"),
            badSink.err());
        assertTrue(badSink.err().contains("(" + sink + ":2, key 'sink')"), badSink.err());
        assertFalse(Files.exists(Path.of("/var/lib/x")), "nothing opened");

        final Run unknown = run("config", "check", yaml("interface: lo\nwokers: 2\n").toString());
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("did you mean 'workers'?"), unknown.err());

        final Path noInterface = yaml("workers: 2\n");
        final Run missing = run("config", "check", noInterface.toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().startsWith("httpcap: " + noInterface + ": key 'interface' is missing (httpcap live needs " +
            "--interface: interface to capture on"), missing.err());

        assertEquals(2, run("config").exitCode(), "no action is a usage error");
        assertEquals(2, run("config", "verify", good.toString()).exitCode());
    }

    /** The pipeline's and the decoder's bounds name their option (and so the file's line), in the option's own unit. */
    @Test
    void shouldNameTheOptionAndWhereItCameFromWhenAPipelineBoundIsBad() throws Exception
    {
        final Path workers = yaml("progress: never\nworkers: 0\n");
        final Run badWorkers = run("config", "check", "--for", "read", workers.toString());
        assertEquals(2, badWorkers.exitCode(), badWorkers::toString);
        assertEquals("httpcap: --workers must be between 1 and 256: 0 (" + workers + ":2, key 'workers')\n" +
            "Try 'httpcap read --help' for more information.\n", badWorkers.err());

        final Path lines = yaml("interface: lo\nmax-line-bytes: 10\n");
        final Run badLines = run("config", "check", lines.toString());
        assertEquals(2, badLines.exitCode(), badLines::toString);
        assertTrue(badLines.err().startsWith("httpcap: --max-line-bytes: max line bytes must be between 64 and"), badLines.err());
        assertTrue(badLines.err().contains("(" + lines + ":2, key 'max-line-bytes')"), badLines.err());

        // Checked in KiB and seconds, as given, not in the bytes and nanoseconds they become.
        final String[][] cases = {
            {"--event-buffer-kb", "1", "--event-buffer-kb must be a power of two from 64 to 1048576: 1"},
            {"--event-buffer-kb", "4194304", "--event-buffer-kb must be a power of two from 64 to 1048576: 4194304"},
            {"--reassembly-window-kb", "0", "--reassembly-window-kb must be a power of two from 1 to 1048576: 0"},
            {"--reassembly-window-kb", "16384", "--reassembly-windows must be at least 1, and times --reassembly-window-kb " +
                "under 2 GiB: 256"},
            {"--flow-timeout", "-1", "--flow-timeout must be a number of seconds >= 1: -1"},
            {"--max-flows", "0", "--max-flows must be 1 to 16777216: 0"},
            {"--line-buffer-mb", "0", "--line-buffer-mb must be at least 1: 0"},
            {"--http-ports", "0", "--http-ports: port must be between 1 and 65535: 0"},
        };
        for (final String[] c : cases)
        {
            final Path file = yaml(c[0].substring(2) + ": " + c[1] + "\n");
            final Run bad = run("config", "check", "--for", "read", file.toString());
            assertEquals(2, bad.exitCode(), bad::toString);
            assertTrue(bad.err().startsWith("httpcap: " + c[2] + (c[2].startsWith(c[0]) ? " (" + file + ":1, key '" : "")),
                bad.err());
        }
    }
}
