package dev.lifeboat.uploader.file;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.UploaderFactory;
import dev.lifeboat.testkit.AbstractUploaderContractTest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestFileUploaderContract extends AbstractUploaderContractTest {
    @TempDir
    Path archive;

    @Override
    protected UploaderFactory factory() {
        return new FileUploaderFactory();
    }

    @Override
    protected URI destination() {
        return archive.resolve("dest").toUri();
    }

    @Override
    protected Optional<byte[]> readObject(String key) throws IOException {
        Path p = archive.resolve("dest").resolve(key);
        return Files.isRegularFile(p) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
    }

    @Override
    protected List<String> listKeys(String prefix) throws IOException {
        return filesUnder(archive.resolve("dest"), prefix);
    }

    @Override
    protected Map<String, Map<String, String>> invalidOptions() {
        return Map.of("fsync", Map.of("fsync", "sometimes"));
    }

    /** A directory has no network endpoint to point at a black hole. */
    @Override
    protected boolean supportsBlackHoleEndpoint() {
        return false;
    }

    /** Quirk: a file URI with a host (a UNC-like path) is refused rather than read as a local path. */
    @Test
    void aDestinationWithAHostIsRejected() {
        assertThrows(InvalidOptionException.class,
                () -> factory().validate(URI.create("file://server/archive"), Map.of()));
    }
}
