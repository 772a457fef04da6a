package dev.lifeboat.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.InvalidKeyException;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
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
 * how to read an object back and how to list what the backend holds, both without going through the
 * uploader. A backend's contract test is then its hooks and its genuine quirks.
 *
 * <p>Capabilities are overridable {@code supportsXxx()} methods: a backend without one returns false
 * (with a comment saying why) and the clauses that need it are skipped visibly, with the reason, never
 * passed silently. A backend that behaves differently in one clause overrides that test method (they are
 * all protected) with a comment saying why.
 *
 * <p>Maven coordinate: {@code dev.lifeboat:lifeboat-core:<version>:test-jar} (type {@code test-jar},
 * scope {@code test}). The kit needs the JDK, JUnit Jupiter and the SPI only.
 */
public abstract class AbstractUploaderContractTest {
    /** Larger than 64 MiB, so that multipart and resumable paths are taken. */
    protected static final long LARGE_SIZE = 64L * 1024 * 1024 + 4099;
    /** The deadline the black-hole clauses give {@code check()} and {@code upload()}. */
    protected static final Duration BLACK_HOLE_DEADLINE = Duration.ofSeconds(2);
    /** By when those calls must have returned, measured from the call: the deadline and a small slack. */
    protected static final Duration BLACK_HOLE_LIMIT = Duration.ofSeconds(3);
    /** How long {@code close()} may take after calls to a black hole were abandoned. */
    protected static final Duration CLOSE_LIMIT = Duration.ofSeconds(2);

    /**
     * Keys every uploader refuses: empty, a leading or trailing '/', an empty, '.' or '..' segment, a
     * control character, more than 1024 bytes in UTF-8 (605 characters here, so that a rule counting
     * characters does not pass; no segment is longer than 200 bytes, so that no file-name limit does).
     */
    protected static final List<String> BAD_KEYS = List.of("", "/lead", "trail/", "a//b", "a/./b", "a/../b", "..",
            "ctl\u0001x", String.join("/", Collections.nCopies(6, "\u00e9".repeat(100))));

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

    /**
     * Every key under {@link #destination()} that starts with {@code prefix}, relative to the destination,
     * read from the backend directly (not through the uploader under test): finished objects and anything
     * else a write leaves there, such as temporary or hidden names, and what the backend holds as an
     * unfinished write (e.g. an S3 multipart upload in progress). In any order.
     */
    protected abstract List<String> listKeys(String prefix) throws Exception;

    /**
     * Option sets that {@link UploaderFactory#validate} must reject, each under the key its error must
     * name. A factory that declares option keys must name at least one invalid set here.
     */
    protected Map<String, Map<String, String>> invalidOptions() {
        return Map.of();
    }

    /** Whether the backend stores an empty object. */
    protected boolean supportsEmptyFiles() {
        return true;
    }

    /**
     * Whether the uploader can be pointed at an arbitrary network address (through
     * {@link #blackHoleDestination} and {@link #blackHoleOptions}); false for a backend that has no
     * endpoint, such as a local directory.
     */
    protected boolean supportsBlackHoleEndpoint() {
        return true;
    }

    /** The destination to use against a server at {@code address}; by default {@link #destination()}. */
    protected URI blackHoleDestination(InetSocketAddress address) {
        return destination();
    }

    /** The options that point the uploader at a server at {@code address}; by default {@link #options()}. */
    protected Map<String, String> blackHoleOptions(InetSocketAddress address) {
        return options();
    }

    /**
     * How long after a failed or cancelled upload returned the backend may still hold its temporary
     * state, for uploaders that clean up on a worker once the in-flight request has stopped.
     */
    protected Duration cleanupTimeout() {
        return Duration.ofSeconds(30);
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

    /**
     * When the uploader reports a checksum of a known kind, it must be the local bytes' checksum in the
     * encoding {@link UploadResult} pins: base64 of the big-endian digest.
     */
    protected void assertChecksumMatches(byte[] expected, UploadResult result) throws Exception {
        if (result.checksumAlgorithm() == null) {
            return;
        }
        String value = result.checksum();
        switch (result.checksumAlgorithm()) {
            case UploadResult.SHA_256:
                assertEquals(Checksums.base64(digest("SHA-256", expected)), value, "SHA-256 reported by the uploader");
                break;
            case UploadResult.MD5:
                assertEquals(Checksums.base64(digest("MD5", expected)), value, "MD5 reported by the uploader");
                break;
            case UploadResult.CRC32C:
                CRC32C crc = new CRC32C();
                crc.update(expected);
                assertEquals(Checksums.crc(crc), value, "CRC32C reported by the uploader");
                break;
            default:
                // CRC32: the uploader's own tests cover it
        }
    }

    protected static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(digest("SHA-256", bytes));
    }

    private static byte[] digest(String algorithm, byte[] bytes) throws Exception {
        return MessageDigest.getInstance(algorithm).digest(bytes);
    }

    /**
     * Asserts that the backend holds exactly {@code expected} under {@code prefix}, waiting up to
     * {@link #cleanupTimeout()} for temporary state that is removed after the call returned.
     */
    protected void assertOnlyKeys(String prefix, String... expected) throws Exception {
        Set<String> want = new TreeSet<>(List.of(expected));
        long until = System.nanoTime() + cleanupTimeout().toNanos();
        Set<String> found = new TreeSet<>(listKeys(prefix));
        while (!found.equals(want) && System.nanoTime() - until < 0) {
            Thread.sleep(100);
            found = new TreeSet<>(listKeys(prefix));
        }
        assertEquals(want, found, "what the backend holds under '" + prefix + "'");
    }

    /**
     * A listener on 127.0.0.1 that accepts connections and never reads or answers; the accepted sockets
     * stay open until it is closed.
     */
    protected static final class BlackHole implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> accepted = new ArrayList<>();
        private final Thread acceptor = new Thread(this::acceptForever, "black-hole");

        public BlackHole() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void acceptForever() {
            try {
                while (true) {
                    Socket socket = server.accept();
                    synchronized (accepted) {
                        accepted.add(socket);
                    }
                }
            } catch (IOException e) {
                // closed
            }
        }

        public InetSocketAddress address() {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        /** How many connections it accepted so far. */
        public int accepted() {
            synchronized (accepted) {
                return accepted.size();
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (accepted) {
                for (Socket socket : accepted) {
                    socket.close();
                }
            }
        }
    }

    /** An uploader pointed at {@code hole}, through {@link #blackHoleDestination} and {@link #blackHoleOptions}. */
    protected Uploader blackHoleUploader(BlackHole hole) throws Exception {
        assumeTrue(supportsBlackHoleEndpoint(), "supportsBlackHoleEndpoint() is false for " + getClass().getSimpleName()
                + ": the uploader cannot be pointed at a network address");
        URI destination = blackHoleDestination(hole.address());
        Map<String, String> options = blackHoleOptions(hole.address());
        factory().validate(destination, options);
        return factory().create(destination, options, context());
    }

    /** What a black-hole clause does with an uploader pointed at the hole. */
    protected interface BlackHoleCalls {
        void run(Uploader stalled, BlackHole hole) throws Exception;
    }

    /**
     * Runs {@code calls} against an uploader pointed at a fresh black hole, then asserts that the uploader
     * closes promptly and that it did connect to the hole (so that the hooks pointed it there).
     */
    protected void againstABlackHole(BlackHoleCalls calls) throws Exception {
        try (BlackHole hole = new BlackHole()) {
            Uploader stalled = blackHoleUploader(hole);
            try {
                calls.run(stalled, hole);
            } finally {
                long start = System.nanoTime();
                stalled.close();
                assertWithin(CLOSE_LIMIT, start, "close() after calls to a black hole");
            }
            assertTrue(hole.accepted() > 0, "the uploader never connected to the black hole at " + hole.address()
                    + ": point blackHoleDestination()/blackHoleOptions() at it, or return false from"
                    + " supportsBlackHoleEndpoint() with a comment saying why");
        }
    }

    /** {@code call} must throw an IOException (cancelled or failed) within {@link #BLACK_HOLE_LIMIT}. */
    private static void assertGivesUpByTheDeadline(String what, org.junit.jupiter.api.function.Executable call) {
        long start = System.nanoTime();
        assertThrows(IOException.class, call, what);
        assertWithin(BLACK_HOLE_LIMIT, start, what + ", deadline " + BLACK_HOLE_DEADLINE.toMillis() + " ms,");
    }

    private static void assertWithin(Duration limit, long startNanos, String what) {
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        assertTrue(millis <= limit.toMillis(), what + " returned after " + millis + " ms, limit " + limit.toMillis() + " ms");
    }

    /**
     * The regular files under {@code root} as '/'-separated keys that start with {@code prefix}, for a
     * backend whose test reads what it stored from a directory.
     */
    protected static List<String> filesUnder(Path root, String prefix) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> all = Files.walk(root)) {
            return all.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(k -> k.startsWith(prefix)).toList();
        }
    }

    /** A key in readable form for assertion messages. */
    private static String printable(String key) {
        StringBuilder out = new StringBuilder("'");
        for (char c : key.toCharArray()) {
            out.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        String text = out.append("'").toString();
        return text.length() > 40 ? text.substring(0, 30) + "...' (" + key.getBytes(StandardCharsets.UTF_8).length
                + " bytes)" : text;
    }

    /** Whether {@code keys}, as {@link UploaderFactory#optionKeys()} declares them, take {@code key}. */
    private static boolean declares(Set<String> keys, String key) {
        for (String k : keys) {
            if (k.equals(key) || (k.endsWith(".") && key.startsWith(k) && key.length() > k.length())) {
                return true;
            }
        }
        return false;
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
        List<String> before = new ArrayList<>(new TreeSet<>(listKeys("")));
        uploader().check(generous());
        uploader().check(generous());
        assertEquals(before, new ArrayList<>(new TreeSet<>(listKeys(""))), "check() leaves nothing behind");
    }

    @Test
    protected void smallFile() throws Exception {
        Path file = localFile("small.log", "hello, lifeboat\nsecond line\n".getBytes(StandardCharsets.UTF_8));
        UploadResult result = uploader().upload(source(file), key("small.log"), generous());
        assertShipped(key("small.log"), file, result);
    }

    @Test
    protected void emptyFile() throws Exception {
        assumeTrue(supportsEmptyFiles(), "supportsEmptyFiles() is false for " + getClass().getSimpleName()
                + ": the backend stores no empty object");
        Path file = localFile("empty.log", new byte[0]);
        UploadResult result = uploader().upload(source(file), key("empty.log"), generous());
        assertShipped(key("empty.log"), file, result);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    protected void largeFile() throws Exception {
        Path file = randomFile("large.bin", LARGE_SIZE, 42);
        UploadResult result = uploader().upload(source(file), key("large/large.bin"), generous());
        assertShipped(key("large/large.bin"), file, result);
        assertOnlyKeys(key("large/"), key("large/large.bin"));
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
                "files/var/log/app/name+with=odd&chars,(1).log",
                "files/var/log/.hidden/..dots../v1.2...log");
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
        assertOnlyKeys(key(""));
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
        List<String> keys = new ArrayList<>();
        try {
            List<Future<UploadResult>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Path file = files.get(i);
                String k = key("concurrent/c" + i + ".bin");
                keys.add(k);
                results.add(pool.submit(() -> uploader().upload(source(file), k, generous())));
            }
            for (int i = 0; i < n; i++) {
                assertShipped(key("concurrent/c" + i + ".bin"), files.get(i), results.get(i).get(2, TimeUnit.MINUTES));
            }
        } finally {
            pool.shutdownNow();
        }
        assertOnlyKeys(key("concurrent/"), keys.toArray(new String[0]));
    }

    @Test
    protected void expiredDeadlineFailsFastAndWritesNothing() throws Exception {
        Path file = localFile("late.log", "too late\n".getBytes(StandardCharsets.UTF_8));
        UploadControl expired = UploadControl.withDeadline(System.nanoTime() - 1);
        assertThrows(UploadCancelledException.class, () -> uploader().upload(source(file), key("late.log"), expired));
        assertFalse(readObject(key("late.log")).isPresent(), "no object after an expired deadline");
        assertOnlyKeys(key(""));
    }

    /**
     * Cancels a large upload while it runs: the call must come back promptly, and the final key holds
     * either nothing (cancelled) or the whole file (finished first), never a part; no temporary state
     * remains either way.
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
                assertOnlyKeys(key("cancel/"));
            } else {
                assertShipped(k, file, result);
                assertOnlyKeys(key("cancel/"), k);
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

    /** Option keys take the prefix rule of {@link UploaderFactory#optionKeys()}; the config layer refuses others. */
    @Test
    protected void unknownAndInvalidOptionsAreRejected() {
        Set<String> declared = factory().optionKeys();
        assertFalse(declares(declared, "no-such-option-" + UUID.randomUUID()), "an unknown key is not declared: " + declared);
        for (String key : options().keySet()) {
            assertTrue(declares(declared, key), "the test's option '" + key + "' is declared in optionKeys() " + declared
                    + ": Lifeboat's configuration refuses any other");
        }
        if (!declared.isEmpty() && invalidOptions().isEmpty()) {
            fail(factory().getClass().getSimpleName() + " declares the options " + declared + " but invalidOptions()"
                    + " names no invalid set: return at least one value per option that validate() must refuse");
        }
        for (Map.Entry<String, Map<String, String>> entry : invalidOptions().entrySet()) {
            Set<String> named = new TreeSet<>(entry.getValue().keySet());
            named.add(entry.getKey());
            for (String key : named) {
                assertTrue(declares(declared, key), "invalidOptions() names '" + key + "', which optionKeys() does not"
                        + " declare " + declared + ": Lifeboat's configuration refuses it before validate() sees it");
            }
            Map<String, String> opts = new HashMap<>(options());
            opts.putAll(entry.getValue());
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> factory().validate(destination(), opts), "options " + entry.getValue());
            assertEquals(entry.getKey(), e.key(), "the error names the key: " + e.getMessage());
            assertNotNull(e.getMessage());
            assertFalse(e.getMessage().isBlank(), "the error says what is wrong");
        }
    }

    /**
     * Every key in {@link #BAD_KEYS} is refused with an {@link InvalidKeyException} ({@link
     * dev.lifeboat.spi.Keys#check}) before anything is written; a key that escapes the destination must not land elsewhere under it either.
     */
    @Test
    protected void badKeysAreRefusedAndWriteNothing() throws Exception {
        Path file = localFile("bad.log", "bad key\n".getBytes(StandardCharsets.UTF_8));
        Set<String> before = new TreeSet<>(listKeys(""));
        List<String> accepted = new ArrayList<>();
        for (String bad : BAD_KEYS) {
            try {
                uploader().upload(source(file), bad, generous());
                accepted.add(printable(bad));
            } catch (InvalidKeyException e) {
                assertTrue(e.getMessage().startsWith("invalid key"), "one line naming the key: " + e.getMessage());
            }
        }
        assertEquals(List.of(), accepted, "bad keys the uploader accepted");
        assertEquals(before, new TreeSet<>(listKeys("")), "nothing written for a bad key");
    }

    /** A successful upload, and one that replaces it, leave the final key and nothing else. */
    @Test
    protected void onlyTheFinalKeyRemainsAfterSuccess() throws Exception {
        Path first = localFile("first.log", "first\n".getBytes(StandardCharsets.UTF_8));
        Path second = localFile("second.log", "second, replacing the first\n".getBytes(StandardCharsets.UTF_8));
        uploader().upload(source(first), key("done/a.log"), generous());
        uploader().upload(source(second), key("done/a.log"), generous());
        uploader().upload(source(first), key("done/sub/b.log"), generous());
        assertOnlyKeys(key("done/"), key("done/a.log"), key("done/sub/b.log"));
    }

    /**
     * A file that shrank after it was measured, small and large (so that multipart and resumable paths
     * are taken): the upload fails, is not reported as cancelled, and leaves nothing under any name.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    protected void aFailedUploadLeavesNothingBehind() throws Exception {
        Path small = localFile("shrunk.log", "ten bytes\n".getBytes(StandardCharsets.UTF_8));
        Path large = randomFile("shrunk.bin", LARGE_SIZE, 3);
        for (SourceFile measured : List.of(new SourceFile(small, 20), new SourceFile(large, LARGE_SIZE + (8L << 20)))) {
            String k = key("failed/" + measured.path().getFileName());
            IOException e = assertThrows(IOException.class, () -> uploader().upload(measured, k, generous()),
                    "upload of " + measured);
            assertFalse(e instanceof UploadCancelledException, "a failure, not a cancellation: " + e);
        }
        assertOnlyKeys(key("failed/"));
        Path after = localFile("after.log", "after\n".getBytes(StandardCharsets.UTF_8));
        assertShipped(key("after.log"), after, uploader().upload(source(after), key("after.log"), generous()));
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    protected void checkOnABlackHoleGivesUpByTheDeadline() throws Exception {
        againstABlackHole((stalled, hole) -> assertGivesUpByTheDeadline("check() on a black hole",
                () -> stalled.check(UploadControl.withTimeout(BLACK_HOLE_DEADLINE))));
    }

    /** A small and a large upload (multipart and resumable paths) to a black hole. */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    protected void uploadToABlackHoleGivesUpByTheDeadline() throws Exception {
        Path small = localFile("hole.log", "into the void\n".getBytes(StandardCharsets.UTF_8));
        Path large = randomFile("hole.bin", LARGE_SIZE, 5);
        againstABlackHole((stalled, hole) -> {
            for (Path file : List.of(small, large)) {
                assertGivesUpByTheDeadline("upload of " + file.getFileName() + " to a black hole", () -> stalled.upload(
                        source(file), key(file.getFileName().toString()), UploadControl.withTimeout(BLACK_HOLE_DEADLINE)));
            }
        });
    }

    /** Cancelling an upload held by a black hole returns promptly, long before its deadline. */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    protected void cancellingAnUploadToABlackHoleReturnsPromptly() throws Exception {
        Path file = localFile("held.log", "held\n".getBytes(StandardCharsets.UTF_8));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            againstABlackHole((stalled, hole) -> {
                UploadControl control = UploadControl.withTimeout(Duration.ofMinutes(2));
                Future<UploadResult> upload = pool.submit(() -> stalled.upload(source(file), key("held.log"), control));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (hole.accepted() == 0 && !upload.isDone() && System.nanoTime() - until < 0) {
                    Thread.sleep(10);
                }
                Thread.sleep(200);
                assertFalse(upload.isDone(), "the upload is held by the black hole");
                long start = System.nanoTime();
                control.cancel();
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> upload.get(BLACK_HOLE_LIMIT.toMillis() + 1_000, TimeUnit.MILLISECONDS));
                assertTrue(e.getCause() instanceof UploadCancelledException, "cancelled: " + e.getCause());
                assertWithin(BLACK_HOLE_LIMIT, start, "upload() after cancel(), deadline 2 min,");
            });
        } finally {
            pool.shutdownNow();
        }
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
        // the sources may be consumed or left; deleting them is no error either way
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

    /**
     * As continuous shipping does: small pieces folded into one at a piece key while the child runs (as many
     * as one call joins on the server, up to 32), that one folded again with later ones, and the result
     * sealed at the file's key.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    protected void aFoldedPieceCanBeJoinedAgain() throws Exception {
        assumeTrue(uploader().supportsConcatenation(), "the uploader offers no concatenation");
        int width = Math.min(32, uploader().concatenationLimits().maximumSources());
        long[] sizes = new long[width + 2];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 100 + i * 37L;
        }
        List<String> keys = new ArrayList<>();
        byte[] whole = shipPieces("refold", sizes, keys);
        String first = key("pieces/refold/00000000000000000000-" + String.format("%020d", whole.length));
        UploadResult folded = uploader().concatenate(keys.subList(0, width), first, generous());
        long foldedBytes = java.util.Arrays.stream(sizes, 0, width).sum();
        assertEquals(foldedBytes, folded.bytes(), "bytes reported for the folded piece");
        String second = key("pieces/refold/00000000000000000000-" + String.format("%020d", whole.length + 1));
        uploader().concatenate(List.of(first, keys.get(width)), second, generous());
        UploadResult sealed = uploader().concatenate(List.of(second, keys.get(width + 1)), key("files/refold.log"),
                generous());
        assertJoined(key("files/refold.log"), whole, sealed);
    }

    @Test
    protected void concatenationWithAMissingSourceFailsAndWritesNothing() throws Exception {
        assumeTrue(uploader().supportsConcatenation(), "the uploader offers no concatenation");
        List<String> keys = new ArrayList<>();
        shipPieces("gap", new long[] {1000}, keys);
        keys.add(key("pieces/gap/no-such-piece"));
        assertThrows(IOException.class, () -> uploader().concatenate(keys, key("files/gap.log"), generous()));
        assertFalse(readObject(key("files/gap.log")).isPresent(), "nothing under the target");
        assertTrue(readObject(keys.get(0)).isPresent(), "a failed concatenation leaves the sources as they were");
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

    // ---- optional: conditional create (a run's claim on its folder) ----------------------------

    @Test
    protected void uploadIfAbsentCreatesOnceAndLeavesWhatIsThere() throws Exception {
        assumeTrue(uploader().supportsUploadIfAbsent(),
                "the uploader offers no conditional create: a run's claim is then a check (if it can read) or none");
        Path first = localFile("first.json", "{\"run\":1}".getBytes(StandardCharsets.UTF_8));
        Path second = localFile("second.json", "{\"run\":2, \"longer\":true}".getBytes(StandardCharsets.UTF_8));
        assertTrue(uploader().uploadIfAbsent(source(first), key("claim/claim.json"), generous()), "created");
        assertFalse(uploader().uploadIfAbsent(source(second), key("claim/claim.json"), generous()),
                "refused: something is there");
        assertArrayEquals(Files.readAllBytes(first), readObject(key("claim/claim.json")).orElseThrow(),
                "the first object stays as it was");
        assertOnlyKeys(key("claim/"), key("claim/claim.json"));
    }

    @Test
    protected void ofConcurrentUploadsIfAbsentExactlyOneWins() throws Exception {
        assumeTrue(uploader().supportsUploadIfAbsent(), "the uploader offers no conditional create");
        int racers = 6;
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            files.add(localFile("racer-" + i + ".json", ("{\"racer\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (Path file : files) {
                results.add(pool.submit(() -> uploader().uploadIfAbsent(source(file), key("race/claim.json"), generous())));
            }
            int won = -1;
            for (int i = 0; i < racers; i++) {
                if (results.get(i).get(2, TimeUnit.MINUTES)) {
                    assertEquals(-1, won, "two racers created the object: " + won + " and " + i);
                    won = i;
                }
            }
            assertTrue(won >= 0, "one racer created the object");
            assertArrayEquals(Files.readAllBytes(files.get(won)), readObject(key("race/claim.json")).orElseThrow());
        } finally {
            pool.shutdownNow();
        }
    }
}
