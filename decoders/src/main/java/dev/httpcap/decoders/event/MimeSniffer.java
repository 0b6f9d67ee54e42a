package dev.httpcap.decoders.event;

import org.agrona.DirectBuffer;

import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/**
 * The media type of a body from its first bytes, for ECS's {@code http.*.mime_type} ("based on the
 * content of the body, not on the Content-Type header"): the signatures of the WHATWG MIME Sniffing
 * standard for the common image, archive and font formats, markup and JSON by their first
 * character, else {@code text/plain} for UTF-8 text and {@code application/octet-stream} for the
 * rest. Allocation-free.
 */
final class MimeSniffer
{
    private static final byte[] PNG = {(byte)0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final byte[] JPEG = {(byte)0xFF, (byte)0xD8, (byte)0xFF};
    private static final byte[] GIF87 = ascii("GIF87a");
    private static final byte[] GIF89 = ascii("GIF89a");
    private static final byte[] RIFF = ascii("RIFF");
    private static final byte[] WEBP = ascii("WEBP");
    private static final byte[] PDF = ascii("%PDF-");
    private static final byte[] ZIP = {'P', 'K', 3, 4};
    private static final byte[] GZIP = {0x1F, (byte)0x8B, 8};
    private static final byte[] WASM = {0, 'a', 's', 'm'};
    private static final byte[] WOFF = ascii("wOFF");
    private static final byte[] WOFF2 = ascii("wOF2");
    private static final byte[] ICO = {0, 0, 1, 0};
    private static final byte[][] HTML = {
        ascii("<!doctype html"), ascii("<html"), ascii("<head"), ascii("<body"), ascii("<script"), ascii("<title"),
        ascii("<div"), ascii("<p>"), ascii("<!--")};
    private static final byte[] XML = ascii("<?xml");
    private static final byte[] SVG = ascii("<svg");

    static final byte[] IMAGE_PNG = encodeName("image/png");
    static final byte[] IMAGE_JPEG = encodeName("image/jpeg");
    static final byte[] IMAGE_GIF = encodeName("image/gif");
    static final byte[] IMAGE_WEBP = encodeName("image/webp");
    static final byte[] IMAGE_ICON = encodeName("image/x-icon");
    static final byte[] IMAGE_SVG = encodeName("image/svg+xml");
    static final byte[] APPLICATION_PDF = encodeName("application/pdf");
    static final byte[] APPLICATION_ZIP = encodeName("application/zip");
    static final byte[] APPLICATION_GZIP = encodeName("application/gzip");
    static final byte[] APPLICATION_WASM = encodeName("application/wasm");
    static final byte[] APPLICATION_JSON = encodeName("application/json");
    static final byte[] APPLICATION_OCTET_STREAM = encodeName("application/octet-stream");
    static final byte[] FONT_WOFF = encodeName("font/woff");
    static final byte[] FONT_WOFF2 = encodeName("font/woff2");
    static final byte[] TEXT_HTML = encodeName("text/html");
    static final byte[] TEXT_XML = encodeName("text/xml");
    static final byte[] TEXT_PLAIN = encodeName("text/plain");

    private MimeSniffer()
    {
    }

    /**
     * @param prefix whether the bytes are only the start of the body (a last character may be cut).
     * @return the media type of the body starting with {@code buffer[offset, offset + length)}, or null when it is empty.
     */
    static byte[] sniff(final DirectBuffer buffer, final int offset, final int length, final boolean prefix)
    {
        if (length <= 0)
        {
            return null;
        }
        if (startsWith(buffer, offset, length, PNG))
        {
            return IMAGE_PNG;
        }
        if (startsWith(buffer, offset, length, JPEG))
        {
            return IMAGE_JPEG;
        }
        if (startsWith(buffer, offset, length, GIF87) || startsWith(buffer, offset, length, GIF89))
        {
            return IMAGE_GIF;
        }
        if (startsWith(buffer, offset, length, RIFF) && length >= 12 && startsWith(buffer, offset + 8, length - 8, WEBP))
        {
            return IMAGE_WEBP;
        }
        if (startsWith(buffer, offset, length, PDF))
        {
            return APPLICATION_PDF;
        }
        if (startsWith(buffer, offset, length, ZIP))
        {
            return APPLICATION_ZIP;
        }
        if (startsWith(buffer, offset, length, GZIP))
        {
            return APPLICATION_GZIP;
        }
        if (startsWith(buffer, offset, length, WASM))
        {
            return APPLICATION_WASM;
        }
        if (startsWith(buffer, offset, length, WOFF))
        {
            return FONT_WOFF;
        }
        if (startsWith(buffer, offset, length, WOFF2))
        {
            return FONT_WOFF2;
        }
        if (startsWith(buffer, offset, length, ICO))
        {
            return IMAGE_ICON;
        }
        final boolean text = Utf8.textLength(buffer, offset, length, prefix) >= 0;
        if (!text)
        {
            return APPLICATION_OCTET_STREAM;
        }
        int i = offset;
        final int end = offset + length;
        if (length >= 3 && (buffer.getByte(i) & 0xFF) == 0xEF && (buffer.getByte(i + 1) & 0xFF) == 0xBB &&
            (buffer.getByte(i + 2) & 0xFF) == 0xBF)
        {
            i += 3; // UTF-8 byte order mark
        }
        while (i < end && isWhitespace(buffer.getByte(i)))
        {
            i++;
        }
        if (i < end)
        {
            final byte first = buffer.getByte(i);
            if (first == '{' || first == '[')
            {
                return APPLICATION_JSON;
            }
            if (first == '<')
            {
                for (final byte[] tag : HTML)
                {
                    if (startsWithIgnoreCase(buffer, i, end - i, tag))
                    {
                        return TEXT_HTML;
                    }
                }
                if (startsWithIgnoreCase(buffer, i, end - i, SVG))
                {
                    return IMAGE_SVG;
                }
                if (startsWith(buffer, i, end - i, XML))
                {
                    return TEXT_XML;
                }
            }
        }
        return TEXT_PLAIN;
    }

    private static boolean isWhitespace(final byte b)
    {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f';
    }

    private static boolean startsWith(final DirectBuffer buffer, final int offset, final int length, final byte[] signature)
    {
        if (length < signature.length)
        {
            return false;
        }
        for (int i = 0; i < signature.length; i++)
        {
            if (buffer.getByte(offset + i) != signature[i])
            {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWithIgnoreCase(
        final DirectBuffer buffer, final int offset, final int length, final byte[] lower)
    {
        if (length < lower.length)
        {
            return false;
        }
        for (int i = 0; i < lower.length; i++)
        {
            byte b = buffer.getByte(offset + i);
            if (b >= 'A' && b <= 'Z')
            {
                b += 'a' - 'A';
            }
            if (b != lower[i])
            {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
