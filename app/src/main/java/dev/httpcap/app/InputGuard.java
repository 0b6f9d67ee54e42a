package dev.httpcap.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Outputs that would overwrite the capture a command reads. A capture file is memory-mapped while
 * it is read: an output opened on it truncates it under the reader (a fault, and the capture lost),
 * or appends to it, or replaces it once read. Only a regular file can be hurt so; a pipe, a socket
 * or a device given as the input (or as standard input) is never refused.
 */
final class InputGuard
{
    private InputGuard()
    {
    }

    /**
     * @param file a command's FILE: a path, or {@code -} for standard input.
     * @return the regular file it reads (for {@code -}, the one standard input is redirected from), or
     *         null when it reads a pipe, a socket, a device or nothing that exists.
     */
    static Path regularInput(final String file)
    {
        if (file == null)
        {
            return null;
        }
        final Path path = Path.of("-".equals(file) ? "/dev/stdin" : file);
        return Files.isRegularFile(path) ? path : null;
    }

    /**
     * @param input  from {@link #regularInput}, or null.
     * @param output where the option writes, or null.
     * @throws IllegalArgumentException "OPTION: 'SHOWN' is the capture being read" when both are one file.
     */
    static void refuse(final Path input, final Path output, final String option, final String shown)
    {
        if (input != null && output != null && sameFile(input, output))
        {
            throw new IllegalArgumentException(option + ": '" + shown + "' is the capture being read");
        }
    }

    private static boolean sameFile(final Path input, final Path output)
    {
        try
        {
            return Files.exists(output) && Files.isSameFile(input, output);
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
