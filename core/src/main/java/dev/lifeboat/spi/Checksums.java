package dev.lifeboat.spi;

import java.util.Base64;
import java.util.HexFormat;
import java.util.zip.Checksum;

/**
 * The one encoding of {@link UploadResult#checksum()}: the base64 (RFC 4648, with padding) of the digest's
 * big-endian bytes, as S3 and GCS report checksums. A CRC32C or CRC32 is its 4 bytes, most significant
 * first ({@code CRC32C("123456789")} = 0xE3069283 is {@code "4waSgw=="}); SHA-256 and MD5 are their digest
 * bytes.
 */
public final class Checksums {
    private Checksums() {}

    /** The base64 of {@code digest}. */
    public static String base64(byte[] digest) {
        return Base64.getEncoder().encodeToString(digest);
    }

    /** The 4 big-endian bytes of a 32-bit CRC held in the low bits of {@code crc}. */
    public static byte[] crcBytes(long crc) {
        return new byte[] {(byte) (crc >>> 24), (byte) (crc >>> 16), (byte) (crc >>> 8), (byte) crc};
    }

    /** The base64 of a 32-bit CRC (CRC32C or CRC32) held in the low bits of {@code crc}. */
    public static String crc(long crc) {
        return base64(crcBytes(crc));
    }

    /**
     * The 32-bit CRC that {@link #crc(long)} encoded, back as a number; 0 (the CRC of nothing) for null.
     *
     * @throws IllegalArgumentException when {@code base64} is not four bytes in base64
     */
    public static long crcValue(String base64) {
        if (base64 == null) {
            return 0;
        }
        byte[] b = java.util.Base64.getDecoder().decode(base64);
        if (b.length != 4) {
            throw new IllegalArgumentException("not a 32-bit CRC: '" + base64 + "'");
        }
        return ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
    }

    /** The base64 of a {@link java.util.zip.CRC32C} or {@link java.util.zip.CRC32}'s current value. */
    public static String crc(Checksum crc) {
        return crc(crc.getValue());
    }

    /** The base64 CRC32C of {@code bytes}. */
    public static String crc32c(byte[] bytes) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes);
        return crc(crc);
    }

    /**
     * A digest written in hex (either case), e.g. an MD5 ETag or the output of {@code sha256sum}, in the
     * base64 form.
     *
     * @throws IllegalArgumentException when {@code hex} is not an even number of hex digits
     */
    public static String hexToBase64(String hex) {
        return base64(HexFormat.of().parseHex(hex));
    }

    /**
     * The number of digest bytes of one of {@link UploadResult}'s algorithm names: 4 for
     * {@value UploadResult#CRC32C} and {@value UploadResult#CRC32}, 32 for {@value UploadResult#SHA_256},
     * 16 for {@value UploadResult#MD5}; -1 for any other name.
     */
    public static int digestLength(String algorithm) {
        if (algorithm == null) {
            return -1;
        }
        switch (algorithm) {
            case UploadResult.CRC32C:
            case UploadResult.CRC32:
                return 4;
            case UploadResult.SHA_256:
                return 32;
            case UploadResult.MD5:
                return 16;
            default:
                return -1;
        }
    }

    /**
     * Whether {@code value} is the base64 of a digest of {@code algorithm}: canonical base64 with padding,
     * of exactly {@link #digestLength} bytes.
     */
    public static boolean isEncoded(String algorithm, String value) {
        int length = digestLength(algorithm);
        if (length < 0 || value == null) {
            return false;
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(value);
            return bytes.length == length && base64(bytes).equals(value);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
