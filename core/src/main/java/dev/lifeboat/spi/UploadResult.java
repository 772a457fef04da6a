package dev.lifeboat.spi;

import java.util.Objects;
import java.util.Optional;

/**
 * What an uploader shipped: the object's location and, where the backend verified the bytes, the
 * checksum it verified.
 *
 * @param location where the object now is, e.g. {@code s3://bucket/prefix/run/stdout.log}
 * @param bytes the number of bytes shipped
 * @param checksumAlgorithm e.g. {@code "CRC32C"}, {@code "SHA-256"}, {@code "MD5"}; null if none
 * @param checksum the checksum's value as the backend reports it (hex or base64, see the uploader's docs)
 * @param verified true when the backend compared the bytes it stored with a checksum of the local bytes
 */
public record UploadResult(String location, long bytes, String checksumAlgorithm, String checksum, boolean verified) {
    public UploadResult {
        Objects.requireNonNull(location, "location");
        if ((checksumAlgorithm == null) != (checksum == null)) {
            throw new IllegalArgumentException("checksum and its algorithm go together");
        }
    }

    public static UploadResult unverified(String location, long bytes) {
        return new UploadResult(location, bytes, null, null, false);
    }

    public Optional<String> checksumAlgorithmIfAny() {
        return Optional.ofNullable(checksumAlgorithm);
    }
}
