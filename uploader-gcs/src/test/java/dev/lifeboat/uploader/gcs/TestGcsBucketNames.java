package dev.lifeboat.uploader.gcs;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.InvalidOptionException;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bucket names GCS refuses are configuration errors, found by the factory's validation (no I/O). */
class TestGcsBucketNames {
    private final GcsUploaderFactory factory = new GcsUploaderFactory();

    private void assertRefused(String bucket, String reason) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> factory.validate(URI.create("gs://" + bucket + "/logs"), Map.of()), bucket);
        assertNull(e.key(), "the destination is at fault, not an option");
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains("'" + bucket + "' is not a valid GCS bucket name"), e.getMessage());
        assertTrue(e.getMessage().contains(reason), "'" + reason + "' in: " + e.getMessage());
    }

    @Test
    void namesGcsRefuses() {
        assertRefused("ab", "3 to 63 characters (222 with dots), got 2");
        assertRefused("a".repeat(64), "3 to 63 characters (222 with dots), got 64");
        assertRefused("a".repeat(64) + ".example", "each dot-separated part at most 63 characters, got 64");
        assertRefused("a.".repeat(111) + "a", "3 to 222 characters, got 223");
        assertRefused("bad..bucket", "two periods in a row");
        assertRefused("UPPER", "only lower-case letters");
        assertRefused("_under", "only lower-case letters");
        assertRefused("192.168.1.1", "formatted as an IP address");
        assertRefused("goog-logs", "'goog'");
        assertRefused("my-google-logs", "'google'");
    }

    @Test
    void namesGcsAccepts() {
        for (String bucket : new String[] {"abc", "a".repeat(63), "b_1.example", "my-bucket", "a".repeat(63) + ".example"}) {
            assertDoesNotThrow(() -> factory.validate(URI.create("gs://" + bucket + "/logs"), Map.of()), bucket);
        }
    }
}
