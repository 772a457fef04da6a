package dev.lifeboat.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.lifeboat.base.Log;
import dev.lifeboat.ship.RunRecord;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which runs in the spool are unfinished; the whole take-up after a real hard kill is ResumeIT's. */
class TestResume {
    @TempDir
    Path dir;

    private Path runFolder(String name, boolean record, boolean manifest) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("spool").resolve(name));
        if (record) {
            Files.writeString(folder.resolve(RunRecord.FILE), "{}");
        }
        if (manifest) {
            Files.writeString(folder.resolve("manifest-" + name + ".json"), "{}");
        }
        return folder;
    }

    private Resume resume(Path current) {
        return new Resume(Runs.config(dir.resolve("archive"), current, List.of(), Duration.ofSeconds(10),
                Duration.ofSeconds(5)), current, Runs.registry(), Log.stderr(false, true));
    }

    @Test
    void aRunWithARecordAndNoManifestIsUnfinished() throws Exception {
        Path current = runFolder("current", true, false);
        Path killed = runFolder("killed", true, false);
        runFolder("finished", true, true);
        runFolder("older-layout", false, false);
        assertEquals(List.of(killed), resume(current).unfinished(), "not the new run's own, nor a finished one");
    }

    @Test
    void aRunThatALiveLifeboatHoldsIsNotTakenUp() throws Exception {
        Path current = runFolder("current", true, false);
        Path alive = runFolder("alive", true, false);
        try (FileChannel channel = FileChannel.open(alive.resolve(RunRecord.LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             FileLock lock = channel.lock()) {
            // a lock this JVM holds: another Lifeboat's, as far as the run is concerned
            assertFalse(resume(current).finish(alive), "held by a live run");
        }
    }
}
