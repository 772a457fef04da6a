package dev.lifeboat.ship;

import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadResult;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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
        return new Hashes(HexFormat.of().formatHex(sha.digest()), Checksums.crc(crc));
    }

    /**
     * Whether a checksum an uploader reported contradicts these hashes. {@link UploadResult} pins the
     * encoding (base64 of the big-endian digest) and the names: SHA-256 and CRC32C are compared, other
     * algorithms cannot be and never contradict.
     */
    public boolean contradicts(String algorithm, String value) {
        if (algorithm == null || value == null) {
            return false;
        }
        switch (algorithm) {
            case UploadResult.SHA_256:
                return !value.equals(Checksums.hexToBase64(sha256));
            case UploadResult.CRC32C:
                return !value.equals(crc32c);
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
