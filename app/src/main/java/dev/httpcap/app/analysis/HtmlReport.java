package dev.httpcap.app.analysis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code httpcap stats --format html}: one self-contained page (no network access: inline script,
 * SVG drawn by it, a Content-Security-Policy that forbids fetching anything) holding the JSON
 * report, from which it draws requests and errors over time, latency percentiles over time, the top
 * endpoints' latency, status codes, and the tables. The template is {@code stats-report.html} next
 * to this class; the JSON goes in as is ({@link JsonOut} escapes {@code <}, so it cannot close the
 * script element).
 */
public final class HtmlReport
{
    private static final String PLACEHOLDER = "/*STATS_JSON*/";

    private HtmlReport()
    {
    }

    public static String render(final StatsReport report)
    {
        final String template;
        try (InputStream in = HtmlReport.class.getResourceAsStream("stats-report.html"))
        {
            if (in == null)
            {
                throw new IllegalStateException("stats-report.html is missing from the jar");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final int at = template.indexOf(PLACEHOLDER);
        return template.substring(0, at) + report.json() + template.substring(at + PLACEHOLDER.length());
    }
}
