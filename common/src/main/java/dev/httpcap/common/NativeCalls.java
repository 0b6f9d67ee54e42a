package dev.httpcap.common;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one place that links native functions (Foreign Function &amp; Memory API): C library calls
 * by name, functions of a loaded library, and the {@code errno} a call leaves behind. Handles are
 * made once, at start-up or on first use, and kept by the caller.
 */
public final class NativeCalls
{
    /**
     * Layout of the call state an {@link #CAPTURE_ERRNO} handle writes: allocate one segment of it
     * and pass it as the handle's first argument; {@link #errno} reads it afterwards.
     */
    public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    /** Option for handles whose calls report failure through {@code errno}. */
    public static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();

    private NativeCalls()
    {
    }

    /**
     * @return a handle on the C library's function {@code name}.
     * @throws IllegalStateException when the C library has no such function.
     */
    public static MethodHandle libc(final String name, final FunctionDescriptor descriptor, final Linker.Option... options)
    {
        return function(LINKER.defaultLookup(), "the C library", name, descriptor, options);
    }

    /**
     * For calls that are advice or an optimisation, whose absence changes nothing but speed or memory.
     *
     * @return a handle on the C library's function {@code name}, or null when it is missing or cannot be linked.
     */
    public static MethodHandle libcOrNull(final String name, final FunctionDescriptor descriptor, final Linker.Option... options)
    {
        try
        {
            return LINKER.defaultLookup().find(name).map(symbol -> LINKER.downcallHandle(symbol, descriptor, options))
                .orElse(null);
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * @param library what {@code lookup} is, for the message when {@code name} is missing.
     * @return a handle on the function {@code name} of a loaded library.
     * @throws IllegalStateException when the library has no such function.
     */
    public static MethodHandle function(
        final SymbolLookup lookup, final String library, final String name, final FunctionDescriptor descriptor,
        final Linker.Option... options)
    {
        final MemorySegment symbol = lookup.find(name)
            .orElseThrow(() -> new IllegalStateException(library + " has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** @return the {@code errno} the last {@link #CAPTURE_ERRNO} call wrote into {@code callState}. */
    public static int errno(final MemorySegment callState)
    {
        return (int)ERRNO.get(callState, 0L);
    }
}
