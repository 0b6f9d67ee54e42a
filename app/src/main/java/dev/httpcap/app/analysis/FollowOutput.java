package dev.httpcap.app.analysis;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

import org.agrona.DirectBuffer;

/**
 * How {@code httpcap follow} prints a conversation. Node 0 is the sender of the connection's first
 * packet, node 1 its peer, as in tshark's {@code -z follow}. Formats:
 * <ul>
 * <li>{@code raw}: tshark's {@code follow,tcp,raw} layout: one line of hex per piece of the stream,
 * node 1's indented by a tab;</li>
 * <li>{@code hex}: Wireshark's hex dump (offset per node, 16 bytes, printable text), node 1 indented;</li>
 * <li>{@code ascii}: the bytes as text (non-printable bytes as {@code .}), each piece headed by who
 * speaks, its length and frame;</li>
 * <li>{@code yaml}: Wireshark's YAML export: peers, then each piece with its frame, node, offset,
 * time and data in base64.</li>
 * </ul>
 * All but raw also mark gaps (bytes never captured), retransmissions, resets and ends of stream.
 */
public abstract class FollowOutput
{
    protected final PrintStream out;
    protected String stream;
    protected String node0;
    protected String node1;

    protected FollowOutput(final OutputStream out)
    {
        this.out = new PrintStream(out, false, StandardCharsets.UTF_8);
    }

    /** @return the output for {@code format} ({@code ascii}, {@code hex}, {@code raw} or {@code yaml}). */
    public static FollowOutput of(final String format, final OutputStream out)
    {
        return switch (format)
        {
            case "raw" -> new Raw(out);
            case "hex" -> new Hex(out);
            case "yaml" -> new Yaml(out);
            case "ascii" -> new Ascii(out);
            default -> throw new IllegalArgumentException("unknown format " + format);
        };
    }

    void begin(final int streamNumber, final String node0Endpoint, final String node1Endpoint)
    {
        stream = String.valueOf(streamNumber);
        node0 = node0Endpoint;
        node1 = node1Endpoint;
        header();
    }

    protected void header()
    {
        out.println();
        out.println("===================================================================");
        out.println("Follow: tcp," + name());
        out.println("Filter: tcp.stream eq " + stream);
        out.println("Node 0: " + node0);
        out.println("Node 1: " + node1);
    }

    protected abstract String name();

    abstract void data(int node, long frame, long timestampNanos, DirectBuffer buffer, int offset, int length);

    void gap(final int node, final long frame, final long length)
    {
        mark(node, "gap: " + length + " bytes never captured (frame " + frame + ")");
    }

    void retransmission(final int node, final long frame, final int length)
    {
        mark(node, "retransmission: frame " + frame + " repeats " + length + " bytes");
    }

    void end(final int node, final boolean reset, final long frame)
    {
        mark(node, (reset ? "reset" : "end of stream (FIN)") + " at frame " + frame);
    }

    /** A transaction event (with --http): its readable line and its JSON. */
    void event(final String text, final String json)
    {
        out.println("# " + text);
        out.println(json);
    }

    protected void mark(final int node, final String what)
    {
        out.println((node == 1 ? "\t" : "") + "[" + what + "]");
    }

    void finish()
    {
        out.println("===================================================================");
        out.flush();
    }

    static final class Raw extends FollowOutput
    {
        private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        private byte[] line = new byte[4096];

        Raw(final OutputStream out)
        {
            super(out);
        }

        @Override
        protected String name()
        {
            return "raw";
        }

        @Override
        void data(final int node, final long frame, final long timestampNanos, final DirectBuffer buffer, final int offset,
            final int length)
        {
            final int size = length * 2 + 2;
            if (line.length < size)
            {
                line = new byte[Math.max(size, line.length * 2)];
            }
            int n = 0;
            if (node == 1)
            {
                line[n++] = '\t';
            }
            for (int i = 0; i < length; i++)
            {
                final int b = buffer.getByte(offset + i) & 0xff;
                line[n++] = HEX[b >>> 4];
                line[n++] = HEX[b & 0xf];
            }
            line[n++] = '\n';
            out.write(line, 0, n);
        }

        /** tshark's raw output has nothing but the bytes. */
        @Override
        protected void mark(final int node, final String what)
        {
        }

        @Override
        void event(final String text, final String json)
        {
        }
    }

    static final class Hex extends FollowOutput
    {
        private final long[] offsets = new long[2];

        Hex(final OutputStream out)
        {
            super(out);
        }

        @Override
        protected String name()
        {
            return "hex";
        }

        @Override
        void data(final int node, final long frame, final long timestampNanos, final DirectBuffer buffer, final int offset,
            final int length)
        {
            final StringBuilder s = new StringBuilder(length * 5);
            for (int row = 0; row < length; row += 16)
            {
                if (node == 1)
                {
                    s.append('\t');
                }
                s.append(String.format(Locale.ROOT, "%08X  ", offsets[node] + row));
                final int n = Math.min(16, length - row);
                for (int i = 0; i < 16; i++)
                {
                    if (i == 8)
                    {
                        s.append(' ');
                    }
                    if (i < n)
                    {
                        s.append(String.format(Locale.ROOT, "%02x ", buffer.getByte(offset + row + i) & 0xff));
                    }
                    else
                    {
                        s.append("   ");
                    }
                }
                s.append(' ');
                for (int i = 0; i < n; i++)
                {
                    final int b = buffer.getByte(offset + row + i) & 0xff;
                    s.append(b >= 0x20 && b < 0x7f ? (char)b : '.');
                }
                s.append('\n');
            }
            offsets[node] += length;
            out.print(s);
        }
    }

    static final class Ascii extends FollowOutput
    {
        Ascii(final OutputStream out)
        {
            super(out);
        }

        @Override
        protected String name()
        {
            return "ascii";
        }

        @Override
        void data(final int node, final long frame, final long timestampNanos, final DirectBuffer buffer, final int offset,
            final int length)
        {
            out.println((node == 0 ? ">>> " + node0 : "<<< " + node1) + " (" + length + " bytes, frame " + frame + ")");
            final byte[] text = new byte[length];
            for (int i = 0; i < length; i++)
            {
                final byte b = buffer.getByte(offset + i);
                text[i] = (b >= 0x20 && b < 0x7f) || b == '\n' || b == '\r' || b == '\t' ? b : (byte)'.';
            }
            out.write(text, 0, length);
            if (length > 0 && text[length - 1] != '\n')
            {
                out.println();
            }
        }
    }

    static final class Yaml extends FollowOutput
    {
        private final long[] offsets = new long[2];

        Yaml(final OutputStream out)
        {
            super(out);
        }

        @Override
        protected String name()
        {
            return "yaml";
        }

        @Override
        protected void header()
        {
            out.println("# httpcap follow: tcp.stream eq " + stream);
            out.println("peers:");
            peer(0, node0);
            peer(1, node1);
            out.println("packets:");
        }

        private void peer(final int n, final String endpoint)
        {
            final int colon = endpoint.lastIndexOf(':');
            String host = endpoint.substring(0, colon);
            if (host.startsWith("["))
            {
                host = host.substring(1, host.length() - 1);
            }
            out.println("  - peer: " + n);
            out.println("    host: " + host);
            out.println("    port: " + endpoint.substring(colon + 1));
        }

        @Override
        void data(final int node, final long frame, final long timestampNanos, final DirectBuffer buffer, final int offset,
            final int length)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            out.println("  - packet: " + frame);
            out.println("    peer: " + node);
            out.println("    index: " + offsets[node]);
            out.println(String.format(Locale.ROOT, "    timestamp: %d.%09d", Math.floorDiv(timestampNanos, 1_000_000_000L),
                Math.floorMod(timestampNanos, 1_000_000_000L)));
            out.println("    data: !!binary |");
            final String b64 = Base64.getEncoder().encodeToString(bytes);
            for (int i = 0; i < b64.length(); i += 76)
            {
                out.println("      " + b64.substring(i, Math.min(b64.length(), i + 76)));
            }
            offsets[node] += length;
        }

        @Override
        protected void mark(final int node, final String what)
        {
            out.println("  # peer " + node + ": " + what);
        }

        @Override
        void event(final String text, final String json)
        {
            out.println("  # " + text);
        }

        @Override
        void finish()
        {
            out.flush();
        }
    }
}
