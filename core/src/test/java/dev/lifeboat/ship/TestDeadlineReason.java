package dev.lifeboat.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.base.Log;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.uploader.file.FileUploaderFactory;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file cut by the deadline is reported as {@code DEADLINE}, whatever the uploader or the checksum
 * reading was doing: never {@code READ_FAILED}, {@code UPLOAD_FAILED} or a Java class name.
 */
class TestDeadlineReason {
    @TempDir
    Path dir;

    private final Log log = Log.stderr(false, false);

    private static void assertDeadline(ShippingPipeline.Report report) {
        assertEquals(List.of(), report.shipped());
        assertEquals(1, report.notShipped().size());
        Skipped s = report.notShipped().get(0);
        assertEquals(Skipped.Reason.DEADLINE, s.reason(), s.detail());
        assertFalse(s.detail().contains("Exception"), "no Java class name: " + s.detail());
    }

    @Test
    void aFileStillBeingReadForItsChecksumsAtTheDeadline() throws Exception {
        // a sparse 16 GiB file: reading it for SHA-256 takes far longer than the deadline allows
        Path big = dir.resolve("big.log");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(16L << 30);
        }
        Uploader uploader = new FileUploaderFactory().create(dir.resolve("archive").toUri(), Map.of(),
                new UploaderContext(dir, Map.of(), System.getLogger("test")));
        ShipItem item = new ShipItem(big, "files/big.log", big.toString(), Files.size(big));
        assertDeadline(new ShippingPipeline(1, 2, log, ShippingPipeline.Sleeper.REAL)
                .ship(uploader, "run", List.of(item), Map.of(), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300)));
    }

    @Test
    void anUploadReadingThroughAChannelWhenTheDeadlineInterruptsIt() throws Exception {
        Path file = Files.write(dir.resolve("app.log"), new byte[1 << 20]);
        // a plugin that reads its source through a file channel, slowly, and never looks at the control:
        // the deadline's interrupt closes the channel under it (ClosedByInterruptException)
        Uploader slow = new Uploader() {
            @Override
            public void check(UploadControl control) {}

            @Override
            public UploadResult upload(SourceFile source, String key, UploadControl control) throws IOException {
                ByteBuffer buffer = ByteBuffer.allocate(1024);
                try (FileChannel channel = FileChannel.open(source.path(), StandardOpenOption.READ)) {
                    while (true) {
                        buffer.clear();
                        if (channel.read(buffer) < 0) {
                            channel.position(0);
                        }
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                    }
                }
            }

            @Override
            public void close() {}
        };
        ShipItem item = new ShipItem(file, "files/app.log", file.toString(), Files.size(file));
        ShippingPipeline.Report report = new ShippingPipeline(1, 2, log, ShippingPipeline.Sleeper.REAL)
                .ship(slow, "run", List.of(item), Map.of(), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300));
        assertDeadline(report);
        assertTrue(report.notShipped().get(0).detail().startsWith("cancelled at the deadline"),
                report.notShipped().get(0).detail());
    }
}
