package dev.lifeboat.uploader.s3;

import dev.lifeboat.spi.Checksums;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * Local checksums in the form S3 reports them: base64 of the big-endian CRC or of the digest. A multipart
 * object's CRC is combined from its parts' CRCs (S3's FULL_OBJECT checksum type) without reading the file
 * again; a multipart SHA-256 is S3's composite form, the SHA-256 of the parts' digests followed by
 * {@code -<parts>}.
 */
final class PartChecksums {
    private static final long CRC32_POLY = 0xEDB88320L;
    private static final long CRC32C_POLY = 0x82F63B78L;

    private PartChecksums() {}

    /** A running checksum of one stream of bytes. */
    interface Running {
        void update(byte[] b, int off, int len);

        /** The raw value: 4 big-endian bytes for a CRC, 32 bytes for SHA-256. */
        byte[] value();
    }

    static Running start(S3Config.Checksum algorithm) {
        switch (algorithm) {
            case CRC32:
                return new Crc(new CRC32());
            case CRC32C:
                return new Crc(new CRC32C());
            default:
                return new Sha256();
        }
    }

    /**
     * The whole object's checksum from its parts' raw values, in order, and their lengths: the combined CRC
     * for CRC32 and CRC32C, S3's composite {@code base64(sha256(digests))-N} for SHA-256.
     */
    static String combine(S3Config.Checksum algorithm, List<byte[]> parts, List<Long> lengths) {
        if (algorithm == S3Config.Checksum.SHA256) {
            MessageDigest sha = sha256();
            parts.forEach(sha::update);
            return Checksums.base64(sha.digest()) + "-" + parts.size();
        }
        long poly = algorithm == S3Config.Checksum.CRC32 ? CRC32_POLY : CRC32C_POLY;
        long crc = 0;
        for (int i = 0; i < parts.size(); i++) {
            crc = i == 0 ? crcValue(parts.get(0)) : crcCombine(poly, crc, crcValue(parts.get(i)), lengths.get(i));
        }
        return Checksums.crc(crc);
    }

    static long crcValue(byte[] b) {
        return ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
    }

    /**
     * The CRC of A followed by B from crc(A), crc(B) and the length of B, for a reflected CRC-32 with the
     * given polynomial (the method of zlib's {@code crc32_combine}).
     */
    static long crcCombine(long poly, long crc1, long crc2, long len2) {
        if (len2 <= 0) {
            return crc1;
        }
        long[] even = new long[32];
        long[] odd = new long[32];
        odd[0] = poly;
        long row = 1;
        for (int n = 1; n < 32; n++) {
            odd[n] = row;
            row <<= 1;
        }
        square(even, odd);
        square(odd, even);
        do {
            square(even, odd);
            if ((len2 & 1) != 0) {
                crc1 = times(even, crc1);
            }
            len2 >>= 1;
            if (len2 == 0) {
                break;
            }
            square(odd, even);
            if ((len2 & 1) != 0) {
                crc1 = times(odd, crc1);
            }
            len2 >>= 1;
        } while (len2 != 0);
        return (crc1 ^ crc2) & 0xffffffffL;
    }

    private static long times(long[] mat, long vec) {
        long sum = 0;
        int i = 0;
        while (vec != 0) {
            if ((vec & 1) != 0) {
                sum ^= mat[i];
            }
            vec >>>= 1;
            i++;
        }
        return sum;
    }

    private static void square(long[] square, long[] mat) {
        for (int n = 0; n < 32; n++) {
            square[n] = times(mat, mat[n]);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Crc implements Running {
        private final Checksum crc;

        Crc(Checksum crc) {
            this.crc = crc;
        }

        @Override
        public void update(byte[] b, int off, int len) {
            crc.update(b, off, len);
        }

        @Override
        public byte[] value() {
            return Checksums.crcBytes(crc.getValue());
        }
    }

    private static final class Sha256 implements Running {
        private final MessageDigest sha = sha256();

        @Override
        public void update(byte[] b, int off, int len) {
            sha.update(b, off, len);
        }

        @Override
        public byte[] value() {
            return sha.digest();
        }
    }
}
