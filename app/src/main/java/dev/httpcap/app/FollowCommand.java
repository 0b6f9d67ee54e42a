package dev.httpcap.app;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.httpcap.app.analysis.ConnectionSelector;
import dev.httpcap.app.analysis.FollowOutput;
import dev.httpcap.app.analysis.FollowSession;
import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.Parameter;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.capture.CaptureFileException;
import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.decoders.http.HeaderSelection;
import dev.httpcap.decoders.http.HttpConfig;

/** {@code httpcap follow FILE --stream N}: one TCP connection's conversation, like Wireshark's Follow TCP Stream. */
final class FollowCommand
{
    static final Parameter FILE = Parameter.required("FILE", "pcap or pcapng file, or '-' for standard input");
    static final Option STREAM = Option.value("--stream", "N", Option.Type.LONG,
        "the connection's index in the capture, numbered as tshark's tcp.stream (from 0)");
    static final Option TUPLE = Option.value("--tuple", "IP:PORT,IP:PORT", Option.Type.STRING,
        "the first connection between these endpoints, in either order (IPv6 as [addr]:port)");
    static final Option COMMUNITY_ID = Option.value("--community-id", "ID", Option.Type.STRING,
        "the first connection with this Community ID (network.community_id of its events)");
    static final Option AS = Option.value("--as", "FORMAT", Option.Type.CHOICE,
        "ascii (text, each piece headed by who speaks), hex (Wireshark's hex dump), raw (tshark's follow,tcp,raw: " +
            "hex per piece) or yaml (Wireshark's YAML export)").choices("ascii", "hex", "raw", "yaml").defaultValue("ascii");
    static final Option HTTP = Option.flag("--http",
        "also decode HTTP: after each exchange, its transaction event (readable line and JSON, every header, " +
            "bodies de-chunked up to --body-bytes)");
    static final Option BODY_BYTES = Option.value("--body-bytes", "N", Option.Type.INT,
        "with --http: body bytes of each message kept in its event").defaultValue(65_536);
    static final Option DECODE_BODY = Option.flag("--decode-body",
        "with --http: inflate bodies sent with Content-Encoding gzip or deflate");
    static final Option WINDOW_KB = Option.value("--reassembly-window-kb", "KB", Option.Type.INT,
        "bytes (KiB, a power of two) one direction may hold out of order").defaultValue(1024);
    static final Option OUTPUT = Option.value("--output", "PATH", Option.Type.STRING,
        "write to PATH instead of standard output").shortName("-o");

    private final ParsedArgs args;

    FollowCommand(final ParsedArgs args)
    {
        this.args = args;
    }

    static CommandSpec spec()
    {
        return new CommandSpec("httpcap follow",
            "Show one TCP connection of a capture as its two programs saw it (Wireshark's Follow TCP Stream), " +
                "decoding only that connection's packets.", true)
            .parameter(FILE)
            .options(List.of(STREAM, TUPLE, COMMUNITY_ID, AS, HTTP, BODY_BYTES, DECODE_BODY, WINDOW_KB, OUTPUT));
    }

    int call() throws Exception
    {
        final PrintStream err = System.err;
        final int chosen = (args.isSet(STREAM) ? 1 : 0) + (args.isSet(TUPLE) ? 1 : 0) + (args.isSet(COMMUNITY_ID) ? 1 : 0);
        if (chosen != 1)
        {
            err.println("httpcap: follow needs exactly one of --stream N, --tuple IP:PORT,IP:PORT or --community-id ID");
            return 2;
        }
        final int windowKb = args.intValue(WINDOW_KB, 1024);
        if (windowKb < 1 || windowKb > 1 << 20 || Integer.bitCount(windowKb) != 1 || args.intValue(BODY_BYTES, 0) < 0)
        {
            err.println("httpcap: --reassembly-window-kb must be a power of two from 1 to 1048576, --body-bytes >= 0");
            return 2;
        }
        final ConnectionSelector selector;
        try
        {
            selector = args.isSet(STREAM) ? ConnectionSelector.byStream(args.longValue(STREAM, 0)) :
                args.isSet(TUPLE) ? ConnectionSelector.byTuple(args.string(TUPLE, null)) :
                    ConnectionSelector.byCommunityId(args.string(COMMUNITY_ID, null));
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 2;
        }
        final HttpConfig http = args.flag(HTTP, false) ? new HttpConfig()
            .headers(HeaderSelection.parse("all"))
            .bodyBytes(args.intValue(BODY_BYTES, 65_536))
            .decodeBody(args.flag(DECODE_BODY, false)) : null;
        final String path = args.string(OUTPUT, null);
        try
        {
            InputGuard.refuse(InputGuard.regularInput(args.positional(0)), path != null ? Path.of(path) : null,
                "--output", path);
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 2;
        }
        // Standard output is flushed, never closed.
        try (PacketSource source = CaptureFiles.open(args.positional(0));
            OutputStream out = new BufferedOutputStream(path != null ? Files.newOutputStream(Path.of(path)) :
                new java.io.FilterOutputStream(new FileOutputStream(FileDescriptor.out))
                {
                    @Override
                    public void write(final byte[] b, final int off, final int len) throws java.io.IOException
                    {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() throws java.io.IOException
                    {
                        flush();
                    }
                }, 1 << 16))
        {
            final FollowSession session = new FollowSession(selector, FollowOutput.of(args.choice(AS, "ascii"), out), http,
                windowKb * 1024);
            final boolean found = session.run(source);
            out.flush();
            // Reading stops once the connection has ended: damage found before that may have cut it.
            final String damage = source.fileCounters().damage();
            if (!found)
            {
                err.println("httpcap: no such connection in " + args.positional(0) + " (it holds " + session.connectionsSeen() +
                    " TCP connections, numbered from 0" + (damage != null ? " before the damage" : "") + ")");
            }
            else
            {
                err.println(session.summary());
            }
            if (damage != null)
            {
                err.println("httpcap: " + damage);
            }
            return found && damage == null ? 0 : 1;
        }
        catch (final CaptureFileException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            return 1;
        }
        catch (final IOException ex)
        {
            err.println("httpcap: cannot write to " + (path != null ? "'" + path + "'" : "standard output") + ": " +
                IoErrors.describe(ex));
            return 1;
        }
    }
}
