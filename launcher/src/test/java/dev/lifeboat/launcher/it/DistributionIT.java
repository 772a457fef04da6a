package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-contained distribution as a user gets it: {@code lifeboat-VERSION.tar.gz} unpacked somewhere
 * else than where it was built, run through its {@code bin/lifeboat} with no Java on the PATH and no
 * JAVA_HOME, so that only its own runtime can run it; its class data sharing archive made again for the new
 * place with {@code bin/lifeboat-cds} and then used. Skipped, visibly, when the build could not link a
 * runtime (a JDK without its modules to link from).
 */
class DistributionIT {
    private static final Path TARGET = LifeboatProcess.JAR.toAbsolutePath().getParent();
    /** What bin/lifeboat, bin/lifeboat-cds and the child need from the system, and no java. */
    private static final List<String> TOOLS = List.of("sh", "env", "dirname", "cat", "echo", "tr", "head", "sed", "mktemp",
            "rm", "mkdir", "du", "cut", "printf", "readlink", "sleep");

    @TempDir
    static Path dir;
    private static Path home;
    private static Path path;

    @BeforeAll
    static void unpack() throws Exception {
        Path tarball;
        try (Stream<Path> files = Files.list(TARGET)) {
            tarball = files.filter(p -> p.getFileName().toString().matches("lifeboat-.*\\.tar\\.gz")).findFirst().orElse(null);
        }
        assumeTrue(tarball != null, "no distribution was built in " + TARGET);
        assertEquals(0, run(List.of("tar", "-xzf", tarball.toString(), "-C", dir.toString()), Map.of()).exit);
        try (Stream<Path> unpacked = Files.list(dir)) {
            home = unpacked.filter(p -> p.getFileName().toString().startsWith("lifeboat-")).findFirst().orElseThrow();
        }
        assumeTrue(Files.isExecutable(home.resolve("runtime/bin/java")),
                "the build linked no runtime (see [dist] in the build's output), skipped");
        path = Files.createDirectories(dir.resolve("tools"));
        for (String tool : TOOLS) {
            for (String d : List.of("/usr/bin", "/bin")) {
                Path found = Path.of(d, tool);
                if (Files.isExecutable(found) && !Files.exists(path.resolve(tool))) {
                    Files.createSymbolicLink(path.resolve(tool), found);
                }
            }
        }
    }

    record Result(int exit, String stdout, String stderr) {}

    private static Result run(List<String> command, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LIFEBOAT_") || k.startsWith("JAVA") || k.startsWith("_JAVA")
                || k.equals("_LIFEBOAT_SIGNALS"));
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("still running after 120 s: " + command + "\n" + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    /** A run of the unpacked bin/lifeboat with only {@link #TOOLS} on the PATH; the child prints its parent's JVM. */
    private static Result lifeboat(String runId, Map<String, String> env) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(Map.of("PATH", path.toString()));
        all.putAll(env);
        return run(List.of(home.resolve("bin/lifeboat").toString(), "--destination", dir.resolve("archive").toUri().toString(),
                "--run-id", runId, "--spool-dir", dir.resolve("spool").toString(), "--",
                "sh", "-c", "readlink /proc/$PPID/exe; exit 7"), all);
    }

    @Test
    void runsOnItsOwnRuntimeWithNoJavaInstalled() throws Exception {
        Result r = lifeboat("own-runtime", Map.of());
        assertEquals(7, r.exit, "the child's status is passed on\n" + r.stderr);
        String jvm = Files.readString(dir.resolve("archive/own-runtime/stdout.log")).trim();
        assertEquals(home.resolve("runtime/bin/java").toRealPath().toString(), jvm, "the bundled runtime ran Lifeboat");
        JsonNode manifest = LifeboatProcess.json(dir.resolve("archive/own-runtime/manifest.json"));
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        assertFalse(r.stdout.contains("cds") || r.stdout.contains("warning"), "nothing of the JVM's on the child's stdout: " + r.stdout);

        Result version = run(List.of(home.resolve("bin/lifeboat").toString(), "--version"), Map.of("PATH", path.toString()));
        assertEquals(0, version.exit, version.stderr);
        assertTrue(version.stdout.contains("lifeboat ") && version.stdout.contains("commit ")
                && version.stdout.contains(home.resolve("runtime").toString()), version.stdout);
    }

    @Test
    void theRuntimeHoldsTheModulesListedAndLittleElse() throws Exception {
        Result modules = run(List.of(home.resolve("runtime/bin/java").toString(), "--list-modules"), Map.of());
        assertEquals(0, modules.exit, modules.stderr);
        List<String> names = modules.stdout.lines().map(l -> l.replaceAll("@.*", "")).toList();
        List<String> listed = Files.readAllLines(home.resolve("lib/modules.txt")).stream()
                .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        assertTrue(listed.containsAll(List.of("java.base", "jdk.unsupported", "java.naming", "jdk.crypto.ec")),
                "what Lifeboat's own code and its backends use: " + listed);
        assertTrue(names.containsAll(listed), "every module listed is linked: " + names + " against " + listed);
        assertFalse(names.contains("jdk.compiler") || names.contains("jdk.jshell") || names.contains("jdk.jlink"),
                "no compiler, shell or linker: " + names);
        assertTrue(names.size() * 2 < java.lang.module.ModuleFinder.ofSystem().findAll().size(),
                "fewer than half a JDK's modules: " + names);
    }

    /** The list's [jdeps] part is what jdeps finds now: a dependency added or removed shows here. */
    @Test
    void theModuleListAgreesWithJdeps() throws Exception {
        assumeTrue(LifeboatProcess.JAVA.equals(Path.of(System.getProperty("java.home"), "bin", "java").toString()),
                "checked once, in the run on the build's own JDK");
        Path jdeps = Path.of(System.getProperty("java.home"), "bin", "jdeps");
        assumeTrue(Files.isExecutable(jdeps), "no jdeps in " + System.getProperty("java.home"));
        Result found = run(List.of(jdeps.toString(), "--multi-release", "17", "--ignore-missing-deps", "--print-module-deps",
                LifeboatProcess.JAR.toString()), Map.of());
        assertEquals(0, found.exit, found.stderr);
        List<String> source = Files.readAllLines(Path.of("src/dist/modules.txt"));
        int added = source.indexOf(source.stream().filter(l -> l.startsWith("# [added]")).findFirst().orElseThrow());
        List<String> listed = source.subList(0, added).stream().filter(l -> !l.startsWith("#") && !l.isBlank())
                .map(l -> l.replaceFirst("^-", "").split("\\s+")[0]).toList();
        assertEquals(List.of(found.stdout.trim().split(",")), listed,
                "launcher/src/dist/modules.txt's [jdeps] part against what jdeps finds in the jar");
    }

    @Test
    void theArchiveIsMadeAgainForWhereTheDistributionLiesAndThenUsed() throws Exception {
        Path archive = home.resolve("lib/lifeboat.jsa");
        Path madeFor = home.resolve("lib/lifeboat.jsa.for");
        // made where the build put the distribution: not for this place, so bin/lifeboat leaves it alone
        if (Files.exists(madeFor)) {
            assertFalse(Files.readString(madeFor).contains(home.toString()), Files.readString(madeFor));
        }
        Result before = lifeboat("archive-before", Map.of("LIFEBOAT_JAVA_OPTS", "-Xlog:class+load=info:stderr"));
        assertEquals(7, before.exit, before.stderr);
        assertFalse(before.stderr.contains("dev.lifeboat.launcher.Main source: shared objects file"), "no archive of Lifeboat's used yet");

        Result made = run(List.of(home.resolve("bin/lifeboat-cds").toString()), Map.of("PATH", path.toString()));
        assertEquals(0, made.exit, made.stderr);
        assertTrue(Files.size(archive) > 0);
        assertEquals(home.resolve("runtime/bin/java") + " " + home.resolve("lifeboat.jar"), Files.readString(madeFor).trim());

        Result after = lifeboat("archive-after", Map.of("LIFEBOAT_JAVA_OPTS", "-Xlog:class+load=info:stderr"));
        assertEquals(7, after.exit, after.stderr);
        assertTrue(after.stderr.contains("dev.lifeboat.launcher.Main source: shared objects file (top)"),
                "Lifeboat's classes come from its archive:\n" + after.stderr.lines().filter(l -> l.contains("dev.lifeboat"))
                        .limit(5).toList());
        assertFalse(after.stderr.contains("Unable to use shared archive"), after.stderr);
    }
}
