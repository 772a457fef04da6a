package dev.lifeboat.uploader.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * Sealing against S3Proxy beyond the contract kit: which bytes go through Lifeboat, how small pieces become
 * parts, and that a cancelled seal leaves no multipart upload behind.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TestS3Sealing {
    private static final String BUCKET = "sealing";
    private static final long MIB = 1L << 20;
    private static S3ProxyServer server;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start(BUCKET);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    private Uploader uploader(Map<String, String> options) throws Exception {
        S3UploaderFactory factory = new S3UploaderFactory();
        URI destination = URI.create("s3://" + BUCKET + "/run");
        factory.validate(destination, options);
        return factory.create(destination, options, new UploaderContext(dir, System.getenv(),
                System.getLogger("lifeboat.test")));
    }

    /** Ships pieces of these sizes under {@code name}/; returns their keys, and their bytes joined in {@code whole}. */
    private List<String> pieces(Uploader uploader, String name, long[] sizes, ByteArrayOutputStream whole)
            throws Exception {
        List<String> keys = new ArrayList<>();
        Random random = new Random(name.hashCode());
        for (int i = 0; i < sizes.length; i++) {
            byte[] bytes = new byte[(int) sizes[i]];
            random.nextBytes(bytes);
            Path file = dir.resolve(name + "-" + i);
            Files.write(file, bytes);
            String key = name + "/pieces/" + String.format("%020d", whole.size());
            uploader.upload(new SourceFile(file, bytes.length), key, timeout(60));
            keys.add(key);
            whole.write(bytes);
        }
        return keys;
    }

    private static String crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return Checksums.crc(crc);
    }

    private static UploadControl timeout(long seconds) {
        return UploadControl.withTimeout(Duration.ofSeconds(seconds));
    }

    /** The number of parts of a multipart object, from the {@code -<parts>} that ends its ETag. */
    private static int parts(String key) {
        String eTag = server.client().headObject(b -> b.bucket(BUCKET).key(key)).eTag().replace("\"", "");
        int dash = eTag.lastIndexOf('-');
        return dash < 0 ? 1 : Integer.parseInt(eTag.substring(dash + 1));
    }


    @Test
    void largePiecesAreCopiedOnTheServerWithoutTheirBytesThroughLifeboat() throws Exception {
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        List<String> keys;
        try (Uploader direct = uploader(server.options())) {
            keys = pieces(direct, "large", new long[] {12 * MIB, 7 * MIB + 3}, whole);
        }
        try (Relay relay = new Relay(server.endpoint().getPort())) {
            Map<String, String> options = new HashMap<>(server.options());
            options.put("endpoint", relay.endpoint());
            UploadResult result;
            try (Uploader relayed = uploader(options)) {
                result = relayed.concatenate(keys, "large/files/app.log", timeout(60));
            }
            long through = relay.bytes.get();
            assertTrue(through < MIB, "UploadPartCopy: " + through + " bytes went through Lifeboat for 19 MiB");
            assertEquals(whole.size(), result.bytes());
            // S3 reports the copied parts' CRC32C, and so the whole's; S3Proxy reports none: then there is none
            if (result.checksum() != null) {
                assertEquals(crc32c(whole.toByteArray()), result.checksum());
            }
        }
        assertEquals(2, parts("run/large/files/app.log"), "two copied parts");
        assertArrayEquals(whole.toByteArray(), server.read(BUCKET, "run/large/files/app.log").orElseThrow());
        String type = server.client().headObject(b -> b.bucket(BUCKET).key("run/large/files/app.log")).contentType();
        assertTrue(type.startsWith("text/plain"), "the target's own content type, not the pieces': " + type);
    }

    @Test
    void aSmallPieceAtTheEndIsCopiedAsTheLastPart() throws Exception {
        // the common end of a file that rounds shipped: large (folded) pieces, then the last round's tail
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        List<String> keys;
        try (Uploader direct = uploader(server.options())) {
            keys = pieces(direct, "tail", new long[] {6 * MIB, 300_000}, whole);
        }
        try (Relay relay = new Relay(server.endpoint().getPort())) {
            Map<String, String> options = new HashMap<>(server.options());
            options.put("endpoint", relay.endpoint());
            try (Uploader relayed = uploader(options)) {
                assertEquals(whole.size(), relayed.concatenate(keys, "tail/files/app.log", timeout(60)).bytes());
            }
            long through = relay.bytes.get();
            assertTrue(through < 100_000, "two UploadPartCopy: " + through + " bytes went through Lifeboat");
        }
        assertEquals(2, parts("run/tail/files/app.log"), "two copied parts");
        assertArrayEquals(whole.toByteArray(), server.read(BUCKET, "run/tail/files/app.log").orElseThrow());
    }

    @Test
    void smallPiecesAreGatheredIntoPartsOfAtLeastFiveMebibytes() throws Exception {
        long[] sizes = new long[40];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 300_000 + i * 1_001L;
        }
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        UploadResult result;
        try (Uploader uploader = uploader(server.options())) {
            List<String> keys = pieces(uploader, "small", sizes, whole);
            result = uploader.concatenate(keys, "small/files/app.log", timeout(60));
        }
        assertArrayEquals(whole.toByteArray(), server.read(BUCKET, "run/small/files/app.log").orElseThrow());
        assertEquals(crc32c(whole.toByteArray()), result.checksum(), "read back: the CRC32C of the bytes sent");
        // 12.8 MB in parts of at least 5 MiB but the last: three parts, not forty
        assertEquals(3, parts("run/small/files/app.log"), "parts of the sealed object");
    }

    @Test
    void aLargePieceAfterSmallOnesLendsThemWhatTheyLack() throws Exception {
        // 100 KB then 12 MiB: the first part is the 100 KB and the 12 MiB's first 4.9 MiB, the rest one more part
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        UploadResult result;
        try (Uploader uploader = uploader(server.options())) {
            List<String> keys = pieces(uploader, "lend", new long[] {100_000, 12 * MIB, 1_000}, whole);
            result = uploader.concatenate(keys, "lend/files/app.log", timeout(60));
        }
        assertArrayEquals(whole.toByteArray(), server.read(BUCKET, "run/lend/files/app.log").orElseThrow());
        assertEquals(whole.size(), result.bytes());
        // the rest is a ranged copy: a checksum only where the store reports the copy's (S3, not S3Proxy)
        if (result.checksum() != null) {
            assertEquals(crc32c(whole.toByteArray()), result.checksum());
        }
        assertEquals(3, parts("run/lend/files/app.log"), "parts of the sealed object");
    }

    @Test
    void aCancelledSealLeavesNoMultipartUploadAndNoObject() throws Exception {
        long[] sizes = new long[48];
        java.util.Arrays.fill(sizes, MIB);
        Map<String, String> options = new HashMap<>(server.options());
        options.put("concurrency", "2");
        try (Uploader uploader = uploader(options)) {
            List<String> keys = pieces(uploader, "cancel", sizes, new ByteArrayOutputStream());
            UploadControl control = timeout(120);
            // 48 MiB cannot have been joined before the cancel at 10 MiB read back
            S3ProxyServer.assertCancelledAfter(control, 10 * MIB,
                    () -> uploader.concatenate(keys, "cancel/files/app.log", control));
            assertEquals(List.of(), server.openUploadsAfterSettling(BUCKET), "no multipart upload left open");
            assertFalse(server.read(BUCKET, "run/cancel/files/app.log").isPresent(), "no object under the target");
            for (String key : keys) {
                assertTrue(server.read(BUCKET, "run/" + key).isPresent(), "the pieces stay: " + key);
            }
        }
    }

    @Test
    void readingBackStopsOnceCancelled() throws Exception {
        byte[] bytes = new byte[(int) (8 * MIB)];
        new Random(8).nextBytes(bytes);
        Path file = dir.resolve("read.bin");
        Files.write(file, bytes);
        try (Uploader uploader = uploader(server.options())) {
            uploader.upload(new SourceFile(file, bytes.length), "read/read.bin", timeout(60));
            UploadControl control = timeout(60);
            try (InputStream in = uploader.open("read/read.bin", control)) {
                byte[] start = in.readNBytes(1000);
                assertArrayEquals(java.util.Arrays.copyOf(bytes, 1000), start);
                control.cancel();
                assertThrows(UploadCancelledException.class, in::readAllBytes);
            }
        }
    }

    /** Forwards TCP connections to a port and counts the bytes, both ways. */
    private static final class Relay implements AutoCloseable {
        final AtomicLong bytes = new AtomicLong();
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final int target;
        private final List<Socket> open = new ArrayList<>();

        Relay(int target) throws IOException {
            this.target = target;
            Thread acceptor = new Thread(this::accept, "relay");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String endpoint() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        private void accept() {
            try {
                while (true) {
                    Socket client = socket.accept();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                    synchronized (open) {
                        open.add(client);
                        open.add(upstream);
                    }
                    pump(client, upstream);
                    pump(upstream, client);
                }
            } catch (IOException e) {
                // closed
            }
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[64 * 1024];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        bytes.addAndGet(n);
                        out.write(buffer, 0, n);
                    }
                } catch (IOException e) {
                    // a side closed
                }
            }, "relay-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            synchronized (open) {
                for (Socket s : open) {
                    s.close();
                }
            }
        }
    }
}
