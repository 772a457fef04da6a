package dev.lifeboat.ship;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestHashes {
    private static final String SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    /** CRC32C("123456789") = 0xE3069283, the check value of the Castagnoli CRC. */
    private static final String CRC32C_CHECK_BASE64 = "4waSgw==";

    @TempDir
    Path dir;

    private Hashes of(String content) throws IOException {
        Path f = Files.write(dir.resolve("f"), content.getBytes(US_ASCII));
        return Hashes.of(new SourceFile(f, Files.size(f)));
    }

    @Test
    void knownValues() throws IOException {
        assertEquals(new Hashes(SHA256_EMPTY, "AAAAAA=="), of(""));
        assertEquals(SHA256_ABC, of("abc").sha256());
        assertEquals(CRC32C_CHECK_BASE64, of("123456789").crc32c());
        assertEquals("e3069283", HexFormat.of().formatHex(Base64.getDecoder().decode(of("123456789").crc32c())));
    }

    @Test
    void onlyTheFirstSizeBytes() throws IOException {
        Path f = Files.write(dir.resolve("growing.log"), "abcdef".getBytes(US_ASCII));
        assertEquals(SHA256_ABC, Hashes.of(new SourceFile(f, 3)).sha256());
        assertEquals(SHA256_EMPTY, Hashes.of(new SourceFile(f, 0)).sha256());
    }

    @Test
    void aFileShorterThanItsSizeFails() throws IOException {
        Path f = Files.write(dir.resolve("shrunk.log"), "abc".getBytes(US_ASCII));
        assertThrows(IOException.class, () -> Hashes.of(new SourceFile(f, 10)));
    }

    @Test
    void sha256IsComparedInTheEncodingUploadResultPins() throws IOException {
        Hashes h = of("abc");
        String base64 = Base64.getEncoder().encodeToString(HexFormat.of().parseHex(SHA256_ABC));
        assertFalse(h.contradicts("SHA-256", base64));
        assertTrue(h.contradicts("SHA-256", SHA256_ABC), "hex is not the pinned encoding");
        assertTrue(h.contradicts("SHA-256", Base64.getEncoder().encodeToString(HexFormat.of().parseHex(SHA256_EMPTY))));
        assertTrue(h.contradicts("SHA-256", "not a checksum"));
    }

    @Test
    void crc32cIsComparedInBase64() throws IOException {
        Hashes h = of("123456789");
        assertFalse(h.contradicts("CRC32C", CRC32C_CHECK_BASE64));
        assertTrue(h.contradicts("CRC32C", "e3069283"), "hex is not the pinned encoding");
        assertTrue(h.contradicts("CRC32C", "AAAAAA=="));
    }

    @Test
    void otherAlgorithmsAndMissingValuesNeverContradict() throws IOException {
        Hashes h = of("abc");
        assertFalse(h.contradicts("MD5", "anything"));
        assertFalse(h.contradicts("COMPOSITE-CRC32", "anything"));
        assertFalse(h.contradicts(null, null));
        assertFalse(h.contradicts("SHA-256", null));
    }
}
