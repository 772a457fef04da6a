package dev.lifeboat.lifecycle;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.base.Log;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.spi.Uploader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The uploader made ready while the child runs, and tried again at shipping time when it was not. */
class TestUploaderService {
    @TempDir
    Path dir;

    private final Log log = Log.stderr(false, true);

    private UploaderService service(Path destination) {
        LifeboatConfig config = Runs.config(destination, dir.resolve("spool"), List.of(), Duration.ofSeconds(10),
                Duration.ofSeconds(5));
        return new UploaderService(config, Runs.registry(), log, PrecheckedUploader.none());
    }

    private static long in(long seconds) {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    }

    @Test
    void theWarmUploaderIsTheOneShippingGets() throws Exception {
        UploaderService service = service(dir.resolve("archive"));
        service.warmUp();
        Uploader first = service.await(in(30));
        assertNotNull(first);
        assertSame(first, service.await(in(30)), "created once");
        service.close();
    }

    @Test
    void aDestinationThatFailedTheWarmUpIsTriedAgainAtShippingTime() throws Exception {
        // a regular file where the destination's folder must go: the warm-up's check fails
        Path blocked = dir.resolve("blocked");
        Files.writeString(blocked, "not a folder");
        UploaderService service = service(blocked.resolve("archive"));
        service.warmUp();
        IOException e = assertThrows(IOException.class, () -> service.await(in(30)));
        assertTrue(e.getMessage().contains("blocked"), e.getMessage());
        // the destination is fixed: shipping tries again and gets a new uploader
        Files.delete(blocked);
        assertNotNull(service.await(in(30)));
        service.close();
    }
}
