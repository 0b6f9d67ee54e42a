package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.Option;

/** httpcap's command line through {@link Main#execute}: help, version, usage errors and their exit codes. */
class MainTest
{
    private record Run(int exitCode, String out, String err)
    {
    }

    private static Run run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exitCode;
        try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
            PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8))
        {
            exitCode = Main.execute(outStream, errStream, args);
        }
        return new Run(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertUsageError(final String command, final String message, final String... args)
    {
        final Run run = run(args);
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("httpcap: " + message + "\nTry '" + command + " --help' for more information.\n", run.err());
        assertEquals("", run.out());
    }

    @Test
    void shouldListEveryOptionOfEveryCommandWhenAskedForHelp()
    {
        final CommandSpec main = Main.spec();
        for (final String name : List.of("read", "live", "interfaces", "stats", "follow"))
        {
            for (final List<String> line : List.of(List.of(name, "--help"), List.of(name, "-h"), List.of("help", name)))
            {
                final Run run = run(line.toArray(String[]::new));
                assertEquals(0, run.exitCode(), run::toString);
                assertEquals("", run.err());
                assertTrue(run.out().startsWith("Usage: httpcap " + name + " [-hV]"), run.out());
                for (final Option option : main.subcommand(name).options())
                {
                    final String shown = option.negatedName() != null ? "--[no-]" + option.longName().substring(2) :
                        option.longName() + (option.label() != null ? "=" + option.label() : "");
                    final String column = "  " + (option.shortName() != null ? option.shortName() + ", " : "    ") + shown;
                    assertTrue(run.out().contains(column + " ") || run.out().contains(column + "\n"),
                        () -> shown + " missing from\n" + run.out());
                    final String[] words = option.description().split(" ");
                    assertTrue(run.out().contains(words[0] + " " + (words.length > 1 ? words[1] : "")),
                        () -> option + "'s description missing from\n" + run.out());
                }
                for (final String helpLine : run.out().split("\n"))
                {
                    assertTrue(helpLine.length() <= 80, () -> "longer than 80 columns: " + helpLine);
                }
            }
        }
        final int pipeline = PipelineOptions.OPTIONS.size();
        assertEquals(pipeline + 5, main.subcommand("read").options().size(), "pipeline options, --progress, --write, --config, -h, -V");
        assertEquals(pipeline + 23, main.subcommand("live").options().size(), "20 live options, pipeline options, --config, -h, -V");
    }

    @Test
    void shouldShowDefaultsInHelp()
    {
        final String help = run("read", "--help").out();
        assertTrue(help.contains("default " + PipelineOptions.DEFAULT_WORKERS + "\n"), help);
        assertTrue(help.contains("default 100000"), help);
        assertTrue(help.contains("default httpcap-spill"), help);
        final String live = run("live", "--help").out();
        assertTrue(live.contains("  -i, --interface=IF "), live);
        assertTrue(live.contains("      --[no-]promisc "), live);
        assertTrue(live.contains("default 262144"), live);
        assertTrue(live.contains("(0: never); default 10\n"), live);
    }

    @Test
    void shouldListCommandsWhenAskedForMainHelp()
    {
        for (final String[] line : new String[][] {{"--help"}, {"-h"}, {"help"}})
        {
            final Run run = run(line);
            assertEquals(0, run.exitCode());
            assertTrue(run.out().startsWith("Usage: httpcap [-hV] [COMMAND]\n" + "Decodes HTTP traffic"), run.out());
            for (final String command : List.of("read", "live", "interfaces", "help"))
            {
                assertTrue(run.out().contains("\n  " + command + " "), () -> command + " missing from\n" + run.out());
            }
        }
        final Run none = run();
        assertEquals(2, none.exitCode(), "no command is a usage error");
        assertTrue(none.err().startsWith("Usage: httpcap [-hV] [COMMAND]"), none.err());
        assertTrue(run("help", "help").out().startsWith("Usage: httpcap help [-h] [OPTIONS] [COMMAND]"));
    }

    @Test
    void shouldPrintVersionForEveryCommand()
    {
        for (final String[] line : new String[][] {{"--version"}, {"-V"}, {"read", "--version"}, {"live", "-V"},
            {"interfaces", "--version"}})
        {
            final Run run = run(line);
            assertEquals(0, run.exitCode());
            // Built from a git checkout: the version of the pom and the commit, as the build wrote them.
            assertTrue(run.out().matches("httpcap \\d+\\.\\d+\\.\\d+\\S* \\(commit [0-9a-f]{12}(-dirty)?, Java .+\\)\n"),
                run.out());
        }
    }

    @Test
    void shouldExitTwoWithMessageAndHelpPointerWhenCommandLineIsWrong()
    {
        assertUsageError("httpcap read", "Missing required parameter 'FILE': pcap or pcapng file, or '-' for standard input",
            "read");
        assertUsageError("httpcap read", "Unknown option: '--bogus'", "read", "x.pcap", "--bogus");
        assertUsageError("httpcap read", "Missing value for option '--workers' (N)", "read", "x.pcap", "--workers");
        assertUsageError("httpcap read", "Invalid value for option '--workers' (N): 'abc' is not a whole number",
            "read", "x.pcap", "--workers", "abc");
        assertUsageError("httpcap read", "Invalid value for option '--back-pressure' (POLICY): expected block or drop " +
            "(in any case) but was 'sideways'", "read", "x.pcap", "--back-pressure", "sideways");
        assertUsageError("httpcap live", "Missing required option '--interface=IF': interface to capture on (see 'ip link')",
            "live");
        assertUsageError("httpcap live", "Invalid value for option '--promisc': 'maybe' is not a boolean (true or false)",
            "live", "-i", "lo", "--promisc=maybe");
        assertUsageError("httpcap live", "Invalid value for option '--count' (N): 'x' is not a whole number (64-bit)",
            "live", "-i", "lo", "-cx");
        assertUsageError("httpcap interfaces", "Unexpected argument: 'extra' ('httpcap interfaces' takes no parameters)",
            "interfaces", "extra");
        assertUsageError("httpcap", "Unknown command: 'nosuch' (expected read, live, interfaces, stats, follow, config, schema or help)", "nosuch");
        assertUsageError("httpcap", "Unknown command: 'nosuch' (expected read, live, interfaces, stats, follow, config, schema or help)", "help", "nosuch");
        assertUsageError("httpcap", "Unknown option: '--bogus'", "--bogus");
    }

    @Test
    void shouldExitTwoFromCommandCheckWhenValueIsOutOfRange()
    {
        // The command's own message goes to System.err (checked end to end by the command-line cases).
        final Run run = run("read", "samples/does-not-matter.pcap", "--workers", "0", "--sink", "stdout");
        assertEquals(2, run.exitCode(), run::toString);
        final Run event = run("read", "samples/does-not-matter.pcap", "--max-event-kb", "1", "--sink", "stdout");
        assertEquals(2, event.exitCode(), event::toString);
        // Not a heap exhausted by a flow table sized for two billion connections.
        final Run flows = run("read", "samples/does-not-matter.pcap", "--max-flows", "2000000000", "--sink", "stdout");
        assertEquals(2, flows.exitCode(), flows::toString);
        // Two sinks on one file would write every event into it twice.
        // (A real capture: without the check this run would succeed.)
        final Run twice = run("read", "samples/demo.pcap", "--sink", "file:target/twice.ndjson",
            "--sink", "file:./target/../target/twice.ndjson?format=text");
        assertEquals(2, twice.exitCode(), twice::toString);
    }

    @Test
    void shouldApplyEveryPipelineOptionWhenGiven() throws Exception
    {
        final CommandSpec read = Main.spec().subcommand("read");
        final PipelineOptions options = new ReadCommand(read.parse(new String[] {
            "x.pcap", "--sink", "stdout:json", "--sink=file:/tmp/a", "--workers", "3", "--filter", "tcp port 80",
            "--back-pressure", "drop", "--max-flows", "11", "--flow-timeout", "12", "--ring-slots", "128", "--slot-bytes", "4096",
            "--event-buffer-kb", "256", "--reassembly-window-kb", "64", "--reassembly-windows", "8", "--flows", "--no-http",
            "--headers", "all", "--no-redact", "--body-bytes", "16", "--decode-body", "--body-encoding", "BASE64",
            "--http-ports", "81,82", "--no-http-detect", "--max-line-bytes", "100", "--max-header-bytes", "200",
            "--max-headers", "5", "--ws-payload-bytes", "7", "--max-event-kb", "64",
            "--kafka-key", "host", "--kafka-acks", "1", "--kafka-compression", "zstd", "--kafka-batch-kb", "32",
            "--kafka-linger-ms", "9", "--kafka-prop", "a=b", "--kafka-prop", "c=d", "--spill-dir", "/tmp/spill",
            "--spill-max-mb", "5", "--kafka-close-seconds", "2", "--progress", "never"}, 0)).options;
        assertEquals(List.of("stdout:json", "file:/tmp/a"), options.sinkSpecs);
        assertEquals(3, options.workers);
        assertEquals("tcp port 80", options.filter);
        assertEquals(dev.httpcap.pipeline.BackPressure.DROP, options.backPressure);
        assertEquals(11, options.maxFlows);
        assertEquals(12, options.flowTimeoutSeconds);
        assertEquals(128, options.ringSlots);
        assertEquals(4096, options.slotBytes);
        assertEquals(256, options.eventBufferKb);
        assertEquals(64, options.reassemblyWindowKb);
        assertEquals(8, options.reassemblyWindows);
        assertTrue(options.flows && options.noHttp && options.noRedact && options.decodeBody && options.noHttpDetect);
        assertEquals("all", options.headers);
        assertEquals(16, options.bodyBytes);
        assertEquals(List.of(81, 82), java.util.Arrays.stream(options.httpPorts).boxed().toList());
        assertEquals(100, options.maxLineBytes);
        assertEquals(200, options.maxHeaderBytes);
        assertEquals(5, options.maxHeaders);
        assertEquals(7, options.wsPayloadBytes);
        assertEquals(dev.httpcap.decoders.http.HttpConfig.BodyEncoding.BASE64, options.bodyEncoding);
        assertEquals(64, options.maxEventKb);
        assertEquals(64 * 1024, options.config(dev.httpcap.pipeline.BackPressure.BLOCK).maxEventBytes());
        assertEquals("host", options.kafkaKey);
        assertEquals("1", options.kafkaAcks);
        assertEquals("zstd", options.kafkaCompression);
        assertEquals(32, options.kafkaBatchKb);
        assertEquals(9, options.kafkaLingerMs);
        assertEquals(List.of("a=b", "c=d"), options.kafkaProps);
        assertEquals(java.nio.file.Path.of("/tmp/spill"), options.spillDir);
        assertEquals(5, options.spillMaxMb);
        assertEquals(2, options.kafkaCloseSeconds);

        final PipelineOptions defaults = new ReadCommand(read.parse(new String[] {"x.pcap"}, 0)).options;
        final PipelineOptions fresh = new PipelineOptions();
        assertEquals(fresh.workers, defaults.workers);
        assertEquals(fresh.maxFlows, defaults.maxFlows);
        assertEquals(null, defaults.httpPorts);
        assertEquals(null, defaults.backPressure);
        assertEquals(dev.httpcap.decoders.http.HttpConfig.BodyEncoding.AUTO, defaults.bodyEncoding);
        assertEquals(1000, defaults.maxEventKb);
        assertTrue(defaults.sinkSpecs.isEmpty());
    }

    @Test
    void shouldApplyEveryLiveOptionWhenGiven() throws Exception
    {
        final CommandSpec live = Main.spec().subcommand("live");
        final LiveCommand command = new LiveCommand(live.parse(new String[] {
            "-i", "eth1", "--engine", "pcap", "--duration", "1.5", "-c", "100", "-s", "96", "--no-promisc",
            "--buffer-mb", "8", "--block-kb", "256", "--retire-ms", "5", "--no-zero-copy", "--fanout", "2", "--cpus", "capture=0",
            "-Z", "nobody", "--stats-interval", "0", "-w", "/tmp/x.pcap", "--write-rotate-mb", "10", "--workers", "2"}, 0));
        assertEquals("eth1", command.interfaceName);
        assertEquals("pcap", command.engine);
        assertEquals(1.5, command.durationSeconds);
        assertEquals(100, command.count);
        assertEquals(96, command.snaplen);
        assertEquals(false, command.promiscuous);
        assertEquals(8, command.bufferMb);
        assertEquals(256, command.blockKb);
        assertEquals(5, command.retireMillis);
        assertEquals(false, command.zeroCopy);
        assertEquals(2, command.fanout);
        assertEquals("capture=0", command.cpus);
        assertEquals("nobody", command.user);
        assertEquals(0, command.statsIntervalSeconds);
        assertEquals(java.nio.file.Path.of("/tmp/x.pcap"), command.writeFile);
        assertEquals(10, command.writeRotateMb);
        assertEquals(2, command.options.workers);

        final LiveCommand defaults = new LiveCommand(live.parse(new String[] {"--interface=lo"}, 0));
        assertEquals("lo", defaults.interfaceName);
        assertEquals("afpacket", defaults.engine);
        assertEquals(true, defaults.promiscuous);
        assertEquals(256, defaults.bufferMb);
        assertEquals(1024, defaults.blockKb);
        assertEquals(20, defaults.retireMillis);
        assertEquals(true, defaults.zeroCopy);
        assertEquals(1, defaults.fanout);
        assertEquals(10, defaults.statsIntervalSeconds);
        assertEquals(null, defaults.writeFile);
        assertEquals(262144, defaults.snaplen);
    }
}
