package dev.lifeboat.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.base.Log;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.process.SignalRouter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** {@code --exit-code-on-loss N}: off by default; when set, N replaces the status if something matched was not shipped. */
@EnabledOnOs(OS.LINUX)
class TestExitCodeOnLoss {
    @TempDir
    Path dir;

    private int runs;

    private int supervise(Integer exitCodeOnLoss, List<String> logs) throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive-" + ++runs));
        LifeboatConfig c = Runs.config(archive, archive.resolveSibling(archive.getFileName() + ".spool"), logs, Duration.ofSeconds(10), Duration.ofSeconds(5));
        LifeboatConfig config = new LifeboatConfig(c.destination(), c.logs(), c.gracePeriod(), c.childTimeout(),
                c.runIdTemplate(), c.uploaderOptions(), c.concurrency(), c.retries(), c.outputLimit(), c.processGroup(),
                c.followSymlinks(), c.spoolDirectory(), c.shipInterval(), c.signals(), c.strict(), Log.Format.PLAIN, exitCodeOnLoss);
        int status = new Lifeboat(config, Runs.registry(), Log.stderr(false, false), SignalRouter.detached(), code -> { })
                .supervise(List.of("sh", "-c", "exit 4"));
        JsonNode manifest = Runs.manifest(Runs.runFolder(archive));
        assertEquals(4, manifest.path("child").path("exitCode").asInt(), manifest.toString());
        return status;
    }

    @Test
    void aLossChangesTheStatusOnlyWhenAsked() throws Exception {
        // a matched directory is NOT_REGULAR_FILE: matched, and not shipped
        Path notAFile = Files.createDirectories(dir.resolve("not-a-file"));
        assertEquals(4, supervise(null, List.of(notAFile.toString())), "off by default: the child's status");
        assertEquals(3, supervise(3, List.of(notAFile.toString())), "the loss is reported as 3");
        Path log = Files.writeString(dir.resolve("app.log"), "hello\n");
        assertEquals(4, supervise(3, List.of(log.toString())), "nothing lost: the child's status");
        assertEquals(4, supervise(3, List.of(dir.resolve("none-*.log").toString())), "an empty glob is no loss");
    }

    @Test
    void theManifestSaysWhatWasLost() throws Exception {
        Path notAFile = Files.createDirectories(dir.resolve("not-a-file"));
        assertEquals(7, supervise(7, List.of(notAFile.toString())));
        JsonNode manifest = Runs.manifest(Runs.runFolder(dir.resolve("archive-" + runs)));
        assertFalse(manifest.path("allShipped").asBoolean());
        assertTrue(manifest.path("notShipped").toString().contains("NOT_REGULAR_FILE"), manifest.toString());
    }
}
