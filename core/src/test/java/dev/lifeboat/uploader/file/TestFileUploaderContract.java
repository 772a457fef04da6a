package dev.lifeboat.uploader.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.InvalidKeyException;

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

    /** A folder inside the destination that is a link to somewhere else: nothing is written through it. */
    @Test
    void aSymbolicLinkInsideTheDestinationIsRefusedAndNothingLandsOutside() throws Exception {
        Path outside = Files.createDirectories(archive.resolve("outside"));
        Path run = Files.createDirectories(archive.resolve("dest").resolve(key("r")));
        Path link = Files.createSymbolicLink(run.resolve("files"), outside);
        Path file = localFile("app.log", "secret bytes\n".getBytes());
        InvalidKeyException e = assertThrows(InvalidKeyException.class,
                () -> uploader().upload(source(file), key("r/files/var/log/app.log"), generous()));
        assertTrue(e.getMessage().contains(link.toString()) && e.getMessage().contains(outside.toString()),
                "the error names the link and where it leads: " + e.getMessage());
        assertEquals(List.of(), filesUnder(outside, ""), "nothing was written outside the destination");

        // the same for concatenation's target, reading back, and a link as the file itself
        uploader().upload(source(file), key("r/piece"), generous());
        assertThrows(InvalidKeyException.class,
                () -> uploader().concatenate(List.of(key("r/piece")), key("r/files/joined.log"), generous()));
        Path target = Files.writeString(outside.resolve("target.log"), "kept");
        Files.createSymbolicLink(run.resolve("read.log"), target);
        assertThrows(InvalidKeyException.class, () -> uploader().open(key("r/read.log"), generous()));
        assertEquals(List.of("target.log"), filesUnder(outside, ""));
        assertEquals("kept", Files.readString(target));
    }

    /** The destination folder itself may be a link: that is where the user pointed it. */
    @Test
    void aDestinationThatIsItselfALinkIsWrittenThrough() throws Exception {
        Path real = Files.createDirectories(archive.resolve("real"));
        Path linked = Files.createSymbolicLink(archive.resolve("linked"), real);
        try (var uploader = factory().create(linked.toUri(), Map.of(), context())) {
            uploader.check(generous());
            uploader.upload(source(localFile("a.log", "a".getBytes())), "r/a.log", generous());
        }
        assertFalse(Files.isSymbolicLink(real.resolve("r")));
        assertEquals("a", Files.readString(real.resolve("r/a.log")));
    }
}
