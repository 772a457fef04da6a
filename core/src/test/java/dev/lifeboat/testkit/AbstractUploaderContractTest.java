package dev.lifeboat.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The uploader contract kit. Every uploader, Lifeboat's own and plugins alike, extends this class and
 * implements a few hooks: the factory, a destination on a real test server, the options that reach it,
 * and how to read an object back. Capabilities are overridable methods; a backend that cannot meet a
 * clause overrides that test with a comment saying why, never skips it silently.
 *
 * <p>Maven coordinate: {@code dev.lifeboat:lifeboat-core:<version>:test-jar} (type {@code test-jar},
 * scope {@code test}).
 */
public abstract class AbstractUploaderContractTest {
    /** Larger than 64 MiB, so that multipart and resumable paths are taken. */
    protected static final long LARGE_SIZE = 64L * 1024 * 1024 + 4099;

    @TempDir
    protected Path localDir;

    private Uploader uploader;
    private String prefix;

    // ---- hooks ---------------------------------------------------------------------------------

    /** The factory under test. */
    protected abstract UploaderFactory factory();

    /** The destination URI on the test server, e.g. {@code s3://bucket/contract}. */
    protected abstract URI destination();

    /** Options (keys without the scheme prefix) that point the uploader at the test server. */
    protected Map<String, String> options() {
        return Map.of();
    }

    /**
     * Reads back the object at {@code key} relative to {@link #destination()}, or empty if there is none.
     * Must not go through the uploader under test.
     */
    protected abstract Optional<byte[]> readObject(String key) throws Exception;

    /** Option sets that {@link UploaderFactory#validate} must reject, each with the key it must name. */
    protected Map<String, Map<String, String>> invalidOptions() {
        return Map.of();
    }

    /** Whether the backend accepts an empty object. */
    protected boolean supportsEmptyFiles() {
        return true;
    }

    // ---- plumbing ------------------------------------------------------------------------------

    @BeforeEach
    protected void createUploader() throws Exception {
        prefix = "contract-" + UUID.randomUUID().toString().substring(0, 8) + "/";
        uploader = newUploader();
    }

    @AfterEach
    protected void closeUploader() throws Exception {
        if (uploader != null) {
            uploader.close();
        }
    }

    protected Uploader newUploader() throws Exception {
        UploaderFactory factory = factory();
        factory.validate(destination(), options());
        return factory.create(destination(), options(), context());
    }

    protected UploaderContext context() {
        return new UploaderContext(localDir, System.getenv(), System.getLogger("lifeboat.contract"));
    }

    protected Uploader uploader() {
        return uploader;
    }

    /** A key unique to the running test. */
    protected String key(String name) {
        return prefix + name;
    }

    protected static UploadControl generous() {
        return UploadControl.withTimeout(Duration.ofMinutes(2));
    }

    protected Path localFile(String name, byte[] content) throws IOException {
        Path file = localDir.resolve(name);
        Files.write(file, content);
        return file;
    }

    protected Path randomFile(String name, long size, long seed) throws IOException {
        Path file = localDir.resolve(name);
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                random.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                left -= n;
            }
        }
        return file;
    }

    protected static SourceFile source(Path file) throws IOException {
        return new SourceFile(file, Files.size(file));
    }

    protected void assertShipped(String key, Path file, UploadResult result) throws Exception {
        byte[] expected = Files.readAllBytes(file);
        Optional<byte[]> actual = readObject(key);
        assertTrue(actual.isPresent(), "object " + key + " should exist");
        assertEquals(expected.length, actual.get().length, "size of " + key);
        assertEquals(sha256(expected), sha256(actual.get()), "SHA-256 of " + key);
        assertEquals(expected.length, result.bytes(), "bytes reported for " + key);
        assertNotNull(result.location(), "location");
        assertChecksumMatches(expected, result);
    }

    /** When the uploader reports a checksum of a known kind, it must be the local bytes' checksum. */
    protected void assertChecksumMatches(byte[] expected, UploadResult result) throws Exception {
        if (result.checksumAlgorithm() == null) {
            return;
        }
        String algorithm = result.checksumAlgorithm().toUpperCase(java.util.Locale.ROOT);
        String value = result.checksum();
        switch (algorithm) {
            case "SHA-256":
                assertTrue(value.equalsIgnoreCase(sha256(expected))
                        || value.equals(java.util.Base64.getEncoder().encodeToString(digest("SHA-256", expected))),
                        "SHA-256 reported by the uploader");
                break;
            case "MD5":
                assertTrue(value.equalsIgnoreCase(HexFormat.of().formatHex(digest("MD5", expected)))
                        || value.equals(java.util.Base64.getEncoder().encodeToString(digest("MD5", expected))),
                        "MD5 reported by the uploader");
                break;
            case "CRC32C":
                CRC32C crc = new CRC32C();
                crc.update(expected);
                long v = crc.getValue();
                byte[] be = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
                assertTrue(value.equals(java.util.Base64.getEncoder().encodeToString(be))
                        || value.equalsIgnoreCase(HexFormat.of().formatHex(be)),
                        "CRC32C reported by the uploader: " + value);
                break;
            default:
                // an algorithm the kit does not know: the uploader's own tests cover it
        }
    }

    protected static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(digest("SHA-256", bytes));
    }

    private static byte[] digest(String algorithm, byte[] bytes) throws Exception {
        return MessageDigest.getInstance(algorithm).digest(bytes);
    }

    // ---- the contract --------------------------------------------------------------------------

    @Test
    protected void factoryIsFoundThroughServiceLoader() {
        boolean found = false;
        for (UploaderFactory f : ServiceLoader.load(UploaderFactory.class)) {
            if (f.scheme().equals(factory().scheme()) && f.getClass().equals(factory().getClass())) {
                found = true;
            }
        }
        assertTrue(found, "META-INF/services/dev.lifeboat.spi.UploaderFactory lists " + factory().getClass().getName());
        assertEquals(factory().scheme().toLowerCase(java.util.Locale.ROOT), factory().scheme(), "scheme is lower case");
    }

    @Test
    protected void checkPassesAgainstAWritableDestination() throws Exception {
        uploader().check(generous());
    }

    @Test
    protected void smallFile() throws Exception {
        Path file = localFile("small.log", "hello, lifeboat\nsecond line\n".getBytes(StandardCharsets.UTF_8));
        UploadResult result = uploader().upload(source(file), key("small.log"), generous());
        assertShipped(key("small.log"), file, result);
    }

    @Test
    protected void emptyFile() throws Exception {
        Path file = localFile("empty.log", new byte[0]);
        if (!supportsEmptyFiles()) {
            fail("override emptyFile() with the backend's behaviour and a comment saying why");
        }
        UploadResult result = uploader().upload(source(file), key("empty.log"), generous());
        assertShipped(key("empty.log"), file, result);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    protected void largeFile() throws Exception {
        Path file = randomFile("large.bin", LARGE_SIZE, 42);
        UploadResult result = uploader().upload(source(file), key("large/large.bin"), generous());
        assertShipped(key("large/large.bin"), file, result);
    }

    @Test
    protected void onlyTheMeasuredLengthIsShipped() throws Exception {
        byte[] content = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        Path file = localFile("growing.log", content);
        UploadResult result = uploader().upload(new SourceFile(file, 10), key("growing.log"), generous());
        assertEquals(10, result.bytes());
        Optional<byte[]> actual = readObject(key("growing.log"));
        assertTrue(actual.isPresent());
        assertArrayEquals("0123456789".getBytes(StandardCharsets.US_ASCII), actual.get());
    }

    @Test
    protected void oddKeys() throws Exception {
        Path file = localFile("odd.log", "odd\n".getBytes(StandardCharsets.UTF_8));
        List<String> keys = List.of(
                "files/var/log/my app/with spaces.log",
                "files/var/log/ünïcødé/日本語.log",
                "files/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/deep.log",
                "files/var/log/app/name+with=odd&chars,(1).log");
        for (String k : keys) {
            UploadResult result = uploader().upload(source(file), key(k), generous());
            assertShipped(key(k), file, result);
        }
    }

    @Test
    protected void overwriteReplacesTheObject() throws Exception {
        Path first = localFile("first.log", "first version, longer than the second\n".getBytes(StandardCharsets.UTF_8));
        Path second = localFile("second.log", "second\n".getBytes(StandardCharsets.UTF_8));
        uploader().upload(source(first), key("same.log"), generous());
        UploadResult result = uploader().upload(source(second), key("same.log"), generous());
        assertShipped(key("same.log"), second, result);
    }

    @Test
    protected void missingSourceFailsAndWritesNothing() throws Exception {
        Path missing = localDir.resolve("does-not-exist.log");
        IOException e = assertThrows(IOException.class,
                () -> uploader().upload(new SourceFile(missing, 10), key("missing.log"), generous()));
        assertTrue(e instanceof NoSuchFileException || String.valueOf(e.getMessage()).contains("does-not-exist"),
                "the error names the missing file: " + e);
        assertFalse(readObject(key("missing.log")).isPresent(), "no object for a missing source");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    protected void concurrentUploads() throws Exception {
        int n = 16;
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            files.add(randomFile("c" + i + ".bin", 100_000 + i * 7919L, i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<UploadResult>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Path file = files.get(i);
                String k = key("concurrent/c" + i + ".bin");
                results.add(pool.submit(() -> uploader().upload(source(file), k, generous())));
            }
            for (int i = 0; i < n; i++) {
                assertShipped(key("concurrent/c" + i + ".bin"), files.get(i), results.get(i).get(2, TimeUnit.MINUTES));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    protected void expiredDeadlineFailsFastAndWritesNothing() throws Exception {
        Path file = localFile("late.log", "too late\n".getBytes(StandardCharsets.UTF_8));
        UploadControl expired = UploadControl.withDeadline(System.nanoTime() - 1);
        assertThrows(UploadCancelledException.class, () -> uploader().upload(source(file), key("late.log"), expired));
        assertFalse(readObject(key("late.log")).isPresent(), "no object after an expired deadline");
    }

    /**
     * Cancels a large upload while it runs: the call must come back promptly, and the final key holds
     * either nothing (cancelled) or the whole file (finished first), never a part.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    protected void cancellationInTheMiddleOfALargeUpload() throws Exception {
        Path file = randomFile("cancel.bin", LARGE_SIZE, 7);
        String k = key("cancel/cancel.bin");
        UploadControl control = generous();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<UploadResult> upload = pool.submit(() -> uploader().upload(source(file), k, control));
            long start = System.nanoTime();
            // wait until bytes flow (or a short while for uploaders that do not report progress)
            while (control.progress() == 0 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2) && !upload.isDone()) {
                Thread.sleep(5);
            }
            control.cancel();
            UploadResult result = null;
            try {
                result = upload.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause() instanceof UploadCancelledException || e.getCause() instanceof InterruptedException,
                        "a cancelled upload throws UploadCancelledException, got " + e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                fail("upload did not return within 30 s of cancellation");
            }
            Optional<byte[]> stored = readObject(k);
            if (result == null) {
                assertFalse(stored.isPresent(), "a cancelled upload leaves no object under the final key");
            } else {
                assertShipped(k, file, result);
            }
        } finally {
            pool.shutdownNow();
        }
        // the uploader stays usable after a cancellation
        Path after = localFile("after.log", "after\n".getBytes(StandardCharsets.UTF_8));
        assertShipped(key("after.log"), after, uploader().upload(source(after), key("after.log"), generous()));
    }

    @Test
    protected void closeIsIdempotent() throws Exception {
        Uploader other = newUploader();
        other.close();
        other.close();
    }

    @Test
    protected void unknownAndInvalidOptionsAreRejected() {
        for (Map.Entry<String, Map<String, String>> entry : invalidOptions().entrySet()) {
            Map<String, String> opts = new HashMap<>(options());
            opts.putAll(entry.getValue());
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> factory().validate(destination(), opts), "options " + entry.getValue());
            assertEquals(entry.getKey(), e.key(), "the error names the key: " + e.getMessage());
            assertNotNull(e.getMessage());
        }
        assertFalse(factory().optionKeys().contains("no-such-option"), "an unknown key is not accepted");
    }

    /** Helper for subclasses reading objects as streams. */
    protected static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    // ---- optional capabilities: concatenation and reading back ---------------------------------

    /** Ships {@code sizes.length} pieces of random bytes; returns their keys and the bytes they hold, joined. */
    private byte[] shipPieces(String name, long[] sizes, List<String> keys) throws Exception {
        java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < sizes.length; i++) {
            Path piece = randomFile(name + "-piece-" + i, sizes[i], 1000 + i);
            String key = key("pieces/" + name + "/" + String.format("%020d", whole.size()));
            uploader().upload(source(piece), key, generous());
            keys.add(key);
            whole.write(Files.readAllBytes(piece));
        }
        return whole.toByteArray();
    }

    private void assertJoined(String target, byte[] expected, UploadResult result) throws Exception {
        assertEquals(expected.length, result.bytes(), "bytes reported for " + target);
        Optional<byte[]> actual = readObject(target);
        assertTrue(actual.isPresent(), "object " + target + " should exist");
        assertEquals(sha256(expected), sha256(actual.get()), "SHA-256 of " + target);
        assertChecksumMatches(expected, result);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    protected void concatenationJoinsPiecesInOrder() throws Exception {
        assumeTrue(uploader().supportsConcatenation(), "the uploader offers no concatenation");
        // pieces above and below the 5 MiB that S3 asks of every part but the last
        List<String> keys = new ArrayList<>();
        byte[] whole = shipPieces("mixed", new long[] {6L << 20, 100_000, 5L << 20, 1}, keys);
        UploadResult result = uploader().concatenate(keys, key("files/mixed.log"), generous());
        assertJoined(key("files/mixed.log"), whole, result);
        for (String piece : keys) {
            assertTrue(readObject(piece).isPresent(), "a source is left as it is: " + piece);
        }
        for (String piece : keys) {
            uploader().delete(piece, generous());
            assertFalse(readObject(piece).isPresent(), "deleted: " + piece);
        }
        assertTrue(readObject(key("files/mixed.log")).isPresent(), "the joined object stays");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    protected void concatenationOfManySmallPieces() throws Exception {
        assumeTrue(uploader().supportsConcatenation(), "the uploader offers no concatenation");
        // more than the 32 sources that one GCS compose call takes
        long[] sizes = new long[70];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 1 + (i * 997L) % 5000;
        }
        List<String> keys = new ArrayList<>();
        byte[] whole = shipPieces("many", sizes, keys);
        UploadResult result = uploader().concatenate(keys, key("files/many.log"), generous());
        assertJoined(key("files/many.log"), whole, result);
    }

    @Test
    protected void concatenationOfOnePieceIsThatPiece() throws Exception {
        assumeTrue(uploader().supportsConcatenation(), "the uploader offers no concatenation");
        List<String> keys = new ArrayList<>();
        byte[] whole = shipPieces("one", new long[] {12_345}, keys);
        UploadResult result = uploader().concatenate(keys, key("files/one.log"), generous());
        assertJoined(key("files/one.log"), whole, result);
    }

    @Test
    protected void concatenationWithAMissingSourceFailsAndWritesNothing() throws Exception {
        assumeTrue(uploader().supportsConcatenation(), "the uploader offers no concatenation");
        List<String> keys = new ArrayList<>();
        shipPieces("gap", new long[] {1000}, keys);
        keys.add(key("pieces/gap/no-such-piece"));
        assertThrows(IOException.class, () -> uploader().concatenate(keys, key("files/gap.log"), generous()));
        assertFalse(readObject(key("files/gap.log")).isPresent(), "nothing under the target");
    }

    @Test
    protected void concatenationAfterTheDeadlineFailsAndWritesNothing() throws Exception {
        assumeTrue(uploader().supportsConcatenation(), "the uploader offers no concatenation");
        List<String> keys = new ArrayList<>();
        shipPieces("late", new long[] {1000, 1000}, keys);
        UploadControl expired = UploadControl.withDeadline(System.nanoTime() - 1);
        assertThrows(UploadCancelledException.class, () -> uploader().concatenate(keys, key("files/late.log"), expired));
        assertFalse(readObject(key("files/late.log")).isPresent(), "nothing under the target");
    }

    @Test
    protected void deletingWhatIsNotThereIsNoError() throws Exception {
        assumeTrue(uploader().supportsConcatenation(), "the uploader offers no concatenation (and so no delete)");
        uploader().delete(key("never-shipped.log"), generous());
    }

    @Test
    protected void readingBackReturnsTheBytesShipped() throws Exception {
        assumeTrue(uploader().supportsRead(), "the uploader offers no reading back");
        Path file = randomFile("read.bin", 3L * 1024 * 1024 + 5, 77);
        uploader().upload(source(file), key("read/read.bin"), generous());
        try (InputStream in = uploader().open(key("read/read.bin"), generous())) {
            assertArrayEquals(Files.readAllBytes(file), in.readAllBytes());
        }
    }

    @Test
    protected void readingWhatIsNotThereIsNoSuchFile() throws Exception {
        assumeTrue(uploader().supportsRead(), "the uploader offers no reading back");
        assertThrows(NoSuchFileException.class, () -> {
            try (InputStream in = uploader().open(key("no-such-object.log"), generous())) {
                in.readAllBytes();
            }
        });
    }
}
