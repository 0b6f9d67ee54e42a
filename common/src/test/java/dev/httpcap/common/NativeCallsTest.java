package dev.httpcap.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import org.junit.jupiter.api.Test;

class NativeCallsTest
{
    private static final FunctionDescriptor INT_OF_INT = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);

    @Test
    void shouldCallTheCLibraryAndReadTheErrnoItLeaves() throws Throwable
    {
        final MethodHandle close = NativeCalls.libc("close", INT_OF_INT, NativeCalls.CAPTURE_ERRNO);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment callState = arena.allocate(NativeCalls.CALL_STATE);
            assertEquals(-1, (int)close.invokeExact(callState, -1));
            assertEquals(9, NativeCalls.errno(callState), "EBADF");
        }
    }

    @Test
    void shouldNameTheMissingFunctionOrGiveNullWhenItIsOnlyAdvice()
    {
        final IllegalStateException missing = assertThrows(IllegalStateException.class,
            () -> NativeCalls.libc("httpcap_no_such_function", INT_OF_INT));
        assertTrue(missing.getMessage().contains("httpcap_no_such_function"), missing.getMessage());
        assertNull(NativeCalls.libcOrNull("httpcap_no_such_function", INT_OF_INT));
        assertNotNull(NativeCalls.libcOrNull("isatty", INT_OF_INT));
    }

    @Test
    void shouldHandOutZeroedMemoryWhetherMappedOrNot()
    {
        try (Arena arena = Arena.ofConfined())
        {
            for (final long bytes : new long[] {100, 1 << 20})
            {
                final MemorySegment memory = LazyMemory.allocate(arena, bytes);
                assertEquals(bytes, memory.byteSize());
                assertEquals(0, memory.get(ValueLayout.JAVA_BYTE, bytes - 1));
                memory.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte)7);
                assertEquals(7, memory.get(ValueLayout.JAVA_BYTE, bytes - 1));
            }
        }
    }
}
