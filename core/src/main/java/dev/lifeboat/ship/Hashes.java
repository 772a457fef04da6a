package dev.lifeboat.ship;

import dev.lifeboat.spi.SourceFile;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.zip.CRC32C;

/** SHA-256 and CRC32C of a file's first {@code size} bytes, in one pass. */
public record Hashes(String sha256, String crc32c) {

    public static Hashes of(SourceFile source) throws IOException {
        MessageDigest sha = newSha256();
        CRC32C crc = new CRC32C();
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        try (InputStream in = source.openStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha.update(buffer, 0, n);
                crc.update(buffer, 0, n);
                total += n;
            }
        }
        if (total != source.size()) {
            throw new IOException("the file shrank while it was read: " + total + " of " + source.size() + " bytes");
        }
        long v = crc.getValue();
        byte[] be = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        return new Hashes(HexFormat.of().formatHex(sha.digest()), Base64.getEncoder().encodeToString(be));
    }

    /**
     * Whether a checksum an uploader reported contradicts these hashes. SHA-256 is compared in hex or
     * base64, CRC32C in base64 (big-endian, as S3 and GCS report it) or hex; other algorithms cannot be
     * compared and never contradict.
     */
    public boolean contradicts(String algorithm, String value) {
        if (algorithm == null || value == null) {
            return false;
        }
        switch (algorithm.toUpperCase(Locale.ROOT).replace("-", "")) {
            case "SHA256":
                return !(value.equalsIgnoreCase(sha256)
                        || value.equals(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256))));
            case "CRC32C":
                return !(value.equals(crc32c)
                        || value.equalsIgnoreCase(HexFormat.of().formatHex(Base64.getDecoder().decode(crc32c))));
            default:
                return false;
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
