package dev.lifeboat.uploader.s3;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.InvalidOptionException;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bucket names AWS refuses are configuration errors, found by the factory's validation (no I/O). */
class TestS3BucketNames {
    private final S3UploaderFactory factory = new S3UploaderFactory();

    private void assertRefused(String bucket, String reason) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> factory.validate(URI.create("s3://" + bucket + "/logs"), Map.of()), bucket);
        assertNull(e.key(), "the destination is at fault, not an option");
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains("'" + bucket + "' is not a valid S3 bucket name"), e.getMessage());
        assertTrue(e.getMessage().contains(reason), "'" + reason + "' in: " + e.getMessage());
    }

    @Test
    void namesAwsRefuses() {
        assertRefused("ab", "3 to 63 characters, got 2");
        assertRefused("a".repeat(64), "3 to 63 characters, got 64");
        assertRefused("bad..bucket", "two periods in a row");
        assertRefused("UPPER", "only lower-case letters");
        assertRefused("under_score", "only lower-case letters");
        assertRefused("-dash", "only lower-case letters");
        assertRefused("dash-", "only lower-case letters");
        assertRefused("192.168.1.1", "formatted as an IP address");
        assertRefused("xn--bucket", "the prefix 'xn--' is reserved");
        assertRefused("logs-s3alias", "the suffix '-s3alias' is reserved");
    }

    @Test
    void namesAwsAccepts() {
        for (String bucket : new String[] {"abc", "a".repeat(63), "my-log.bucket-1", "1bucket", "192.168.1.1a",
                "express--usw2-az1--x-s3"}) {
            assertDoesNotThrow(() -> factory.validate(URI.create("s3://" + bucket + "/logs"), Map.of()), bucket);
        }
    }
}
