package dev.lifeboat.uploader.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.base.Log;
import dev.lifeboat.ship.ShipItem;
import dev.lifeboat.ship.ShippingPipeline;
import dev.lifeboat.ship.Skipped;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * S3Proxy stops while files are being shipped: each failed attempt is a debug line, not a warning, so
 * that a destination going away costs the log one line per file (from the shipper) and a summary, not a
 * line per attempt.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TestS3DestinationGone {
    private static final String BUCKET = "gone";
    private static final int FILES = 40;

    @TempDir
    Path dir;

    @Test
    void attemptsAgainstAStoppedServerAreNotWarnedOneByOne() throws Exception {
        S3ProxyServer server = S3ProxyServer.start(BUCKET);
        CountDownLatch firstShipped = new CountDownLatch(1);
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        // the log's stream stops the server as soon as the first file is shipped, while the rest are in flight
        PrintStream out = new PrintStream(new OutputStream() {
            private final StringBuilder line = new StringBuilder();

            @Override
            public synchronized void write(int b) {
                lines.write(b);
                line.append((char) b);
                if (b == '\n') {
                    if (line.indexOf(" debug: shipped ") >= 0) {
                        firstShipped.countDown();
                    }
                    line.setLength(0);
                }
            }
        }, true, StandardCharsets.UTF_8);
        Thread stopper = new Thread(() -> {
            try {
                firstShipped.await();
                server.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        stopper.start();
        List<ShipItem> items = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            Path f = Files.write(dir.resolve("app-" + i + ".log"), new byte[256 * 1024]);
            items.add(new ShipItem(f, "files/app-" + i + ".log", f.toString(), Files.size(f)));
        }
        S3UploaderFactory factory = new S3UploaderFactory();
        URI destination = URI.create("s3://" + BUCKET + "/logs");
        Map<String, String> options = server.options();
        ShippingPipeline.Report report;
        try (Uploader uploader = factory.create(destination, options,
                new UploaderContext(dir, Map.of(), System.getLogger("lifeboat.test")))) {
            report = new ShippingPipeline(1, 2, new Log(out, true, false), nanos -> { })
                    .ship(uploader, "run", items, Map.of(), System.nanoTime() + TimeUnit.SECONDS.toNanos(120));
        } finally {
            stopper.join(TimeUnit.SECONDS.toMillis(60));
            server.close();
        }
        String log = lines.toString(StandardCharsets.UTF_8);
        assertFalse(report.shipped().isEmpty(), "the first file was shipped before the server stopped");
        assertFalse(report.notShipped().isEmpty(), "the server stopped mid-shipping:\n" + log);
        for (Skipped s : report.notShipped()) {
            assertEquals(Skipped.Reason.UPLOAD_FAILED, s.reason(), s.detail());
            assertTrue(s.detail().startsWith("3 attempt(s) failed, the last: "), s.detail());
        }
        List<String> warnings = log.lines().filter(l -> l.contains(" warning: ") || l.contains(" error: ")).toList();
        assertEquals(List.of(), warnings, "no warning per attempt");
        long attempts = log.lines().filter(l -> l.contains(" debug: upload of ") && l.contains(" failed (attempt ")).count();
        assertTrue(attempts >= 3L * report.notShipped().size(), "every failed attempt is still in the debug log:\n" + log);
    }
}
