package dev.httpcap.app;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Whether a standard stream is a terminal, asked of libc's {@code isatty} through FFM. */
final class Terminal
{
    private Terminal()
    {
    }

    static boolean isTerminal(final int fd)
    {
        try
        {
            final Linker linker = Linker.nativeLinker();
            final MethodHandle isatty = linker.downcallHandle(
                linker.defaultLookup().find("isatty").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return (int)isatty.invokeExact(fd) == 1;
        }
        catch (final Throwable ex)
        {
            return false;
        }
    }
}
