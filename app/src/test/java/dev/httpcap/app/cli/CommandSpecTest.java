package dev.httpcap.app.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.httpcap.app.cli.Option.Type;

class CommandSpecTest
{
    private static final Option SINK = Option.value("--sink", "SPEC", Type.STRING, "where events go").repeatable();
    private static final Option WORKERS = Option.value("--workers", "N", Type.INT, "worker threads").defaultValue(2);
    private static final Option TIMEOUT = Option.value("--flow-timeout", "SECONDS", Type.LONG, "idle time");
    private static final Option DURATION = Option.value("--duration", "SECONDS", Type.DOUBLE, "run time");
    private static final Option POLICY = Option.value("--back-pressure", "POLICY", Type.CHOICE, "block or drop")
        .choices("BLOCK", "DROP");
    private static final Option PORTS = Option.value("--http-ports", "PORT[,PORT...]", Type.INT_LIST, "ports");
    private static final Option FLOWS = Option.flag("--flows", "flow records");
    private static final Option NO_REDACT = Option.flag("--no-redact", "keep secrets");
    private static final Option PROMISC = Option.negatable("--promisc", "promiscuous mode");
    private static final Option COUNT = Option.value("--count", "N", Type.LONG, "packets").shortName("-c");
    private static final Option INTERFACE = Option.value("--interface", "IF", Type.STRING, "interface").shortName("-i").required();
    private static final Option VERBOSE = Option.flag("--verbose", "more").shortName("-v");
    private static final Parameter FILE = Parameter.required("FILE", "pcap file, or '-' for standard input");

    private static CommandSpec read()
    {
        return new CommandSpec("httpcap read", "Read a file.", true)
            .parameter(FILE)
            .options(List.of(SINK, WORKERS, TIMEOUT, DURATION, POLICY, PORTS, FLOWS, NO_REDACT));
    }

    private static CommandSpec live()
    {
        return new CommandSpec("httpcap live", "Capture.", true)
            .options(List.of(INTERFACE, COUNT, PROMISC, VERBOSE, WORKERS));
    }

    private static ParsedArgs parse(final CommandSpec spec, final String... args) throws UsageException
    {
        return spec.parse(args, 0);
    }

    private static String error(final CommandSpec spec, final String... args)
    {
        return assertThrows(UsageException.class, () -> spec.parse(args, 0)).getMessage();
    }

    @Test
    void shouldTakeValuesWhenSeparateOrAttachedWithEquals() throws UsageException
    {
        final ParsedArgs args = parse(read(), "x.pcap", "--workers", "3", "--flow-timeout=9000000000", "--duration=0.5");
        assertEquals("x.pcap", args.positional(0));
        assertEquals(3, args.intValue(WORKERS, 1));
        assertEquals(9_000_000_000L, args.longValue(TIMEOUT, 0));
        assertEquals(0.5, args.doubleValue(DURATION, 0));
        assertTrue(args.isSet(WORKERS));
        assertFalse(args.isSet(SINK));
    }

    @Test
    void shouldKeepFallbacksWhenOptionsAreAbsent() throws UsageException
    {
        final ParsedArgs args = parse(read(), "x.pcap");
        assertEquals(7, args.intValue(WORKERS, 7));
        assertEquals("dflt", args.string(SINK, "dflt"));
        assertTrue(args.strings(SINK).isEmpty());
        assertNull(args.ints(PORTS));
        assertFalse(args.flag(FLOWS, false));
        assertEquals("BLOCK", args.choice(POLICY, "BLOCK"));
    }

    @Test
    void shouldKeepEveryValueWhenRepeatable() throws UsageException
    {
        final ParsedArgs args = parse(read(), "--sink", "stdout", "x.pcap", "--sink=file:/tmp/a?rotate-mb=1", "--sink", "stdout:json");
        assertEquals(List.of("stdout", "file:/tmp/a?rotate-mb=1", "stdout:json"), args.strings(SINK));
    }

    @Test
    void shouldSplitAndAddUpIntListsWhenRepeated() throws UsageException
    {
        final ParsedArgs args = parse(read(), "x.pcap", "--http-ports", "80,8080", "--http-ports=9200");
        assertArrayEquals(new int[] {80, 8080, 9200}, args.ints(PORTS));
        assertEquals("Invalid value for option '--http-ports' (PORT[,PORT...]): '' is not a whole number",
            error(read(), "x.pcap", "--http-ports", "80,,81"));
        assertEquals("Invalid value for option '--http-ports' (PORT[,PORT...]): 'x' is not a whole number",
            error(read(), "x.pcap", "--http-ports=80,x"));
    }

    @Test
    void shouldRejectSecondValueWhenNotRepeatable()
    {
        assertEquals("Option '--workers' should be specified only once", error(read(), "x.pcap", "--workers", "1", "--workers=2"));
        assertEquals("Option '--flows' should be specified only once", error(read(), "x.pcap", "--flows", "--flows"));
    }

    @Test
    void shouldAcceptChoicesInAnyCaseAndNameThemWhenWrong() throws UsageException
    {
        assertEquals("DROP", parse(read(), "x.pcap", "--back-pressure", "drop").choice(POLICY, null));
        assertEquals("BLOCK", parse(read(), "x.pcap", "--back-pressure=Block").choice(POLICY, null));
        assertEquals("Invalid value for option '--back-pressure' (POLICY): expected block or drop (in any case) but was 'sideways'",
            error(read(), "x.pcap", "--back-pressure", "sideways"));
    }

    @Test
    void shouldSayWhichOptionAndWhatWasExpectedWhenNumberIsBad()
    {
        assertEquals("Invalid value for option '--workers' (N): 'abc' is not a whole number", error(read(), "x", "--workers", "abc"));
        assertEquals("Invalid value for option '--workers' (N): '' is not a whole number", error(read(), "x", "--workers="));
        assertEquals("Invalid value for option '--workers' (N): '99999999999' is out of range (-2147483648..2147483647)",
            error(read(), "x", "--workers", "99999999999"));
        assertEquals("Invalid value for option '--workers' (N): '0x2' is not a whole number", error(read(), "x", "--workers", "0x2"));
        assertEquals("Invalid value for option '--flow-timeout' (SECONDS): '1.5' is not a whole number (64-bit)",
            error(read(), "x", "--flow-timeout", "1.5"));
        assertEquals("Invalid value for option '--duration' (SECONDS): 'soon' is not a number", error(read(), "x", "--duration", "soon"));
        assertEquals("Invalid value for option '--duration' (SECONDS): 'NaN' is not a number", error(read(), "x", "--duration", "NaN"));
    }

    @Test
    void shouldTakeNegativeNumbersAsValues() throws UsageException
    {
        // Rejected later by the command with its own message (workers must be between 1 and 256).
        assertEquals(-1, parse(read(), "x.pcap", "--workers", "-1").intValue(WORKERS, 1));
        assertEquals(2, parse(read(), "x.pcap", "--workers", "+2").intValue(WORKERS, 1));
    }

    @Test
    void shouldSayMissingValueWhenOptionEndsTheLineOrIsFollowedByAnOption()
    {
        assertEquals("Missing value for option '--workers' (N)", error(read(), "x.pcap", "--workers"));
        assertEquals("Missing value for option '--workers' (N) (found option '--flows' instead)",
            error(read(), "x.pcap", "--workers", "--flows"));
        assertEquals("Missing value for option '--interface' (IF)", error(live(), "-i"));
    }

    @Test
    void shouldReadFlagsWithOptionalBooleanValue() throws UsageException
    {
        assertTrue(parse(read(), "x", "--flows").flag(FLOWS, false));
        assertTrue(parse(read(), "x", "--flows=true").flag(FLOWS, false));
        assertFalse(parse(read(), "x", "--flows=FALSE").flag(FLOWS, true));
        assertTrue(parse(read(), "x", "--no-redact").flag(NO_REDACT, false));
        assertEquals("Invalid value for option '--flows': 'maybe' is not a boolean (true or false)", error(read(), "x", "--flows=maybe"));
        // A flag takes no separate value: "false" is the next parameter.
        assertEquals("Unexpected argument: 'false' (FILE was already given: 'x')", error(read(), "x", "--flows", "false"));
    }

    @Test
    void shouldInvertNegatablePairWhenNoFormIsGiven() throws UsageException
    {
        assertTrue(parse(live(), "-i", "lo").flag(PROMISC, true));
        assertFalse(parse(live(), "-i", "lo").flag(PROMISC, false));
        assertTrue(parse(live(), "-i", "lo", "--promisc").flag(PROMISC, false));
        assertFalse(parse(live(), "-i", "lo", "--no-promisc").flag(PROMISC, true));
        assertFalse(parse(live(), "-i", "lo", "--promisc=false").flag(PROMISC, true));
        assertFalse(parse(live(), "-i", "lo", "--no-promisc=true").flag(PROMISC, true));
        assertTrue(parse(live(), "-i", "lo", "--no-promisc=false").flag(PROMISC, false));
        assertEquals("Option '--promisc' should be specified only once", error(live(), "-i", "lo", "--promisc", "--no-promisc"));
        // --no-redact is a plain flag: there is no --redact.
        assertEquals("Unknown option: '--redact'", error(read(), "x", "--redact"));
    }

    @Test
    void shouldReadShortOptionsSeparateAttachedWithEqualsAndClustered() throws UsageException
    {
        assertEquals("eth0", parse(live(), "-i", "eth0").string(INTERFACE, null));
        assertEquals("eth0", parse(live(), "-ieth0").string(INTERFACE, null));
        assertEquals("eth0", parse(live(), "-i=eth0").string(INTERFACE, null));
        assertEquals("eth0", parse(live(), "--interface=eth0").string(INTERFACE, null));
        assertEquals(5, parse(live(), "-i", "lo", "-c5").longValue(COUNT, 0));
        final ParsedArgs clustered = parse(live(), "-vc", "7", "-i", "lo");
        assertTrue(clustered.flag(VERBOSE, false));
        assertEquals(7, clustered.longValue(COUNT, 0));
        assertEquals("Invalid value for option '--count' (N): '5x' is not a whole number (64-bit)", error(live(), "-i", "lo", "-c5x"));
        assertEquals("Unknown option: '-x'", error(live(), "-i", "lo", "-x"));
        assertEquals("Unknown option: '-x' in '-vx'", error(live(), "-i", "lo", "-vx"));
    }

    @Test
    void shouldTreatEverythingAfterDoubleDashAsParameters() throws UsageException
    {
        assertEquals("--help", parse(read(), "--workers", "2", "--", "--help").positional(0));
        assertFalse(parse(read(), "--", "-h").helpRequested());
        assertEquals("-", parse(read(), "-").positional(0));
        assertEquals("Unexpected argument: '--flows' (FILE was already given: 'a')", error(read(), "--", "a", "--flows"));
    }

    @Test
    void shouldNameUnknownOptionAndSuggestWhenCloseToOne()
    {
        assertEquals("Unknown option: '--bogus'", error(read(), "x.pcap", "--bogus"));
        assertEquals("Unknown option: '--bogus'", error(read(), "x.pcap", "--bogus=1"));
        assertEquals("Unknown option: '--Workers' (did you mean '--workers'?)", error(read(), "x.pcap", "--Workers", "1"));
        assertEquals("Unknown option: '--work' (did you mean '--workers'?)", error(read(), "x.pcap", "--work", "1"));
        assertEquals("Unknown option: '--bogus'", error(read(), "--bogus"));
        assertEquals("Unknown option: '-w' in '-workers' (did you mean '--workers'?)", error(read(), "x.pcap", "-workers", "1"));
        // Typing slips: a letter left out, swapped or wrong.
        assertEquals("Unknown option: '--wokers' (did you mean '--workers'?)", error(read(), "x.pcap", "--wokers", "1"));
        assertEquals("Unknown option: '--wrokers' (did you mean '--workers'?)", error(read(), "x.pcap", "--wrokers", "1"));
        assertEquals("Unknown option: '--flwos' (did you mean '--flows'?)", error(read(), "x.pcap", "--flwos"));
    }

    @Test
    void shouldRequireParametersAndRequiredOptions()
    {
        assertEquals("Missing required parameter 'FILE': pcap file, or '-' for standard input", error(read()));
        assertEquals("Missing required option '--interface=IF': interface", error(live(), "-c", "3"));
        assertEquals("Unexpected argument: 'b.pcap' (FILE was already given: 'a.pcap')", error(read(), "a.pcap", "b.pcap"));
        assertEquals("Unexpected argument: 'extra' ('httpcap live' takes no parameters)", error(live(), "extra", "-i", "lo"));
    }

    @Test
    void shouldStopAtHelpAndSkipRequiredChecksWhenHelpOrVersionIsAsked() throws UsageException
    {
        assertTrue(parse(read(), "--help").helpRequested());
        assertTrue(parse(read(), "-h", "--bogus").helpRequested());
        assertTrue(parse(read(), "x.pcap", "--workers", "2", "-h").helpRequested());
        assertTrue(parse(live(), "-V").versionRequested());
        assertTrue(parse(read(), "-hV").helpRequested());
        assertTrue(parse(read(), "-Vh").helpRequested());
        // An error before --help is still an error.
        assertEquals("Unknown option: '--bogus'", error(read(), "--bogus", "--help"));
    }

    @Test
    void shouldStopAtSubcommandNameWhenParsingCommand() throws UsageException
    {
        final CommandSpec main = new CommandSpec("httpcap", "Top.", true).subcommand(read());
        final ParsedArgs args = main.newArgs();
        final String[] line = {"read", "--workers", "2", "x"};
        assertEquals(0, main.parseCommand(line, args));
        assertSame(main.subcommand("read"), main.subcommand(line[0]));
        assertEquals(2, main.subcommand("read").parse(line, 1).intValue(WORKERS, 1));
        final ParsedArgs version = main.newArgs();
        assertEquals(1, main.parseCommand(new String[] {"-V"}, version));
        assertTrue(version.versionRequested());
        assertEquals("Unknown option: '--bogus'",
            assertThrows(UsageException.class, () -> main.parseCommand(new String[] {"--bogus", "read"}, main.newArgs()))
                .getMessage());
    }

    @Test
    void shouldListEveryOptionAlignedAndWrappedWhenPrintingHelp()
    {
        final String help = live().usage();
        for (final Option option : live().options())
        {
            assertTrue(help.contains(option.longName().substring(2)), () -> option + " missing from\n" + help);
            assertTrue(help.contains(option.description()) || help.contains(option.description().substring(0, 6)),
                () -> option + "'s description missing from\n" + help);
        }
        assertTrue(help.startsWith("Usage: httpcap live [-hV] -i IF [OPTIONS]\nCapture.\n"), help);
        assertTrue(help.contains("\n  -i, --interface=IF  interface\n"), help);
        assertTrue(help.contains("\n      --[no-]promisc  promiscuous mode\n"), help);
        assertTrue(help.contains("\n      --workers=N     worker threads; default 2\n"), help);
        assertTrue(help.contains("\n  -h, --help          Show this help message and exit.\n"), help);
        assertTrue(help.contains("\n  -V, --version       Print version information and exit.\n"), help);
        final String readHelp = read().usage();
        assertTrue(readHelp.contains("\nParameters:\n  FILE  "), readHelp);
        assertTrue(readHelp.contains("--http-ports=PORT[,PORT...]"), readHelp);
    }

    @Test
    void shouldWrapLongDescriptionsAtEightyColumnsAndKeepDefaultsWhole()
    {
        final Option wordy = Option.value("--a-rather-long-option-name", "SECONDS", Type.INT,
            "a description long enough to need several lines in the help, with words and words and words and more " +
                "words, and a path-like word file:PATH[?rotate-mb=N&keep=K&format=json|text] in it")
            .defaultValue(1234567);
        final CommandSpec spec = new CommandSpec("httpcap x", "X.", false).options(List.of(wordy));
        final String help = spec.usage();
        for (final String line : help.split("\n"))
        {
            assertTrue(line.length() <= 80, () -> "longer than 80 columns: '" + line + "'\n" + help);
        }
        // Too long for the option column: the description starts on the next line.
        assertTrue(help.contains("  --a-rather-long-option-name=SECONDS\n                              a description"), help);
        assertTrue(help.contains("default 1234567"), help);
        assertFalse(help.contains("\u00A0"), help);
    }

    @Test
    void shouldRefuseTwoOptionsWithOneName()
    {
        assertThrows(IllegalStateException.class, () -> new CommandSpec("httpcap x", "X.", true)
            .options(List.of(Option.flag("--flows", "a"), Option.flag("--flows", "b"))));
        assertThrows(IllegalStateException.class, () -> new CommandSpec("httpcap x", "X.", true)
            .options(List.of(Option.flag("--verbose", "a").shortName("-h"))));
        assertThrows(IllegalArgumentException.class, () -> Option.flag("-x", "a"));
        assertThrows(IllegalArgumentException.class, () -> Option.value("--x", "N", Type.FLAG, "a"));
    }
}
