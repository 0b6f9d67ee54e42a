package dev.httpcap.capture;

import java.io.IOException;

/** A capture file cannot be opened or is not a capture file; the message is one line fit for a user. */
public final class CaptureFileException extends IOException
{
    private static final long serialVersionUID = 1L;

    public CaptureFileException(final String message)
    {
        super(message);
    }

    public CaptureFileException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
