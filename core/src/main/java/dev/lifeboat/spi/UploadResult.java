package dev.lifeboat.spi;

import java.util.Objects;

/**
 * What an uploader shipped: the object's location and, where the backend verified the bytes, the
 * checksum it verified.
 *
 * <p>The checksum has one encoding whatever the backend: the base64 of the digest's big-endian bytes
 * (see {@link Checksums}), as S3 and GCS report it, and its algorithm is one of {@value #CRC32C},
 * {@value #CRC32}, {@value #SHA_256} and {@value #MD5}, spelled exactly so. A backend whose checksum is of
 * another kind (HDFS's MD5-of-CRCs, S3's composite checksum of a multipart upload) converts it to one of
 * these, or reports none.
 *
 * @param location where the object now is, e.g. {@code s3://bucket/prefix/run/stdout.log}
 * @param bytes the number of bytes shipped
 * @param checksumAlgorithm {@value #CRC32C}, {@value #CRC32}, {@value #SHA_256} or {@value #MD5}; null if none
 * @param checksum the base64 of the digest's big-endian bytes, e.g. {@code "4waSgw=="} for the CRC32C of
 *     {@code "123456789"}; null if none
 * @param verified true when the backend compared the bytes it stored with a checksum of the local bytes; for
 *     {@link Uploader#concatenate}, when the checksum is the backend's own value for the joined object (Lifeboat
 *     compares it with its record of the bytes shipped)
 */
public record UploadResult(String location, long bytes, String checksumAlgorithm, String checksum, boolean verified) {
    /** CRC-32C (Castagnoli), 4 bytes; what GCS and HDFS verify and S3's default here. */
    public static final String CRC32C = "CRC32C";
    /** CRC-32 (ISO-HDLC, as {@link java.util.zip.CRC32}), 4 bytes. */
    public static final String CRC32 = "CRC32";
    /** SHA-256, 32 bytes. */
    public static final String SHA_256 = "SHA-256";
    /** MD5, 16 bytes. */
    public static final String MD5 = "MD5";

    /**
     * @throws IllegalArgumentException when only one of the checksum and its algorithm is given, when the
     *     algorithm is not one of the four above, or when the checksum is not the base64 of a digest of its
     *     length
     */
    public UploadResult {
        Objects.requireNonNull(location, "location");
        if ((checksumAlgorithm == null) != (checksum == null)) {
            throw new IllegalArgumentException("checksum and its algorithm go together");
        }
        if (checksumAlgorithm != null) {
            int length = Checksums.digestLength(checksumAlgorithm);
            if (length < 0) {
                throw new IllegalArgumentException("checksum algorithm '" + checksumAlgorithm + "' is not one of "
                        + CRC32C + ", " + CRC32 + ", " + SHA_256 + ", " + MD5);
            }
            if (!Checksums.isEncoded(checksumAlgorithm, checksum)) {
                throw new IllegalArgumentException(checksumAlgorithm + " checksum '" + checksum
                        + "' is not the base64 of " + length + " bytes");
            }
        }
    }

    /** A result without a checksum: the backend verified nothing Lifeboat could compare. */
    public static UploadResult unverified(String location, long bytes) {
        return new UploadResult(location, bytes, null, null, false);
    }
}
