package dev.httpcap.capture;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import dev.httpcap.common.NativeCalls;

/**
 * Compiles tcpdump filter expressions with libpcap's own compiler ({@code pcap_compile} on a
 * {@code pcap_open_dead} handle), called through the Foreign Function & Memory API, and returns
 * the instructions as a {@link BpfProgram}. Filters then run in Java with no native call per
 * packet, and the same instructions can be attached to a socket with {@code SO_ATTACH_FILTER}.
 */
public final class BpfCompiler
{
    private static final int PCAP_NETMASK_UNKNOWN = 0xFFFF_FFFF;
    private static final String[] LIBRARY_NAMES = {"libpcap.so.1", "libpcap.so.0.8", "libpcap.so", "libpcap.dylib"};

    /** struct bpf_program { u_int bf_len; struct bpf_insn *bf_insns; } */
    private static final MemoryLayout BPF_PROGRAM = MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("bf_len"),
        MemoryLayout.paddingLayout(4),
        ValueLayout.ADDRESS.withName("bf_insns"));
    /** struct bpf_insn { u_short code; u_char jt; u_char jf; bpf_u_int32 k; } */
    private static final long INSN_SIZE = 8;

    private static volatile Native nativeLib;

    private BpfCompiler()
    {
    }

    /**
     * @param expression tcpdump filter syntax, e.g. {@code "tcp port 80"}.
     * @param linkType   the LINKTYPE_ of the frames it will see.
     * @param snaplen    the capture's snap length.
     * @throws IllegalArgumentException with libpcap's message when the expression does not compile.
     * @throws IllegalStateException    when libpcap is not installed.
     */
    public static BpfProgram compile(final String expression, final int linkType, final int snaplen)
    {
        final Native lib = nativeLibrary();
        synchronized (BpfCompiler.class)
        {
            // pcap_compile is not thread-safe in older libpcap releases.
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment pcap = (MemorySegment)lib.openDead.invokeExact(dataLinkType(linkType), snaplen);
                if (pcap.equals(MemorySegment.NULL))
                {
                    throw new IllegalArgumentException("libpcap cannot open link type " + linkType);
                }
                try
                {
                    final MemorySegment program = arena.allocate(BPF_PROGRAM);
                    final int rc = (int)lib.compile.invokeExact(
                        pcap, program, arena.allocateFrom(expression), 1, PCAP_NETMASK_UNKNOWN);
                    if (rc != 0)
                    {
                        final MemorySegment error = (MemorySegment)lib.geterr.invokeExact(pcap);
                        throw new IllegalArgumentException("bad filter '" + expression + "': " +
                            error.reinterpret(1024).getString(0));
                    }
                    try
                    {
                        final int length = program.get(ValueLayout.JAVA_INT, 0);
                        final MemorySegment instructions = program.get(ValueLayout.ADDRESS, 8)
                            .reinterpret(length * INSN_SIZE);
                        final short[] code = new short[length];
                        final byte[] jt = new byte[length];
                        final byte[] jf = new byte[length];
                        final int[] k = new int[length];
                        for (int i = 0; i < length; i++)
                        {
                            final long base = i * INSN_SIZE;
                            code[i] = instructions.get(ValueLayout.JAVA_SHORT, base);
                            jt[i] = instructions.get(ValueLayout.JAVA_BYTE, base + 2);
                            jf[i] = instructions.get(ValueLayout.JAVA_BYTE, base + 3);
                            k[i] = instructions.get(ValueLayout.JAVA_INT, base + 4);
                        }
                        return new BpfProgram(code, jt, jf, k);
                    }
                    finally
                    {
                        lib.freecode.invokeExact(program);
                    }
                }
                finally
                {
                    lib.close.invokeExact(pcap);
                }
            }
            catch (final IllegalArgumentException | IllegalStateException ex)
            {
                throw ex;
            }
            catch (final Throwable ex)
            {
                throw new IllegalStateException("libpcap call failed: " + ex, ex);
            }
        }
    }

    /**
     * pcap_open_dead takes a DLT_ value, not the LINKTYPE_ value stored in files; they differ
     * only where DLT_ numbers were platform-specific.
     */
    private static int dataLinkType(final int linkType)
    {
        return switch (linkType)
        {
            case LinkTypes.RAW, LinkTypes.RAW_BSD_14 -> LinkTypes.RAW_BSD_12;
            default -> linkType;
        };
    }

    private static Native nativeLibrary()
    {
        Native lib = nativeLib;
        if (lib == null)
        {
            synchronized (BpfCompiler.class)
            {
                lib = nativeLib;
                if (lib == null)
                {
                    lib = load();
                    nativeLib = lib;
                }
            }
        }
        return lib;
    }

    private static Native load()
    {
        for (final String name : LIBRARY_NAMES)
        {
            try
            {
                return new Native(SymbolLookup.libraryLookup(name, Arena.global()));
            }
            catch (final IllegalArgumentException ex)
            {
                // try the next name
            }
        }
        throw new IllegalStateException(
            "capture filters need libpcap, which was not found: install it (apt-get install libpcap0.8)");
    }

    private record Native(
        MethodHandle openDead, MethodHandle compile, MethodHandle geterr, MethodHandle freecode, MethodHandle close)
    {
        Native(final SymbolLookup lookup)
        {
            this(
                handle(lookup, "pcap_open_dead", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT)),
                handle(lookup, "pcap_compile", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT)),
                handle(lookup, "pcap_geterr", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS)),
                handle(lookup, "pcap_freecode", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS)),
                handle(lookup, "pcap_close", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS)));
        }

        private static MethodHandle handle(final SymbolLookup lookup, final String name, final FunctionDescriptor descriptor)
        {
            return NativeCalls.function(lookup, "libpcap", name, descriptor);
        }
    }
}
