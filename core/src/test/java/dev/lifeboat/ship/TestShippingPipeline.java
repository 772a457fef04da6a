package dev.lifeboat.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.base.Log;
import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.uploader.file.FileUploaderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestShippingPipeline {
    private static final String PREFIX = "host-1/20261127T103000Z";

    @TempDir
    Path dir;

    private final Log log = Log.stderr(false, false);
    /** The backoff delays the pipeline asked for; none of them is slept. */
    private final List<Long> backoffs = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Releases uploaders that ignore cancellation once a test is over, so that no thread outlives it. */
    private final AtomicBoolean released = new AtomicBoolean();

    @AfterEach
    void release() {
        released.set(true);
    }

    private ShippingPipeline pipeline(int concurrency, int retries) {
        return new ShippingPipeline(concurrency, retries, log, backoffs::add);
    }

    private ShipItem item(String name, byte[] content) throws IOException {
        Path f = dir.resolve("src").resolve(name);
        Files.createDirectories(f.getParent());
        Files.write(f, content);
        return new ShipItem(f, Collector.keyFor(f), f.toString(), content.length);
    }

    private ShipItem item(String name, int size) throws IOException {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        return item(name, content);
    }

    private static long in(long seconds) {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** A test double of the uploader SPI: each upload runs {@code behaviour}. */
    private interface Behaviour {
        UploadResult upload(SourceFile source, String key, UploadControl control, int call)
                throws IOException, InterruptedException;
    }

    private static final class TestUploader implements Uploader {
        final Behaviour behaviour;
        final AtomicInteger calls = new AtomicInteger();
        final Map<String, AtomicInteger> callsByKey = new ConcurrentHashMap<>();

        TestUploader(Behaviour behaviour) {
            this.behaviour = behaviour;
        }

        @Override
        public void check(UploadControl control) {}

        @Override
        public UploadResult upload(SourceFile source, String key, UploadControl control)
                throws IOException, InterruptedException {
            calls.incrementAndGet();
            int call = callsByKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            return behaviour.upload(source, key, control, call);
        }

        @Override
        public void close() {}
    }

    private static UploadResult ok(SourceFile source, String key) {
        return UploadResult.unverified("test://" + key, source.size());
    }

    @Test
    void realFileUploaderShipsEverythingWithItsSha256() throws Exception {
        Path archive = dir.resolve("archive");
        Uploader uploader = new FileUploaderFactory().create(archive.toUri(), Map.of("fsync", "false"),
                new UploaderContext(dir.resolve("spool"), Map.of(), System.getLogger("test")));
        List<ShipItem> items = List.of(item("empty.log", 0), item("one.log", 1), item("app/app.log", 100_000),
                item("big.log", 1 << 20), item("stdout.log", "hello\n".getBytes()));
        ShippingPipeline.Report report = pipeline(4, 2)
                .ship(uploader, PREFIX, items, Map.of(items.get(4).key(), 7L), in(60));
        uploader.close();

        assertEquals(List.of(), report.notShipped());
        assertEquals(items.size(), report.shipped().size());
        for (int i = 0; i < items.size(); i++) {
            ShipItem item = items.get(i);
            Manifest.Shipped s = report.shipped().get(i);
            byte[] original = Files.readAllBytes(item.source());
            assertEquals(item.key(), s.key(), "in the order given");
            assertEquals(item.origin(), s.origin());
            assertEquals(original.length, s.size());
            assertEquals(sha256(original), s.sha256(), item.key());
            assertEquals(Hashes.of(new SourceFile(item.source(), item.size())).crc32c(), s.crc32c());
            assertEquals(1, s.attempts());
            assertNotNull(s.checksum());
            assertEquals("SHA-256", s.checksum().algorithm());
            assertEquals(Checksums.hexToBase64(s.sha256()), s.checksum().value(), "the file uploader's SHA-256, in base64");
            assertArrayEquals(original, Files.readAllBytes(archive.resolve(PREFIX).resolve(item.key())));
        }
        assertNull(report.shipped().get(0).droppedBytes());
        assertEquals(7L, report.shipped().get(4).droppedBytes());
    }

    @Test
    void onlyTheSizeMeasuredAtCollectionIsShipped() throws Exception {
        Path archive = dir.resolve("archive");
        Uploader uploader = new FileUploaderFactory().create(archive.toUri(), Map.of("fsync", "false"),
                new UploaderContext(dir.resolve("spool"), Map.of(), System.getLogger("test")));
        ShipItem item = item("growing.log", "first line\n".getBytes());
        Files.write(item.source(), "second line\n".getBytes(), java.nio.file.StandardOpenOption.APPEND);
        ShippingPipeline.Report report = pipeline(1, 0).ship(uploader, PREFIX, List.of(item), Map.of(), in(60));
        assertEquals(sha256("first line\n".getBytes()), report.shipped().get(0).sha256());
        assertEquals("first line\n", Files.readString(archive.resolve(PREFIX).resolve(item.key())));
    }

    @Test
    void failsTwiceThenSucceeds() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) -> {
            if (call <= 2) {
                throw new IOException("transient failure " + call);
            }
            return ok(source, key);
        });
        ShipItem item = item("a.log", 10);
        ShippingPipeline.Report report = pipeline(1, 2).ship(uploader, PREFIX, List.of(item), Map.of(), in(60));
        assertEquals(List.of(), report.notShipped());
        assertEquals(3, report.shipped().get(0).attempts());
        assertEquals(3, uploader.calls.get());
        assertEquals(2, backoffs.size(), "one backoff before each retry");
        assertTrue(backoffs.get(0) >= ShippingPipeline.BASE_BACKOFF_NANOS
                && backoffs.get(0) <= ShippingPipeline.BASE_BACKOFF_NANOS * 3 / 2, "200 ms, up to half more: " + backoffs);
        assertTrue(backoffs.get(1) >= 2 * ShippingPipeline.BASE_BACKOFF_NANOS
                && backoffs.get(1) <= 3 * ShippingPipeline.BASE_BACKOFF_NANOS, "doubled: " + backoffs);
    }

    @Test
    void alwaysFailsReportsTheLastError() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) -> {
            throw new IOException("refused, attempt " + call);
        });
        ShipItem item = item("a.log", 10);
        ShippingPipeline.Report report = pipeline(1, 2).ship(uploader, PREFIX, List.of(item), Map.of(), in(60));
        assertEquals(List.of(), report.shipped());
        Skipped s = report.notShipped().get(0);
        assertEquals(Skipped.Reason.UPLOAD_FAILED, s.reason());
        assertEquals(item.key(), s.key());
        assertEquals(item.origin(), s.path());
        assertTrue(s.detail().contains("3 attempt(s)"), s.detail());
        assertTrue(s.detail().contains("refused, attempt 3"), s.detail());
        assertEquals(3, uploader.calls.get());
    }

    @Test
    void aRuntimeExceptionIsAFailedAttemptToo() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) -> {
            if (call == 1) {
                throw new IllegalStateException("client not ready");
            }
            return ok(source, key);
        });
        ShippingPipeline.Report report = pipeline(1, 1)
                .ship(uploader, PREFIX, List.of(item("a.log", 10)), Map.of(), in(60));
        assertEquals(2, report.shipped().get(0).attempts());
    }

    @Test
    void anUploaderThatIgnoresCancellationIsAbandonedAtTheDeadline() throws Exception {
        AtomicInteger blocked = new AtomicInteger();
        TestUploader uploader = new TestUploader((source, key, control, call) -> {
            if (key.endsWith("stuck.log")) {
                blocked.incrementAndGet();
                while (!released.get()) {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        // ignores cancellation on purpose
                    }
                }
                throw new IOException("released");
            }
            return ok(source, key);
        });
        List<ShipItem> items = List.of(item("fast1.log", 10), item("stuck.log", 10), item("fast2.log", 10));
        long deadline = in(2);
        ShippingPipeline.Report report = pipeline(2, 2).ship(uploader, PREFIX, items, Map.of(), deadline);
        long late = System.nanoTime() - deadline;
        assertTrue(late < TimeUnit.SECONDS.toNanos(5), "returned " + TimeUnit.NANOSECONDS.toMillis(late)
                + " ms after the deadline");
        assertEquals(1, blocked.get());
        assertEquals(List.of(items.get(0).key(), items.get(2).key()),
                report.shipped().stream().map(Manifest.Shipped::key).toList());
        assertEquals(1, report.notShipped().size());
        Skipped s = report.notShipped().get(0);
        assertEquals(Skipped.Reason.DEADLINE, s.reason());
        assertEquals(items.get(1).key(), s.key());
    }

    @Test
    void aCooperativeUploaderIsCancelledAtTheDeadline() throws Exception {
        CountDownLatch cancelled = new CountDownLatch(1);
        TestUploader uploader = new TestUploader((source, key, control, call) -> {
            control.onCancel(cancelled::countDown);
            while (true) {
                control.checkCancelled();
                Thread.sleep(20);
            }
        });
        long deadline = in(1);
        ShippingPipeline.Report report = pipeline(1, 5)
                .ship(uploader, PREFIX, List.of(item("slow.log", 10)), Map.of(), deadline);
        assertTrue(System.nanoTime() - deadline < TimeUnit.SECONDS.toNanos(5));
        assertEquals(Skipped.Reason.DEADLINE, report.notShipped().get(0).reason());
        assertEquals(1, uploader.calls.get(), "a cancelled upload is not retried");
        assertTrue(cancelled.await(10, TimeUnit.SECONDS), "the control was cancelled");
    }

    @Test
    void itemsNotStartedByTheDeadlineAreReported() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) -> ok(source, key));
        List<ShipItem> items = List.of(item("a.log", 1), item("b.log", 2));
        ShippingPipeline.Report report = pipeline(2, 2)
                .ship(uploader, PREFIX, items, Map.of(), System.nanoTime() - 1);
        assertEquals(List.of(), report.shipped());
        assertEquals(2, report.notShipped().size());
        for (Skipped s : report.notShipped()) {
            assertEquals(Skipped.Reason.DEADLINE, s.reason());
        }
        assertEquals(0, uploader.calls.get());
    }

    @Test
    void aContradictingCrc32cFailsTheAttempt() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) ->
                new UploadResult("test://" + key, source.size(), "CRC32C", "AAAAAA==", true));
        ShippingPipeline.Report report = pipeline(1, 1)
                .ship(uploader, PREFIX, List.of(item("a.log", "abc".getBytes())), Map.of(), in(60));
        Skipped s = report.notShipped().get(0);
        assertEquals(Skipped.Reason.UPLOAD_FAILED, s.reason());
        assertTrue(s.detail().contains("CRC32C mismatch"), s.detail());
        assertEquals(2, uploader.calls.get(), "a contradiction is retried like any failed attempt");
    }

    @Test
    void aContradictingSha256FailsTheAttempt() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) ->
                new UploadResult("test://" + key, source.size(), "SHA-256", call == 1 ? Checksums.hexToBase64("00".repeat(32))
                        : Checksums.hexToBase64("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), true));
        ShippingPipeline.Report report = pipeline(1, 1)
                .ship(uploader, PREFIX, List.of(item("a.log", "abc".getBytes())), Map.of(), in(60));
        Manifest.Shipped s = report.shipped().get(0);
        assertEquals(2, s.attempts(), "the first, contradicting, attempt failed");
        assertEquals(new Manifest.Checksum("SHA-256",
                Checksums.hexToBase64("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), true), s.checksum());
    }

    @Test
    void aMatchingCrc32cIsRecorded() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) ->
                new UploadResult("test://" + key, source.size(), "CRC32C", "4waSgw==", true));
        ShippingPipeline.Report report = pipeline(1, 0)
                .ship(uploader, PREFIX, List.of(item("a.log", "123456789".getBytes())), Map.of(), in(60));
        Manifest.Shipped s = report.shipped().get(0);
        assertEquals("4waSgw==", s.crc32c());
        assertEquals(new Manifest.Checksum("CRC32C", "4waSgw==", true), s.checksum());
        assertEquals("test://" + PREFIX + "/" + s.key(), s.location());
    }

    @Test
    void aWrongByteCountFailsTheAttempt() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) ->
                UploadResult.unverified("test://" + key, source.size() - 1));
        ShippingPipeline.Report report = pipeline(1, 0)
                .ship(uploader, PREFIX, List.of(item("a.log", 10)), Map.of(), in(60));
        Skipped s = report.notShipped().get(0);
        assertEquals(Skipped.Reason.UPLOAD_FAILED, s.reason());
        assertTrue(s.detail().contains("9 bytes, expected 10"), s.detail());
    }

    @Test
    void aFileDeletedBeforeShippingHasVanished() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) -> ok(source, key));
        ShipItem gone = item("gone.log", 10);
        ShipItem kept = item("kept.log", 10);
        Files.delete(gone.source());
        ShippingPipeline.Report report = pipeline(2, 2)
                .ship(uploader, PREFIX, List.of(gone, kept), Map.of(), in(60));
        assertEquals(List.of(kept.key()), report.shipped().stream().map(Manifest.Shipped::key).toList());
        Skipped s = report.notShipped().get(0);
        assertEquals(Skipped.Reason.VANISHED, s.reason());
        assertEquals(gone.key(), s.key());
        assertEquals(1, uploader.calls.get(), "the vanished file was not offered to the uploader");
    }

    @Test
    void aFileThatShrankIsAReadFailure() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) -> ok(source, key));
        ShipItem item = item("truncated.log", 100);
        Files.write(item.source(), new byte[10]);
        ShippingPipeline.Report report = pipeline(1, 2)
                .ship(uploader, PREFIX, List.of(item), Map.of(), in(60));
        assertEquals(Skipped.Reason.READ_FAILED, report.notShipped().get(0).reason());
        assertEquals(0, uploader.calls.get());
    }

    @Test
    void concurrencyIsRespectedAndUsed() throws Exception {
        int concurrency = 3;
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        CountDownLatch firstRound = new CountDownLatch(concurrency);
        TestUploader uploader = new TestUploader((source, key, control, call) -> {
            int now = inFlight.incrementAndGet();
            max.accumulateAndGet(now, Math::max);
            try {
                firstRound.countDown();
                // the first uploads wait for each other: they can only all arrive if they run at once
                firstRound.await(30, TimeUnit.SECONDS);
                Thread.sleep(10);
                return ok(source, key);
            } finally {
                inFlight.decrementAndGet();
            }
        });
        List<ShipItem> items = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            items.add(item("f" + i + ".log", i + 1));
        }
        ShippingPipeline.Report report = pipeline(concurrency, 0)
                .ship(uploader, PREFIX, items, Map.of(), in(120));
        assertEquals(12, report.shipped().size());
        assertEquals(concurrency, max.get(), "uploads in flight at once");
        assertEquals(12, uploader.calls.get());
    }

    @Test
    void oneUploadTakesTheLargestFilesFromTheStartAndTheOthersGoSmallestFirst() throws Exception {
        // items come smallest first, as the shipper orders them; one at a time is shipped, in the order taken
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch bothStarted = new CountDownLatch(2);
        TestUploader uploader = new TestUploader((source, key, control, call) -> {
            order.add(key.substring(key.lastIndexOf('/') + 1));
            bothStarted.countDown();
            // the first two wait for each other: they are the two ends of the list, taken at once
            bothStarted.await(30, TimeUnit.SECONDS);
            return ok(source, key);
        });
        List<ShipItem> items = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            items.add(item("f" + i + ".log", i * 100));
        }
        ShippingPipeline.Report report = pipeline(2, 0).ship(uploader, PREFIX, items, Map.of(), in(120));
        assertEquals(6, report.shipped().size());
        assertEquals(java.util.Set.of("f1.log", "f6.log"), java.util.Set.copyOf(order.subList(0, 2)), "started first: " + order);
        assertEquals(6, java.util.Set.copyOf(order).size(), "each file once: " + order);
    }

    @Test
    void oneUploadAtATimeGoesSmallestFirst() throws Exception {
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        TestUploader uploader = new TestUploader((source, key, control, call) -> {
            order.add(key.substring(key.lastIndexOf('/') + 1));
            return ok(source, key);
        });
        List<ShipItem> items = List.of(item("a.log", 1), item("b.log", 2), item("c.log", 3));
        pipeline(1, 0).ship(uploader, PREFIX, items, Map.of(), in(60));
        assertEquals(List.of("a.log", "b.log", "c.log"), order);
    }

    @Test
    void keysArePrefixedWithTheRunFolder() throws Exception {
        List<String> keys = java.util.Collections.synchronizedList(new ArrayList<>());
        TestUploader uploader = new TestUploader((source, key, control, call) -> {
            keys.add(key);
            return ok(source, key);
        });
        ShipItem stdout = new ShipItem(item("x", 3).source(), "stdout.log", "stdout", 3);
        pipeline(1, 0).ship(uploader, PREFIX, List.of(stdout), Map.of(), in(60));
        assertEquals(List.of(PREFIX + "/stdout.log"), keys);
    }

    @Test
    void nothingToShip() throws Exception {
        TestUploader uploader = new TestUploader((source, key, control, call) -> ok(source, key));
        ShippingPipeline.Report report = pipeline(4, 2).ship(uploader, PREFIX, List.of(), Map.of(), in(60));
        assertEquals(List.of(), report.shipped());
        assertEquals(List.of(), report.notShipped());
    }
}
