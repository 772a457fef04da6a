package dev.lifeboat.examples.container;

import static dev.lifeboat.examples.container.Runs.STOP_TIMEOUT_SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.examples.container.Podman.Result;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as users take it: the image {@code lifeboat:VERSION} built from the tarball by
 * {@code launcher/src/dist/image.sh} ({@code FROM scratch}, the distribution under {@code /opt/lifeboat}, its
 * class data sharing archive made for those paths), and an application image built from
 * {@code examples/docker/Dockerfile}, which copies Lifeboat in with {@code COPY --from=lifeboat:VERSION} and
 * starts it with {@code /opt/lifeboat/bin/lifeboat}. No registry is reachable, so the Dockerfile's base image
 * is replaced ({@code podman build --from}) by a glibc root filesystem made from this machine's Debian packages
 * (libc, libstdc++, zlib, dash, coreutils: {@code glibc-base.sh}) with no Java anywhere in it.
 *
 * <p>Each test checks that {@code java} is absent from the container and that PID 1 is the bundled runtime with
 * Lifeboat's archive mapped, then stops the container with {@code podman stop} or {@code docker stop} (the
 * docker CLI against podman's API) and checks what was shipped.
 */
@Tag("container")
@Timeout(240)
class DistributionImageTest {
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final String VERSION = System.getProperty("lifeboat.version", "0.1.0-SNAPSHOT");
    private static final Path TARBALL = Path.of(System.getProperty("lifeboat.dist",
            "../../launcher/target/lifeboat-" + VERSION + ".tar.gz")).toAbsolutePath().normalize();
    private static final Path IMAGE_SCRIPT = Path.of(System.getProperty("lifeboat.image.script",
            "../../launcher/src/dist/image.sh")).toAbsolutePath().normalize();
    /** What the application image's PID 1 must be: the distribution's own runtime, not a JDK of the machine. */
    private static final String BUNDLED_JAVA = "/opt/lifeboat/runtime/bin/java";
    private static final String ARCHIVE_IN_IMAGE = "/opt/lifeboat/lib/lifeboat.jsa";

    private static Podman podman;
    private static String base;
    private static String app;

    @TempDir
    Path tmp;

    private Path archive;
    private Path logs;
    private final List<Runnable> cleanups = new ArrayList<>();

    /** Built once, in the first test, so that a missing runtime shows as each test skipped. */
    @BeforeEach
    void buildTheImages() throws Exception {
        podman = Podman.require();
        buildOnce();
        archive = Files.createDirectories(tmp.resolve("archive"));
        logs = Files.createDirectories(tmp.resolve("logs"));
    }

    private static synchronized void buildOnce() throws IOException, URISyntaxException {
        if (app != null) {
            return;
        }
        assertTrue(Files.isRegularFile(TARBALL), "the distribution " + TARBALL
                + " is missing: build the launcher first (mvn -B package -DskipTests -pl launcher -am)");
        String lifeboat = "lifeboat:" + VERSION;
        Result image = podman.run(null, List.of("bash", IMAGE_SCRIPT.toString(), TARBALL.toString(), lifeboat));
        if (image.exit() == 3) {
            abort("the distribution has no Java runtime (its JDK has no jlink or no jmods), so there is no image: "
                    + image.stderr().strip());
        }
        image.ok();
        System.out.println("BUILT: " + Podman.lastLine(image.stderr()) + " in " + image.took().toMillis() + " ms");

        Path rootfs = podman.dir().resolve("glibc-base.tar");
        Path script = Path.of(DistributionImageTest.class.getResource("/glibc-base.sh").toURI());
        Result made = podman.run(null, List.of("bash", script.toString(), rootfs.toString()));
        if (made.exit() == 3) {
            abort(made.stderr().strip());
        }
        made.ok();
        List<String> entries = podman.run(null, List.of("tar", "-tf", rootfs.toString())).ok().out().lines().toList();
        assertEquals(List.of(), entries.stream().filter(e -> e.matches("(?i).*/(java|jvm|jre|jdk)[^/]*/?")).toList(),
                "the application's base has nothing named java, jvm, jre or jdk");
        String tag = UUID.randomUUID().toString().substring(0, 8);
        base = "localhost/lifeboat-test-glibc-base:" + tag;
        podman.podman("import", "-q", rootfs.toString(), base).ok();
        Files.delete(rootfs);

        // examples/docker as a user has it: the Dockerfile and run.sh, nothing of Lifeboat's but what COPY --from takes
        Path context = Files.createDirectories(podman.dir().resolve("distribution-app"));
        Path examples = PodmanStopTest.EXAMPLE_APP.getParent();
        Files.copy(examples.resolve("Dockerfile"), context.resolve("Dockerfile"));
        Files.copy(examples.resolve("run.sh"), context.resolve("run.sh"));
        String appImage = "localhost/lifeboat-test-distribution-app:" + tag;
        podman.podman("build", "-q", "--layers=false", "--from", base, "-t", appImage, context.toString()).ok();
        Podman.deleteTree(context);
        app = appImage;
    }

    private static void abort(String why) {
        System.out.println("SKIPPED: " + why);
        Assumptions.abort(why);
    }

    @AfterAll
    static void removeImages() {
        if (podman != null) {
            for (String image : new String[] {app, base}) {
                if (image != null) {
                    podman.podman("rmi", "-f", image);
                }
            }
        }
    }

    @Test
    void podmanStopOnAnImageWithoutJava() throws Exception {
        String name = Podman.uniqueName("distribution");
        cleanups.add(() -> podman.remove(name));
        // the run id by the environment, which the ENTRYPOINT's flags leave to it
        podman.podman("run", "-d", "--name", name, "-e", "LIFEBOAT_RUN_ID=r1",
                "-v", archive + ":/archive", "-v", logs + ":/var/log/app", app).ok();
        assertNoJavaButTheBundledRuntime(args -> podman.podman(prepend("exec", name, args)));
        Runs.awaitLines(logs.resolve("app.log"), 20, STARTUP);

        Result stop = podman.podman("stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

        JsonNode manifest = Runs.assertGracefulStop(podman, name, stop, archive, logs);
        assertEquals("[\"/app/run.sh\"]", manifest.get("command").toString(), "the image's CMD ran as the child");
        Runs.shipped(archive.resolve("r1"), manifest, "stderr.log");
        Runs.record("podman stop -t 10, distribution image", stop.took(), manifest);
    }

    /**
     * As {@code examples/docker/pod.yaml} runs the image: a read-only root, a non-root user, no capabilities, no
     * privilege escalation, the spool on a volume of its own. The distribution needs nothing else written (JNA's
     * library and the archive are read where the image holds them): no warning, no {@code environment} in the
     * manifest, everything shipped.
     */
    @Test
    void hardenedAsThePodRunsItNeedsNothingButTheSpool() throws Exception {
        for (Path dir : List.of(archive, logs)) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        String name = Podman.uniqueName("distribution-hardened");
        cleanups.add(() -> podman.remove(name));
        podman.podman("run", "-d", "--name", name, "--read-only", "--user", "10001:10001", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges", "--tmpfs", "/var/lib/lifeboat:mode=1777",
                "-e", "LIFEBOAT_SPOOL_DIR=/var/lib/lifeboat", "-e", "LIFEBOAT_RUN_ID=r1",
                "-v", archive + ":/archive", "-v", logs + ":/var/log/app", app).ok();
        Runs.awaitLines(logs.resolve("app.log"), 20, STARTUP);

        Result stop = podman.podman("stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

        JsonNode manifest = Runs.assertGracefulStop(podman, name, stop, archive, logs);
        assertTrue(manifest.path("environment").isMissingNode(), "problems worked around: " + manifest.get("environment"));
        String stderr = podman.podman("logs", name).ok().stderr();
        assertFalse(stderr.contains("warning") || stderr.contains("error"), "Lifeboat or the JVM complained: " + stderr);
        Runs.record("podman stop -t 10, distribution image, hardened", stop.took(), manifest);
    }

    @Test
    void dockerStopOnAnImageWithoutJava() throws Exception {
        DockerApi api = DockerApi.start(podman);
        cleanups.add(() -> {
            try {
                api.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        String name = Podman.uniqueName("distribution-docker");
        cleanups.add(0, () -> api.docker("rm", "-f", name));
        api.docker("run", "-d", "--name", name, "-v", archive + ":/archive", "-v", logs + ":/var/log/app", app).ok();
        assertNoJavaButTheBundledRuntime(args -> api.docker(prepend("exec", name, args)));
        Runs.awaitLines(logs.resolve("app.log"), 20, STARTUP);

        Result stop = api.docker("stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

        JsonNode manifest = api.assertGracefulStop(name, stop, archive, logs);
        Runs.record("docker stop -t 10, distribution image", stop.took(), manifest);
    }

    @AfterEach
    void cleanUp() {
        cleanups.forEach(Runnable::run);
    }

    /**
     * Inside the running container: no {@code java} on the PATH, no JDK folder, no JAVA_HOME; PID 1 is the
     * bundled runtime, started by bin/lifeboat with Lifeboat's class data sharing archive, which is mapped.
     */
    private static void assertNoJavaButTheBundledRuntime(Function<String[], Result> exec) {
        Result lookup = exec.apply(new String[] {"sh", "-c", "command -v java"});
        assertNotEquals(0, lookup.exit(), "java is on the container's PATH: " + lookup.out());
        Result folders = exec.apply(new String[] {"sh", "-c",
                "for p in /usr/lib/jvm /usr/bin/java /etc/alternatives/java /opt/java /usr/local/bin/java; do "
                        + "if [ -e \"$p\" ]; then echo \"$p\"; fi; done"});
        assertEquals("", folders.ok().out().strip(), "a JDK or a java command in the application image");
        String env = exec.apply(new String[] {"cat", "/proc/1/environ"}).ok().out();
        assertFalse(List.of(env.split("\0")).stream().anyMatch(v -> v.startsWith("JAVA_HOME=")), "JAVA_HOME is set: " + env);

        assertEquals(BUNDLED_JAVA, exec.apply(new String[] {"readlink", "/proc/1/exe"}).ok().out().strip(),
                "PID 1 is the distribution's runtime");
        String cmdline = exec.apply(new String[] {"cat", "/proc/1/cmdline"}).ok().out().replace('\0', ' ');
        assertTrue(cmdline.startsWith(BUNDLED_JAVA + " "), "PID 1: " + cmdline);
        assertTrue(cmdline.contains("-XX:SharedArchiveFile=" + ARCHIVE_IN_IMAGE + " "),
                "bin/lifeboat took the image's class data sharing archive (its marker names /opt/lifeboat): " + cmdline);
        assertTrue(cmdline.contains(" -jar /opt/lifeboat/lifeboat.jar --destination file:///archive "), "PID 1: " + cmdline);
        String maps = exec.apply(new String[] {"cat", "/proc/1/maps"}).ok().out();
        assertTrue(maps.contains(ARCHIVE_IN_IMAGE), "the JVM mapped no " + ARCHIVE_IN_IMAGE
                + " (the archive was refused: made for other paths, or the jar changed since)");
        assertTrue(maps.contains("/opt/lifeboat/lib/libjnidispatch.so"), "JNA's library is loaded where the distribution holds it");
    }

    private static String[] prepend(String first, String second, String... rest) {
        String[] all = new String[rest.length + 2];
        all[0] = first;
        all[1] = second;
        System.arraycopy(rest, 0, all, 2, rest.length);
        return all;
    }
}
