package dev.httpcap.app;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import dev.httpcap.common.NativeCalls;

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
            final MethodHandle isatty = NativeCalls.libc("isatty", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return (int)isatty.invokeExact(fd) == 1;
        }
        catch (final Throwable ex)
        {
            return false;
        }
    }
}
