package dev.lifeboat.examples.container;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The machine's real container runtime: Debian's podman with runc, run without any image pull. Containers use
 * the machine's own root as an overlay ({@code --rootfs /:O}), or, through the Docker API, an image that holds
 * only the top-level directory skeleton with the host's {@code /usr} and {@code /etc} bind-mounted read-only.
 *
 * <p>The settings live in a {@code containers.conf} passed through {@code CONTAINERS_CONF}: podman 4.3 ignores
 * {@code --ulimit} together with {@code --rootfs}, and its default limits cannot be set on this host
 * ({@code setrlimit ... operation not permitted}).
 *
 * <p>{@link #require()} aborts the calling test, visibly, when podman or runc is missing or cannot start a
 * container here.
 */
final class Podman {
    /** The launcher's fat jar, exactly as it ships. */
    static final Path JAR = Path.of(System.getProperty("lifeboat.jar", "../../launcher/target/lifeboat.jar"))
            .toAbsolutePath().normalize();
    /** An image with only empty top-level directories, for the Docker API, which cannot use --rootfs. */
    static final String SKELETON_IMAGE = "localhost/lifeboat-test-skeleton:1";

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static Podman instance;
    private static String unavailable;

    private final Path dir;
    private final Path containersConf;

    /** What a command did. */
    record Result(List<String> command, int exit, byte[] stdout, String stderr, Duration took) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        Result ok() {
            if (exit != 0) {
                fail(String.join(" ", command) + " exited " + exit + ": " + stderr.strip());
            }
            return this;
        }
    }

    private Podman(Path dir, Path containersConf) {
        this.dir = dir;
        this.containersConf = containersConf;
    }

    /** The runtime, or an aborted test saying why there is none. */
    static synchronized Podman require() {
        if (instance != null) {
            return instance;
        }
        if (unavailable == null) {
            try {
                instance = start();
                return instance;
            } catch (Unavailable e) {
                unavailable = e.getMessage();
            } catch (IOException e) {
                unavailable = "container runtime set-up failed: " + e;
            }
        }
        System.out.println("SKIPPED: " + unavailable);
        Assumptions.abort(unavailable);
        throw new AssertionError("unreachable");
    }

    private static Podman start() throws IOException {
        assertTrue(Files.isRegularFile(JAR), "the fat jar " + JAR + " is missing: build the launcher first (mvn -pl launcher package)");
        for (String tool : List.of("podman", "runc")) {
            if (onPath(tool) == null) {
                throw new Unavailable(tool + " is not installed (bash .ci/container-runtime.sh installs podman, runc and catatonit)");
            }
        }
        Path dir = Files.createTempDirectory("lifeboat-podman-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                deleteTree(dir);
            } catch (IOException e) {
                System.err.println("could not delete " + dir + ": " + e);
            }
        }));
        long nofile = Math.min(hardNofileLimit(), 65536);
        Path conf = dir.resolve("containers.conf");
        Files.writeString(conf, String.join("\n",
                "[containers]",
                "default_ulimits = [\"nofile=" + nofile + ":" + nofile + "\", \"nproc=8192:8192\"]",
                "[engine]",
                "runtime = \"runc\"",
                ""));
        Podman podman = new Podman(dir, conf);
        Result smoke = podman.podman("run", "--rm", "--rootfs", "/:O", "true");
        if (smoke.exit() != 0) {
            throw new Unavailable("podman cannot start a container here: " + lastLine(smoke.stderr()));
        }
        return podman;
    }

    /** {@code podman ARGS}, bounded in time. */
    Result podman(String... args) {
        return run(null, prepend("podman", args));
    }

    /** {@code docker ARGS} against the given Docker API socket, bounded in time. */
    Result docker(String dockerHost, String... args) {
        return run(Map.of("DOCKER_HOST", dockerHost), prepend("docker", args));
    }

    Result run(Map<String, String> env, List<String> command) {
        String id = UUID.randomUUID().toString();
        Path out = dir.resolve(id + ".out");
        Path err = dir.resolve(id + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        environment(builder.environment());
        if (env != null) {
            builder.environment().putAll(env);
        }
        long start = System.nanoTime();
        try {
            Process process = builder.start();
            if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail(String.join(" ", command) + " did not finish within " + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            Result result = new Result(command, process.exitValue(), Files.readAllBytes(out), Files.readString(err), took);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return result;
        } catch (IOException e) {
            throw new AssertionError("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }

    /** The environment every podman process here runs with. */
    void environment(Map<String, String> env) {
        env.put("CONTAINERS_CONF", containersConf.toString());
    }

    Path dir() {
        return dir;
    }

    /** The skeleton image, imported once from a tar of empty top-level directories. */
    void ensureSkeletonImage() throws IOException {
        if (podman("image", "exists", SKELETON_IMAGE).exit() == 0) {
            return;
        }
        Path root = Files.createTempDirectory(dir, "skeleton-");
        for (String d : List.of("dev", "proc", "sys", "tmp", "etc", "usr", "var", "run", "root", "opt", "app", "archive")) {
            Files.createDirectories(root.resolve(d));
        }
        for (String link : List.of("bin", "lib", "lib64", "sbin")) {
            Files.createSymbolicLink(root.resolve(link), Path.of("usr", link));
        }
        Path tar = dir.resolve("skeleton.tar");
        run(null, List.of("tar", "-C", root.toString(), "-cf", tar.toString(), ".")).ok();
        podman("import", tar.toString(), SKELETON_IMAGE).ok();
        deleteTree(root);
        Files.delete(tar);
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A container name no other run uses. */
    static String uniqueName(String what) {
        return "lifeboat-test-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** The container's recorded exit code. */
    int exitCode(String container) {
        return Integer.parseInt(podman("inspect", "--format", "{{.State.ExitCode}}", container).ok().out().strip());
    }

    /** The command line of the container's PID 1, arguments separated by spaces. */
    String pid1(String container) {
        return podman("exec", container, "cat", "/proc/1/cmdline").ok().out().replace('\0', ' ').strip();
    }

    /** Removes the container, killing it first if it still runs. */
    void remove(String container) {
        podman("rm", "-f", "-t", "0", container);
    }

    static String onPath(String tool) {
        for (String entry : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(entry, tool);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    private static long hardNofileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                return fields[1].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(fields[1]);
            }
        }
        return 1024;
    }

    private static List<String> prepend(String first, String... rest) {
        List<String> command = new ArrayList<>();
        command.add(first);
        command.addAll(Arrays.asList(rest));
        return command;
    }

    static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }
}
