package dev.lifeboat.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lifeboat.base.RunInfo;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.uploader.file.FileUploaderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Claims at a real file:// destination, which creates a claim conditionally (O_EXCL) and reads it back. */
class TestRunClaim {
    @TempDir
    Path dir;

    private final RunInfo run = new RunInfo("host/run", Instant.parse("2026-12-08T04:00:00Z"), "host", List.of("app"));

    private Uploader uploader() throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive"));
        return new FileUploaderFactory().create(archive.toUri(), Map.of(), null);
    }

    private static UploadControl control() {
        return UploadControl.withTimeout(Duration.ofSeconds(30));
    }

    @Test
    void aRunFindsItsOwnClaimAgainWhenTheFirstCallWasCutShortAfterItLanded() throws Exception {
        try (Uploader uploader = uploader()) {
            // the claim made while the child ran landed, but its call was cut by the stop: the stop claims again
            assertEquals("host/run", RunClaim.atDestination(uploader, run, dir.resolve("spool"), "run-a", control())
                    .run().runId());
            RunClaim.AtDestination again = RunClaim.atDestination(uploader, run, dir.resolve("spool"), "run-a", control());
            assertEquals("host/run", again.run().runId());
            assertEquals("created before", again.how());
        }
    }

    @Test
    void anotherRunWithTheSameIdTakesTheNextOne() throws Exception {
        try (Uploader uploader = uploader()) {
            RunClaim.atDestination(uploader, run, dir.resolve("spool-a"), "run-a", control());
            RunClaim.AtDestination second = RunClaim.atDestination(uploader, run, dir.resolve("spool-b"), "run-b", control());
            assertEquals("host/run-2", second.run().runId());
            assertEquals("created", second.how());
        }
    }
}
