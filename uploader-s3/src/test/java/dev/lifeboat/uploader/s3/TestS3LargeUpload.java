package dev.lifeboat.uploader.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A 200 MiB file goes up in parts, in parallel, and comes back byte for byte. */
class TestS3LargeUpload {
    private static final long SIZE = 200L << 20;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void twoHundredMebibytesGoUpAsAMultipartObject() throws Exception {
        Path file = dir.resolve("big.bin");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        CRC32C crc = new CRC32C();
        byte[] chunk = new byte[1 << 20];
        Random random = new Random(200);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = SIZE; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk);
                sha.update(chunk);
                crc.update(chunk);
            }
        }
        String expectedSha = HexFormat.of().formatHex(sha.digest());

        try (S3ProxyServer server = S3ProxyServer.start("large")) {
            S3UploaderFactory factory = new S3UploaderFactory();
            URI destination = URI.create("s3://large/runs");
            UploadResult result;
            long millis;
            try (Uploader uploader = factory.create(destination, server.options(),
                    new UploaderContext(dir, System.getenv(), System.getLogger("lifeboat.test")))) {
                long start = System.nanoTime();
                result = uploader.upload(new SourceFile(file, SIZE), "r1/big.bin",
                        UploadControl.withTimeout(Duration.ofMinutes(5)));
                millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            }
            System.out.println("200 MiB in " + millis + " ms: " + result);
            assertEquals(SIZE, result.bytes());
            assertEquals("CRC32C", result.checksumAlgorithm());
            assertEquals(Checksums.crc(crc), result.checksum());

            String eTag = server.client().headObject(b -> b.bucket("large").key("runs/r1/big.bin")).eTag();
            int parts = Integer.parseInt(eTag.replace("\"", "").replaceAll(".*-", ""));
            // default part size 8 MiB: 25 parts
            assertEquals(25, parts, "parts in ETag " + eTag);
            assertTrue(parts > 1);

            MessageDigest back = MessageDigest.getInstance("SHA-256");
            try (InputStream in = server.stream("large", "runs/r1/big.bin")) {
                int n;
                while ((n = in.read(chunk)) > 0) {
                    back.update(chunk, 0, n);
                }
            }
            assertEquals(expectedSha, HexFormat.of().formatHex(back.digest()), "SHA-256 read back");
            server.client().deleteObject(b -> b.bucket("large").key("runs/r1/big.bin"));
        }
    }
}
