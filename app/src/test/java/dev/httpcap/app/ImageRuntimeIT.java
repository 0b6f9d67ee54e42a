package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What packaging/Dockerfile builds, without Docker (no daemon here): its own jdeps + jlink step run
 * on the jar this build made, then the runtime stage's file capability and loader path, and the
 * result capturing on loopback as an unprivileged user with CAP_NET_RAW from the file capability
 * alone — in a private mount namespace, so the machine's loader cache is not touched.
 */
class ImageRuntimeIT
{
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldCaptureAsAnUnprivilegedUserOnTheJlinkedRuntimeWithAFileCapability() throws Exception
    {
        ItSupport.requireRoot();
        ItSupport.requireTools("setcap", "setpriv", "unshare", "ldconfig");
        final Path root = ItSupport.repoRoot();
        final String dockerfile = Files.readString(root.resolve("packaging/Dockerfile"));
        // The build stage's RUN that makes the runtime, as written, with /opt/httpcap moved here.
        final int start = dockerfile.indexOf("RUN jdeps ");
        final int end = dockerfile.indexOf("\n\n", start);
        final String jlink = dockerfile.substring(start + 4, end).replace("\\\n", " ")
            .replace("/opt/httpcap", dir.resolve("opt/httpcap").toString());
        Files.createDirectories(dir.resolve("opt/httpcap"));
        final ItSupport.Result built = ItSupport.run("jlink", List.of("bash", "-ec", jlink), null, dir, Duration.ofMinutes(3),
            Map.of("PATH", ItSupport.systemProperty("java.home", "") + "/bin:/usr/bin:/bin"));
        assertEquals(0, built.exitCode(), built::describe);
        final Path java = dir.resolve("opt/httpcap/java/bin/java");
        assertTrue(Files.isExecutable(java), built::describe);
        assertTrue(dockerfile.contains("setcap cap_net_raw+ep /opt/httpcap/java/bin/java"));
        assertTrue(dockerfile.contains("echo /opt/httpcap/java/lib > /etc/ld.so.conf.d/httpcap-java.conf"));

        // The runtime stage: the file capability; the loader finds java's libraries through ld.so.conf.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        final String script = String.join("\n",
            "set -e",
            "setcap cap_net_raw+ep " + java,
            "printf '%s\\ninclude /etc/ld.so.conf.d/*.conf\\n' " + dir.resolve("opt/httpcap/java/lib") + " > " + dir.resolve("ld.so.conf"),
            "ldconfig -C " + dir.resolve("ld.so.cache") + " -f " + dir.resolve("ld.so.conf"),
            "mount --bind " + dir.resolve("ld.so.cache") + " /etc/ld.so.cache",
            "cd /",
            "exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all " + java +
                " --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC" +
                " -jar " + dir.resolve("opt/httpcap/httpcap.jar") + " live -i lo --duration 2 --stats-interval 0 --sink stdout:json");
        Files.setPosixFilePermissions(dir.resolve("opt"), PosixFilePermissions.fromString("rwxr-xr-x"));
        final ItSupport.Result live = ItSupport.run("live", List.of("unshare", "-m", "bash", "-c", script), null, dir,
            Duration.ofMinutes(1), Map.of());
        assertEquals(0, live.exitCode(), live::describe);
        assertTrue(live.stderrText().contains("httpcap: capturing on lo (AF_PACKET"), live::describe);
        assertTrue(live.stderrText().lines().anyMatch(line -> line.startsWith("kernel: ")), live::describe);
    }
}
