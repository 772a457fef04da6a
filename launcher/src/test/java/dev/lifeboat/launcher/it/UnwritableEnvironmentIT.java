package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A spool or a destination that cannot be written (a read-only root filesystem, say) does not keep the
 * child from starting: Lifeboat warns once, captures the child's output in memory, ships at the stop and
 * records the problem in the manifest; {@code --strict} makes it exit 2 before the child instead. The
 * unwritable paths lie under a regular file, which stops root too.
 */
class UnwritableEnvironmentIT {
    /** The child: proves it ran, writes to both streams, exits 3. */
    private static final String CHILD = "touch \"$0\"; echo hello; echo oops >&2; exit 3";

    @TempDir
    Path dir;

    /** Unique, so that runs of this test never share a folder in the memory filesystem. */
    private final String runId = "unwritable-" + UUID.randomUUID();

    @AfterEach
    void removeMemoryFolder() throws IOException {
        Path folder = Path.of("/dev/shm/lifeboat", runId);
        if (Files.exists(folder)) {
            try (Stream<Path> paths = Files.walk(folder)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private Path blocked() throws IOException {
        return Files.writeString(dir.resolve("blocked"), "a regular file, not a folder");
    }

    private LifeboatProcess run(Path destination, Path spool, String... more) throws Exception {
        LifeboatProcess.assumeJava();
        List<String> args = new ArrayList<>(List.of("--destination", destination.toUri().toString(),
                "--spool-dir", spool.toString(), "--run-id", runId));
        args.addAll(List.of(more));
        args.addAll(List.of("--", "sh", "-c", CHILD, dir.resolve("started").toString()));
        return LifeboatProcess.start(dir, args);
    }

    private static long count(String text, String part) {
        return text.lines().filter(l -> l.contains(part)).count();
    }

    @Test
    void anUnwritableSpoolKeepsTheOutputInMemoryAndTheChildStarts() throws Exception {
        Path archive = dir.resolve("archive");
        LifeboatProcess lb = run(archive, blocked().resolve("spool"));
        assertEquals(3, lb.waitFor(60), "the child ran and its status is passed on\n" + lb.stderr());
        assertTrue(Files.exists(dir.resolve("started")), "the child started");
        String stderr = lb.stderr();
        assertEquals(1, count(stderr, "warning: --spool-dir: cannot write to " + dir.resolve("blocked")),
                "one warning:\n" + stderr);
        assertEquals(1, count(stderr, "kept in memory"), stderr);

        Path shipped = archive.resolve(runId);
        JsonNode manifest = LifeboatProcess.json(shipped.resolve("manifest.json"));
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        JsonNode environment = manifest.get("environment");
        assertEquals(1, environment.size(), manifest.toPrettyString());
        String problem = environment.get(0).asText();
        assertTrue(problem.contains("cannot write to " + dir.resolve("blocked")) && problem.contains("kept in memory")
                && problem.contains("continuous shipping") && problem.contains("after a hard kill"), problem);
        assertEquals("hello\n", Files.readString(shipped.resolve("stdout.log")), "stdout captured in memory and shipped");
        assertEquals("oops\n", Files.readString(shipped.resolve("stderr.log")), "stderr captured in memory and shipped");
    }

    @Test
    void noWritableTempDirectoryForJnaStillStartsTheChild() throws Exception {
        // JNA's own choices for its native library, the user's cache and java.io.tmpdir, cannot be written
        Path blocked = blocked();
        List<String> jvm = new ArrayList<>(LifeboatProcess.javaCommand(false));
        jvm.add(1, "-Djava.io.tmpdir=" + blocked.resolve("tmp"));
        LifeboatProcess.assumeJava();
        LifeboatProcess lb = LifeboatProcess.start(dir, jvm, List.of("--destination", dir.resolve("archive").toUri().toString(),
                "--run-id", runId, "--", "sh", "-c", CHILD, dir.resolve("started").toString()),
                java.util.Map.of("XDG_CACHE_HOME", blocked.resolve("cache").toString()));
        assertEquals(3, lb.waitFor(60), "the child ran and its status is passed on\n" + lb.stderr());
        assertTrue(Files.exists(dir.resolve("started")), "the child started");
        assertEquals("hello\n", Files.readString(dir.resolve("archive").resolve(runId).resolve("stdout.log")));
    }

    @Test
    void strictExitsBeforeTheChildWhenTheSpoolIsUnwritable() throws Exception {
        LifeboatProcess lb = run(dir.resolve("archive"), blocked().resolve("spool"), "--strict");
        assertEquals(2, lb.waitFor(60), lb.stderr());
        assertFalse(Files.exists(dir.resolve("started")), "the child never started");
        assertEquals(List.of(), lb.stderr().lines().filter(l -> !l.startsWith("lifeboat ")).toList(),
                "one line, no stack trace:\n" + lb.stderr());
        assertEquals(1, count(lb.stderr(), "error: --spool-dir: cannot write to"), lb.stderr());
    }

    @Test
    void anUnwritableFileDestinationIsAWarningAndInTheLocalManifest() throws Exception {
        Path spool = dir.resolve("spool");
        LifeboatProcess lb = run(blocked().resolve("archive"), spool);
        assertEquals(3, lb.waitFor(60), "the child ran and its status is passed on\n" + lb.stderr());
        assertTrue(Files.exists(dir.resolve("started")), "the child started");
        assertEquals(1, count(lb.stderr(), "warning: destination "), lb.stderr());
        JsonNode manifest = LifeboatProcess.json(spool.resolve(runId).resolve("manifest-" + runId + ".json"));
        assertFalse(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        assertTrue(manifest.get("environment").get(0).asText().contains("cannot be written"), manifest.toPrettyString());
    }

    @Test
    void strictExitsBeforeTheChildWhenTheDestinationIsUnwritable() throws Exception {
        LifeboatProcess lb = run(blocked().resolve("archive"), dir.resolve("spool"), "--strict");
        assertEquals(2, lb.waitFor(60), lb.stderr());
        assertFalse(Files.exists(dir.resolve("started")), "the child never started");
        assertEquals(1, count(lb.stderr(), "cannot be written"), lb.stderr());
    }
}
