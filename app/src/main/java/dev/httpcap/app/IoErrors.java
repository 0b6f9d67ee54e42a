package dev.httpcap.app;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Why an I/O operation failed, in words: {@code AccessDeniedException}'s message is only the file's name. */
final class IoErrors
{
    private IoErrors()
    {
    }

    /** @return the reason alone ({@code permission denied}, {@code no such file or directory}, ...). */
    static String describe(final Exception ex)
    {
        if (ex instanceof final FileSystemException fse)
        {
            if (fse.getReason() != null)
            {
                return fse.getReason();
            }
            return switch (fse)
            {
                case AccessDeniedException ignore -> "permission denied";
                case NoSuchFileException ignore -> "no such file or directory";
                case NotDirectoryException ignore -> "not a directory";
                case FileAlreadyExistsException ignore -> "file exists";
                default -> fse.getClass().getSimpleName();
            };
        }
        return ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
    }
}
