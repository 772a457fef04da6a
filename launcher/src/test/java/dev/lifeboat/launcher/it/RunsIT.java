package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every run leaves, with the real fat jar: its own folders (never another run's), a manifest even
 * when the command cannot be started or the stop comes at once, no credential in any output, and a
 * closed stdin that stays closed for the child.
 */
class RunsIT {
    @TempDir
    Path dir;

    private List<String> args(String... more) {
        List<String> args = new ArrayList<>(List.of("--destination", dir.resolve("archive").toUri().toString(),
                "--spool-dir", dir.resolve("spool").toString()));
        args.addAll(Arrays.asList(more));
        return args;
    }

    /** Every manifest under {@code root}, by the folder it is in. */
    private static List<Path> manifests(Path root, String name) throws Exception {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(p -> p.getFileName().toString().equals(name)).sorted().toList();
        }
    }

    private static List<Path> localManifests(Path spool) throws Exception {
        if (!Files.isDirectory(spool)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(spool)) {
            return all.filter(p -> p.getFileName().toString().matches("manifest-.*\\.json")).sorted().toList();
        }
    }

    @Test
    void runsInARowNeverOverwriteEachOtherWithTheDefaultIdOrAFixedOne() throws Exception {
        for (List<String> template : List.of(List.<String>of(), List.of("--run-id", "fixed"))) {
            Path archive = dir.resolve("archive");
            for (int i = 1; i <= 3; i++) {
                List<String> a = new ArrayList<>(template);
                a.addAll(List.of("--", "sh", "-c", "echo run " + i + "; echo err " + i + " >&2"));
                LifeboatProcess lb = LifeboatProcess.start(dir, args(a.toArray(new String[0])));
                assertEquals(0, lb.waitFor(60), lb.stderr());
            }
            List<Path> found = manifests(archive, "manifest.json");
            assertEquals(3, found.size(), "three runs, three folders: " + found);
            Set<String> outputs = new TreeSet<>();
            for (Path manifest : found) {
                outputs.add(Files.readString(manifest.resolveSibling("stdout.log"), StandardCharsets.UTF_8)
                        + Files.readString(manifest.resolveSibling("stderr.log"), StandardCharsets.UTF_8));
                JsonNode m = LifeboatProcess.json(manifest);
                assertTrue(m.get("location").asText().endsWith("/" + m.get("runId").asText()), m.toPrettyString());
            }
            assertEquals(Set.of("run 1\nerr 1\n", "run 2\nerr 2\n", "run 3\nerr 3\n"), outputs,
                    "every run's output kept, none replaced");
            assertEquals(3, localManifests(dir.resolve("spool")).size(), "three local copies");
            if (!template.isEmpty()) {
                for (String id : List.of("fixed", "fixed-2", "fixed-3")) {
                    assertTrue(Files.exists(archive.resolve(id).resolve("manifest.json")), id);
                }
            }
            // the next template starts from empty folders
            for (Path p : List.of(archive, dir.resolve("spool"))) {
                try (Stream<Path> all = Files.walk(p)) {
                    all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    @Test
    void aCommandThatIsNotFoundLeavesAManifestAtTheDestinationAndInTheSpool() throws Exception {
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--run-id", "run", "--", "lifeboat-no-such-command", "x"));
        assertEquals(127, lb.waitFor(60));
        JsonNode m = LifeboatProcess.json(dir.resolve("archive/run/manifest.json"));
        assertEquals("CHILD_START_FAILED", m.at("/stop/reason").asText());
        assertTrue(m.at("/stop/detail").asText().contains("lifeboat-no-such-command"), m.toPrettyString());
        List<Path> local = localManifests(dir.resolve("spool"));
        assertEquals(1, local.size(), local.toString());
        assertEquals("CHILD_START_FAILED", LifeboatProcess.json(local.get(0)).at("/stop/reason").asText());
        try (Stream<Path> files = Files.list(local.get(0).getParent())) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".spool")), "no empty capture files");
        }
    }

    /**
     * A stop sent as soon as the process exists, before the shipping side is built: the run that got as far
     * as its configuration (its spool folder exists) leaves a local manifest that says what stopped it.
     * Started with bin/lifeboat: plain java -jar has a documented window, while its JVM replaces itself, in
     * which a stop is lost (the README's Signals).
     */
    @Test
    void aStopRightAtTheStartLeavesAManifest() throws Exception {
        Path launcher = Path.of(System.getProperty("user.dir")).resolve("../bin/lifeboat").normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(launcher), "no " + launcher);
        for (long delayMs : new long[] {0, 30, 60, 100, 150, 250, 400}) {
            Path spool = dir.resolve("spool-" + delayMs);
            LifeboatProcess lb = LifeboatProcess.start(dir, List.of(launcher.toString()), List.of("--destination",
                    dir.resolve("archive").toUri().toString(), "--spool-dir", spool.toString(), "--run-id",
                    "early-" + delayMs, "--", "sleep", "30"), java.util.Map.of("LIFEBOAT_JAVA", LifeboatProcess.JAVA,
                    "LIFEBOAT_JAR", LifeboatProcess.JAR.toAbsolutePath().toString()));
            Thread.sleep(delayMs);
            lb.signal("TERM");
            int status = lb.waitFor(60);
            if (!Files.isDirectory(spool)) {
                // the JVM had not reached Lifeboat's configuration: nothing to record, and nothing started
                assertEquals(143, status, lb.stderr());
                continue;
            }
            List<Path> local = localManifests(spool);
            assertEquals(1, local.size(), "a local manifest after a stop " + delayMs + " ms in: " + local + "\n"
                    + lb.stderr());
            JsonNode m = LifeboatProcess.json(local.get(0));
            assertEquals("SIGNAL", m.at("/stop/reason").asText(), m.toPrettyString());
            assertEquals("SIGTERM", m.at("/stop/signal").asText());
            assertTrue(Files.exists(dir.resolve("archive/early-" + delayMs + "/manifest.json")), lb.stderr());
        }
    }

    @Test
    void aClosedStdinIsDevNullForTheChildNotAFileOfTheJvms() throws Exception {
        List<String> prefix = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" <&-", "sh"));
        prefix.addAll(LifeboatProcess.javaCommand(false));
        LifeboatProcess lb = LifeboatProcess.start(dir, prefix, args("--run-id", "run", "--", "sh", "-c",
                "wc -c; ls -l /proc/self/fd/0 >&2"));
        assertEquals(0, lb.waitFor(60), lb.stderr());
        assertEquals("0", Files.readString(dir.resolve("archive/run/stdout.log")).trim(),
                "the child reads nothing from stdin: " + Files.readString(dir.resolve("archive/run/stderr.log")));
        assertTrue(Files.readString(dir.resolve("archive/run/stderr.log")).contains("/dev/null"),
                Files.readString(dir.resolve("archive/run/stderr.log")));
    }

    /** A stdin Lifeboat was given is the child's, as it is. */
    @Test
    void aGivenStdinIsPassedOn() throws Exception {
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--run-id", "run", "--", "sh", "-c", "wc -c"));
        lb.process.getOutputStream().write("12345".getBytes(StandardCharsets.UTF_8));
        lb.process.getOutputStream().close();
        assertEquals(0, lb.waitFor(60), lb.stderr());
        assertEquals("5", Files.readString(dir.resolve("archive/run/stdout.log")).trim());
    }

    /** A password in the destination's user-info appears nowhere: not in a log line, an error, or a manifest. */
    @Test
    void aPasswordInTheDestinationIsNeverPrinted() throws Exception {
        String secret = "PASSWORD" + Long.toHexString(System.nanoTime());
        List<String> everything = new ArrayList<>();
        // a run to an unreachable namenode, with --debug: every line it logs, the stack traces too
        LifeboatProcess run = LifeboatProcess.start(dir, List.of("--destination", "hdfs://u:" + secret + "@127.0.0.1:1/x",
                "--spool-dir", dir.resolve("spool").toString(), "--run-id", "run", "--grace-period", "4s", "--debug",
                "--", "sh", "-c", "echo hi"));
        run.waitFor(60);
        everything.add(run.stdout());
        everything.add(run.stderr());
        // refusals and checks of each scheme
        for (String uri : List.of("s3://AKIA:" + secret + "@bucket/p", "gs://u:" + secret + "@bucket/p",
                "file://u:" + secret + "@/nowhere", "hdfs://u:" + secret + "@127.0.0.1:1/x",
                "webdav://u:" + secret + "@127.0.0.1:1/x")) {
            LifeboatProcess check = LifeboatProcess.start(dir, List.of("check", "--destination", uri, "--grace-period", "3s",
                    "--debug"));
            check.waitFor(60);
            everything.add(check.stdout());
            everything.add(check.stderr());
        }
        for (Path local : localManifests(dir.resolve("spool"))) {
            everything.add(Files.readString(local));
        }
        assertFalse(localManifests(dir.resolve("spool")).isEmpty(), "the run left a local manifest");
        String all = String.join("\n", everything);
        assertFalse(all.contains(secret), all);
        assertTrue(all.contains("hdfs://***@127.0.0.1:1/x"), "the destination is still named, without its user-info:\n" + all);
    }
}
