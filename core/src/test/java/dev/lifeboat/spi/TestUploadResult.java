package dev.lifeboat.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TestUploadResult {
    @Test
    void theFourAlgorithmsInTheirOneEncoding() {
        UploadResult r = new UploadResult("x://a", 9, UploadResult.CRC32C, "4waSgw==", true);
        assertEquals("CRC32C", r.checksumAlgorithm());
        assertEquals("4waSgw==", r.checksum());
        assertEquals("CRC32", new UploadResult("x://a", 9, UploadResult.CRC32, "y/Q5Jg==", true).checksumAlgorithm());
        assertEquals("SHA-256", new UploadResult("x://a", 3, UploadResult.SHA_256,
                "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", true).checksumAlgorithm());
        assertEquals("MD5", new UploadResult("x://a", 3, UploadResult.MD5, "kAFQmDzST7DWlj99KOF/cg==", false)
                .checksumAlgorithm());
    }

    @Test
    void refusesHexWrongLengthsAndOtherNames() {
        assertEquals("CRC32C checksum 'e3069283' is not the base64 of 4 bytes", assertThrows(IllegalArgumentException.class,
                () -> new UploadResult("x://a", 9, "CRC32C", "e3069283", true)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new UploadResult("x://a", 3, "SHA-256",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", true));
        assertThrows(IllegalArgumentException.class, () -> new UploadResult("x://a", 3, "SHA-256", "4waSgw==", true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new UploadResult("x://a", 3, "sha256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", true));
        assertEquals("checksum algorithm 'sha256' is not one of CRC32C, CRC32, SHA-256, MD5", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new UploadResult("x://a", 3, "SHA-256-COMPOSITE", "x-3", true));
    }

    @Test
    void aChecksumAndItsAlgorithmGoTogether() {
        assertThrows(IllegalArgumentException.class, () -> new UploadResult("x://a", 3, "CRC32C", null, true));
        assertThrows(IllegalArgumentException.class, () -> new UploadResult("x://a", 3, null, "4waSgw==", true));
        assertThrows(NullPointerException.class, () -> new UploadResult(null, 3, null, null, false));
        UploadResult none = UploadResult.unverified("x://a", 3);
        assertNull(none.checksumAlgorithm());
        assertNull(none.checksum());
        assertFalse(none.verified());
        assertTrue(new UploadResult("x://a", 3, null, null, true).verified(), "verified without a whole-object checksum");
    }
}
