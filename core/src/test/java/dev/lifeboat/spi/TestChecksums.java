package dev.lifeboat.spi;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class TestChecksums {
    private static final byte[] CHECK = "123456789".getBytes(US_ASCII);
    private static final String SHA256_ABC_HEX = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private static final String SHA256_ABC_BASE64 = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

    @Test
    void crcsAreTheBase64OfTheirFourBigEndianBytes() {
        // the check values of CRC-32C (0xE3069283) and CRC-32 (0xCBF43926)
        assertEquals("4waSgw==", Checksums.crc32c(CHECK));
        assertEquals("4waSgw==", Checksums.crc(0xE3069283L));
        CRC32C crc32c = new CRC32C();
        crc32c.update(CHECK);
        assertEquals("4waSgw==", Checksums.crc(crc32c));
        CRC32 crc32 = new CRC32();
        crc32.update(CHECK);
        assertEquals("y/Q5Jg==", Checksums.crc(crc32));
        assertArrayEquals(new byte[] {(byte) 0xE3, 0x06, (byte) 0x92, (byte) 0x83}, Checksums.crcBytes(0xE3069283L));
        assertEquals("AAAAAA==", Checksums.crc32c(new byte[0]));
        assertEquals("AAAAAQ==", Checksums.crc(0x1_0000_0001L), "only the low 32 bits count");
    }

    @Test
    void digestsAndHex() throws Exception {
        byte[] sha = MessageDigest.getInstance("SHA-256").digest("abc".getBytes(US_ASCII));
        assertEquals(SHA256_ABC_BASE64, Checksums.base64(sha));
        assertEquals(SHA256_ABC_BASE64, Checksums.hexToBase64(SHA256_ABC_HEX));
        assertEquals(SHA256_ABC_BASE64, Checksums.hexToBase64(SHA256_ABC_HEX.toUpperCase()));
        assertEquals("4waSgw==", Checksums.hexToBase64("e3069283"));
        assertThrows(IllegalArgumentException.class, () -> Checksums.hexToBase64("e306928"));
        assertThrows(IllegalArgumentException.class, () -> Checksums.hexToBase64("not hex!"));
    }

    @Test
    void isEncodedWantsCanonicalBase64OfTheAlgorithmsLength() {
        assertTrue(Checksums.isEncoded("CRC32C", "4waSgw=="));
        assertTrue(Checksums.isEncoded("CRC32", "y/Q5Jg=="));
        assertTrue(Checksums.isEncoded("SHA-256", SHA256_ABC_BASE64));
        assertTrue(Checksums.isEncoded("MD5", "kAFQmDzST7DWlj99KOF/cg=="));
        assertFalse(Checksums.isEncoded("CRC32C", "e3069283"), "hex is not the encoding");
        assertFalse(Checksums.isEncoded("SHA-256", SHA256_ABC_HEX), "hex is not the encoding");
        assertFalse(Checksums.isEncoded("CRC32C", "4waSgw"), "padding is part of it");
        assertFalse(Checksums.isEncoded("CRC32C", "4waSgx=="), "not canonical");
        assertFalse(Checksums.isEncoded("SHA-256", "4waSgw=="), "4 bytes are no SHA-256");
        assertFalse(Checksums.isEncoded("CRC32C", SHA256_ABC_BASE64), "32 bytes are no CRC32C");
        assertFalse(Checksums.isEncoded("sha256", SHA256_ABC_BASE64), "names are exact");
        assertFalse(Checksums.isEncoded("CRC32C", null));
        assertEquals(4, Checksums.digestLength(UploadResult.CRC32C));
        assertEquals(4, Checksums.digestLength(UploadResult.CRC32));
        assertEquals(32, Checksums.digestLength(UploadResult.SHA_256));
        assertEquals(16, Checksums.digestLength(UploadResult.MD5));
        assertEquals(-1, Checksums.digestLength("SHA-256-COMPOSITE"));
        assertEquals(-1, Checksums.digestLength(null));
    }
}
