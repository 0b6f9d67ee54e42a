package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code httpcap stats --format html} in a real browser: record a varied capture
 * (scripts/record-http-mix.sh), write the JSON and the HTML report of it, open the HTML in headless
 * Chromium (Debian's {@code chromium}, {@code --dump-dom}: the page after its script ran, offline)
 * and check that the script ran to its end with no error, that the plots were drawn (the lines of
 * requests, errors and three latency percentiles; bars of status codes and endpoints), and that
 * every number the page shows with a {@code data-key} equals the JSON report's. It also takes a
 * screenshot ({@code stats-report.png} in the work directory: {@code -Dhttpcap.it.workdir=DIR} keeps it).
 * <p>Needs root, tcpdump, nginx, curl and chromium: skipped without them, failed when CI is set.
 */
class StatsHtmlIT
{
    private static final Pattern KEYED = Pattern.compile("data-key=\"([^\"]+)\"[^>]*>([^<]*)<");

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void htmlReportShowsTheJsonNumbers(@TempDir final Path tempDir) throws IOException, InterruptedException
    {
        ItSupport.requireTools("tcpdump", "nginx", "curl", "chromium");
        ItSupport.requireRoot();
        final Path dir = FlowsMatchTsharkIT.workDir(tempDir);
        final Path pcap = dir.resolve("html-mix.pcap");
        final ItSupport.Result recording = ItSupport.run("record", List.of(
            ItSupport.repoRoot().resolve("scripts/record-http-mix.sh").toString(), pcap.toString(), "3"), null, dir,
            Duration.ofMinutes(3), Map.of());
        assertEquals(0, recording.exitCode(), recording::describe);

        final Path json = dir.resolve("stats.json");
        final Path html = dir.resolve("stats.html");
        for (final List<String> args : List.of(
            List.of("stats", pcap.toString(), "--format", "json", "--interval", "0.1", "-o", json.toString()),
            List.of("stats", pcap.toString(), "--format", "html", "--interval", "0.1", "-o", html.toString())))
        {
            final ItSupport.Result run = ItSupport.httpcap("stats", args, null, dir, Duration.ofMinutes(2));
            assertEquals(0, run.exitCode(), run::describe);
        }
        final JsonNode report = new ObjectMapper().readTree(json.toFile());
        final String page = Files.readString(html);
        // Self-contained: nothing to load (no src, href, url() or @import), and a policy that forbids loading.
        for (final String loads : List.of(" src=", " href=", "url(", "@import", "fetch(", "XMLHttpRequest"))
        {
            assertTrue(!page.contains(loads), () -> "the page contains " + loads);
        }
        assertTrue(page.contains("Content-Security-Policy\" content=\"default-src 'none'"), "the page forbids network access");

        final Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
        final List<String> chromium = List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--user-data-dir=" + profile, "--virtual-time-budget=5000");
        final List<String> dump = new ArrayList<>(chromium);
        dump.addAll(List.of("--dump-dom", html.toUri().toString()));
        final ItSupport.Result dom = ItSupport.run("chromium-dom", dump, null, dir, Duration.ofMinutes(2), Map.of());
        assertEquals(0, dom.exitCode(), dom::describe);
        final String rendered = dom.stdoutText();

        final List<String> problems = new ArrayList<>();
        if (!rendered.contains("data-rendered=\"ok\""))
        {
            problems.add("the script did not run to its end");
        }
        if (!rendered.contains("data-errors=\"0\""))
        {
            problems.add("script errors: " + between(rendered, "<pre id=\"errors\">", "</pre>"));
        }
        final int lines = count(rendered, "<path class=\"series\"");
        final int bars = count(rendered, "<rect class=\"bar\"");
        if (lines < 5)
        {
            problems.add("expected the 5 lines of the time plots, found " + lines);
        }
        if (bars < report.at("/http_tree/responses_by_code").size() + 3)
        {
            problems.add("expected a bar per status code and per endpoint percentile, found " + bars);
        }

        int compared = 0;
        final Matcher keyed = KEYED.matcher(rendered);
        while (keyed.find())
        {
            final String key = keyed.group(1);
            final String shown = keyed.group(2).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                .replace("&quot;", "\"").replace("&#39;", "'");
            final String expected = expected(report, key);
            compared++;
            if (!shown.replace(",", "").equals(expected.replace(",", "")))
            {
                problems.add(key + ": page shows '" + shown + "', the JSON says '" + expected + "'");
            }
        }
        if (compared < 60)
        {
            problems.add("only " + compared + " numbers with a data-key on the page");
        }

        final List<String> shot = new ArrayList<>(chromium);
        shot.addAll(List.of("--window-size=1280,1800", "--hide-scrollbars", "--screenshot=" + dir.resolve("stats-report.png"),
            html.toUri().toString()));
        final ItSupport.Result screenshot = ItSupport.run("chromium-screenshot", shot, null, dir, Duration.ofMinutes(2), Map.of());
        assertEquals(0, screenshot.exitCode(), screenshot::describe);
        assertTrue(Files.size(dir.resolve("stats-report.png")) > 10_000, "a screenshot with something in it");
        System.out.println("[StatsHtmlIT] compared " + compared + " numbers, " + lines + " lines, " + bars + " bars; page "
            + Files.size(html) + " bytes");
        if (!problems.isEmpty())
        {
            fail("the HTML report disagrees with the JSON report\n  " + String.join("\n  ", problems));
        }
    }

    /** The JSON value a data-key names, as the page formats it. */
    static String expected(final JsonNode r, final String key)
    {
        final String[] k = key.split("\\.", 3);
        switch (k[0])
        {
            case "total":
                return switch (k[1])
                {
                    case "errors" -> String.valueOf(r.at("/total/errors_4xx").asLong() + r.at("/total/errors_5xx").asLong());
                    case "p50", "p90", "p99", "max" -> ms(r.at("/total/latency_us/" + k[1]));
                    default -> String.valueOf(r.at("/total/" + k[1]).asLong());
                };
            case "conversations":
                if (k.length == 1)
                {
                    return String.valueOf(r.at("/conversations").size());
                }
                return String.valueOf(r.at("/conversations/" + k[1] + "/" + k[2]).asLong());
            case "ledger":
                return String.valueOf(r.at("/ledger/" + k[1] + "/" + k[2]).asLong());
            case "tags":
                return String.valueOf(r.at("/tags/" + key.substring("tags.".length())).asLong());
            case "endpoint", "host", "client":
            {
                final JsonNode g = r.at("/" + k[0] + "s/" + k[1]);
                return switch (k[2])
                {
                    case "name" -> g.at("/name").asText();
                    case "errors" -> String.valueOf(g.at("/errors_4xx").asLong() + g.at("/errors_5xx").asLong());
                    case "p50", "p90", "p99", "max" -> ms(g.at("/latency_us/" + k[2]));
                    default -> String.valueOf(g.at("/" + k[2]).asLong());
                };
            }
            default:
                return "<no such key in the JSON: " + key + ">";
        }
    }

    private static String ms(final JsonNode micros)
    {
        return micros.isMissingNode() ? "-" : String.format(Locale.ROOT, "%.3f", micros.asLong() / 1000.0);
    }

    private static int count(final String text, final String what)
    {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1))
        {
            n++;
        }
        return n;
    }

    private static String between(final String text, final String from, final String to)
    {
        final int a = text.indexOf(from);
        final int b = a < 0 ? -1 : text.indexOf(to, a);
        return a < 0 || b < 0 ? "?" : text.substring(a + from.length(), b);
    }
}
