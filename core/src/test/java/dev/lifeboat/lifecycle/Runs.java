package dev.lifeboat.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.uploader.file.FileUploaderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** What the lifecycle tests share: a configuration shipping to a local archive, and reading a run back. */
final class Runs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Runs() {}

    static LifeboatConfig config(Path archive, Path spool, List<String> logs, Duration grace, Duration childTimeout) {
        return config(archive, spool, logs, grace, childTimeout, Duration.ZERO);
    }

    static LifeboatConfig config(Path archive, Path spool, List<String> logs, Duration grace, Duration childTimeout,
            Duration shipInterval) {
        return new LifeboatConfig(archive.toUri(), logs, grace, childTimeout, "run-{start-ms}-{pid}", Map.of(), 4, 2,
                1 << 20, false, false, spool, shipInterval);
    }

    static UploaderRegistry registry() {
        return UploaderRegistry.of(List.of(new FileUploaderFactory()));
    }

    /** The one run folder in {@code archive}. */
    static Path runFolder(Path archive) throws IOException {
        try (Stream<Path> runs = Files.list(archive)) {
            List<Path> all = runs.filter(Files::isDirectory).toList();
            if (all.size() != 1) {
                throw new AssertionError("expected one run in " + archive + ", found " + all);
            }
            return all.get(0);
        }
    }

    static JsonNode manifest(Path run) throws IOException {
        return manifest(run, "manifest.json");
    }

    static JsonNode manifest(Path run, String name) throws IOException {
        return JSON.readTree(run.resolve(name).toFile());
    }

    static String sha256(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    static String crc32c(Path file) throws IOException {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(Files.readAllBytes(file));
        return dev.lifeboat.spi.Checksums.crc(crc);
    }
}
