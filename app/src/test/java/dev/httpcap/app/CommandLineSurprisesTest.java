package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.UsageException;
import dev.httpcap.decoders.http.HeaderSelection;

/** Issue 18, point 4: what a new user tripped over on the command line, each fixed and held here. */
class CommandLineSurprisesTest
{
    private static String usageError(final String... args)
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exitCode;
        try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8))
        {
            exitCode = Main.execute(new PrintStream(new ByteArrayOutputStream()), errStream, args);
        }
        assertEquals(2, exitCode, err::toString);
        return err.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow();
    }

    private static LiveCommand live(final String... args) throws UsageException
    {
        return new LiveCommand(Main.spec().subcommand("live").parse(args, 0));
    }

    private static String liveProblem(final String... args) throws UsageException
    {
        final LiveCommand command = live(args);
        return assertThrows(IllegalArgumentException.class, command::validate).getMessage();
    }

    @Test
    void shouldRefuseAProgressModeThatDoesNotExist()
    {
        assertEquals("httpcap: Invalid value for option '--progress' (WHEN): expected auto, always or never (in any case) " +
            "but was 'sometimes'", usageError("read", "x.pcap", "--progress", "sometimes"));
    }

    @Test
    void shouldRefuseNegativeTimesAndCountsInLiveCapture() throws UsageException
    {
        assertEquals("--duration must be a number of seconds >= 0 (0: until stopped): -1", liveProblem("-i", "lo", "--duration", "-1"));
        assertEquals("--duration must be a number of seconds >= 0 (0: until stopped): -0.5",
            liveProblem("-i", "lo", "--duration", "-0.5"));
        assertEquals("--duration must be a number of seconds >= 0 (0: until stopped): Infinity",
            liveProblem("-i", "lo", "--duration", "Infinity"));
        assertEquals("--count must be >= 0 (0: no limit): -5", liveProblem("-i", "lo", "-c", "-5"));
        assertEquals("--stats-interval must be a number of seconds >= 0 (0: never): -10",
            liveProblem("-i", "lo", "--stats-interval", "-10"));
        live("-i", "lo", "--duration", "0", "-c", "0", "--stats-interval", "0").validate();
        live("-i", "lo", "--duration", "2.5").validate();
    }

    @Test
    void shouldBoundRotatedRecordingsAndRefuseRotationWithoutARecording() throws UsageException
    {
        assertEquals(10, live("-i", "lo", "-w", "x.pcap", "--write-rotate-mb", "100").writeKeep, "a limit by default");
        assertEquals(3, live("-i", "lo", "-w", "x.pcap", "--write-rotate-mb", "100", "--write-keep", "3").writeKeep);
        assertEquals("--write-rotate-mb needs --write FILE", liveProblem("-i", "lo", "--write-rotate-mb", "100"));
        assertEquals("--write-keep needs --write FILE", liveProblem("-i", "lo", "--write-keep", "3"));
        assertEquals("--write-keep needs --write-rotate-mb (without it there is one file)",
            liveProblem("-i", "lo", "-w", "x.pcap", "--write-keep", "3"));
        assertEquals("--write-keep must be >= 0: -1", liveProblem("-i", "lo", "-w", "x.pcap", "--write-rotate-mb", "1",
            "--write-keep", "-1"));
        assertEquals("--write-rotate-mb must be >= 0 (0: never rotate): -1",
            liveProblem("-i", "lo", "-w", "x.pcap", "--write-rotate-mb", "-1"));
    }

    @Test
    void shouldDropTheRecordingFromThePageCacheUnlessToldToKeepIt() throws UsageException
    {
        assertEquals("drop", live("-i", "lo", "-w", "x.pcap").writeCache);
        assertEquals("keep", live("-i", "lo", "-w", "x.pcap", "--write-cache", "KEEP").writeCache);
        assertEquals("Invalid value for option '--write-cache' (POLICY): expected drop or keep (in any case) but was 'lru'",
            assertThrows(UsageException.class, () -> live("-i", "lo", "-w", "x.pcap", "--write-cache", "lru")).getMessage());
        assertEquals("--write-cache needs --write FILE", liveProblem("-i", "lo", "--write-cache", "keep"));
    }

    @Test
    void shouldNotTakeAMistypedHeadersKeywordForAHeaderName()
    {
        for (final String typo : new String[] {"nope", "non", "defualt", "defaults", "al", "ALL."})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> PipelineOptions.headerSelection(typo), typo);
            assertTrue(ex.getMessage().startsWith("--headers '" + typo + "': did you mean '"), ex.getMessage());
        }
        assertEquals("--headers 'nope': did you mean 'none'? (to select a header field of that name, write it followed " +
            "by a comma: 'nope,')", assertThrows(IllegalArgumentException.class,
                () -> PipelineOptions.headerSelection("nope")).getMessage());
        // On purpose, with the comma; and real names, keywords and lists as before.
        assertEquals("nope", PipelineOptions.headerSelection("nope,").toString());
        assertEquals("host", PipelineOptions.headerSelection("host").toString());
        assertEquals("age", PipelineOptions.headerSelection("age").toString());
        assertEquals("x-api-key,host", PipelineOptions.headerSelection("x-api-key,host").toString());
        assertEquals(HeaderSelection.NONE, PipelineOptions.headerSelection("None"));
        assertEquals(HeaderSelection.ALL, PipelineOptions.headerSelection("all"));
        assertEquals(HeaderSelection.DEFAULT, PipelineOptions.headerSelection("default"));
    }

    @Test
    void shouldSuggestTheOptionMeantWhenOneIsMistyped()
    {
        assertEquals("httpcap: Unknown option: '--wokers' (did you mean '--workers'?)", usageError("read", "x.pcap", "--wokers", "2"));
        assertEquals("httpcap: Unknown option: '--interace' (did you mean '--interface'?)", usageError("live", "--interace", "lo"));
        assertEquals("httpcap: Unknown option: '--no-promsic' (did you mean '--no-promisc'?)",
            usageError("live", "-i", "lo", "--no-promsic"));
        assertEquals("httpcap: Unknown option: '--sinks' (did you mean '--sink'?)", usageError("read", "x.pcap", "--sinks", "stdout"));
    }

    @Test
    void shouldPrintIpv6AddressesInTheirShortForm() throws Exception
    {
        assertEquals("::1", InterfacesCommand.addressText(InetAddress.getByName("0:0:0:0:0:0:0:1")));
        assertEquals("::", InterfacesCommand.addressText(InetAddress.getByName("0:0:0:0:0:0:0:0")));
        assertEquals("fe80::fc:ff:fe00:1", InterfacesCommand.addressText(InetAddress.getByName("fe80:0:0:0:fc:ff:fe00:1")));
        assertEquals("fd00::2", InterfacesCommand.addressText(InetAddress.getByName("fd00:0:0:0:0:0:0:2")));
        // RFC 5952: the longest run of zeros, the first of two as long; a single zero group stays.
        assertEquals("2001:db8::1:0:0:1", InterfacesCommand.addressText(InetAddress.getByName("2001:db8:0:0:1:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", InterfacesCommand.addressText(InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("2001:0:0:1::1", InterfacesCommand.addressText(InetAddress.getByName("2001:0:0:1:0:0:0:1")));
        assertEquals("1::", InterfacesCommand.addressText(InetAddress.getByName("1:0:0:0:0:0:0:0")));
        assertEquals("192.0.2.1", InterfacesCommand.addressText(InetAddress.getByName("192.0.2.1")));
    }

    @Test
    void shouldOfferWriteOnReadAndCheckReadOptionsWithoutAFile() throws UsageException
    {
        final CommandSpec read = Main.spec().subcommand("read");
        final ReadCommand command = new ReadCommand(read.parse(new String[] {"x.pcap", "-w", "out.pcap", "--filter", "tcp"}, 0));
        assertEquals(java.nio.file.Path.of("out.pcap"), command.writeFile);
        command.validate();
        final ReadCommand bad = new ReadCommand(read.parse(new String[] {"x.pcap", "--filter", "tcp port"}, 0));
        assertThrows(IllegalArgumentException.class, bad::validate);
    }
}
