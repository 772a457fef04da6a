package dev.lifeboat.uploader.hdfs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.server.datanode.DataNodeFaultInjector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens when the cluster fails under the uploader: a datanode that dies mid-write, a namenode that
 * is gone, an address where nothing listens. The namenode is stopped by the last test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TestHdfsUploaderFaults {
    private static MiniDFSCluster cluster;
    private static FileSystem hdfs;

    @TempDir
    Path localDir;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = MiniHdfs.start("faults");
        hdfs = cluster.getFileSystem();
    }

    @AfterAll
    static void stopCluster() {
        DataNodeFaultInjector.set(new DataNodeFaultInjector());
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    private Uploader uploader(URI destination) throws Exception {
        HdfsUploaderFactory factory = new HdfsUploaderFactory();
        Map<String, String> options = new HashMap<>(MiniHdfs.clientOptions());
        factory.validate(destination, options);
        return factory.create(destination, options,
                new UploaderContext(localDir, System.getenv(), System.getLogger("test")));
    }

    private Path randomFile(String name, long size) throws IOException {
        Path file = localDir.resolve(name);
        Random random = new Random(size);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return file;
    }

    @Test
    @Order(1)
    void theOnlyDatanodeDiesMidUpload() throws Exception {
        URI dest = URI.create(cluster.getURI() + "/faults");
        Path file = randomFile("large.bin", 64L * 1024 * 1024);
        // the real datanode, slowed to about 16 MiB/s, so that it can be stopped while the file streams
        DataNodeFaultInjector.set(new DataNodeFaultInjector() {
            @Override
            public void delayWriteToDisk() {
                try {
                    Thread.sleep(4);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Duration budget = Duration.ofSeconds(30);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Uploader u = uploader(dest)) {
            u.check(UploadControl.withTimeout(Duration.ofSeconds(60)));
            UploadControl control = UploadControl.withTimeout(budget);
            Future<UploadResult> upload = pool.submit(
                    () -> u.upload(new SourceFile(file, Files.size(file)), "run/large.bin", control));
            while (control.progress() < 8L * 1024 * 1024 && !upload.isDone()) {
                Thread.sleep(5);
            }
            assertFalse(upload.isDone(), "the upload is still streaming when the datanode stops");
            MiniDFSCluster.DataNodeProperties datanode = cluster.stopDataNode(0);
            try {
                upload.get(budget.toSeconds() + 10, TimeUnit.SECONDS);
                fail("the upload cannot succeed without a datanode");
            } catch (ExecutionException e) {
                System.out.println("datanode died: " + e.getCause() + " with " + control.remaining().toMillis()
                        + " ms left");
                assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
                assertFalse(e.getCause().getMessage().contains("\n"), e.getCause().getMessage());
            } catch (TimeoutException e) {
                fail("upload() overran its deadline by more than 10 s after the datanode died");
            }
            assertFalse(control.isExpired(), "upload() returned before its deadline");
            assertFalse(hdfs.exists(new org.apache.hadoop.fs.Path("/faults/run/large.bin")), "no final file");
            DataNodeFaultInjector.set(new DataNodeFaultInjector());
            assertTrue(cluster.restartDataNode(datanode, true));
            cluster.waitActive();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(2)
    void nothingListensAtTheNamenodeAddress() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (Uploader u = uploader(URI.create("hdfs://127.0.0.1:" + port + "/logs"))) {
            IOException e = assertThrows(IOException.class, () -> u.check(UploadControl.withTimeout(Duration.ofSeconds(30))));
            // Hadoop names the address as it resolves it back
            assertTrue(e.getMessage().matches("cannot reach namenode (127\\.0\\.0\\.1|localhost):" + port
                    + ": connection refused"), e.getMessage());
        }
    }

    @Test
    @Order(3)
    void theNamenodeStopsBeforeTheUpload() throws Exception {
        URI dest = URI.create(cluster.getURI() + "/faults");
        Path file = randomFile("small.log", 1000);
        try (Uploader u = uploader(dest)) {
            u.check(UploadControl.withTimeout(Duration.ofSeconds(60)));
            int port = cluster.getNameNodePort();
            cluster.shutdownNameNode(0);
            UploadControl control = UploadControl.withTimeout(Duration.ofSeconds(5));
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class,
                    () -> u.upload(new SourceFile(file, 1000), "after/small.log", control));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("namenode stopped: " + e + " after " + tookMillis + " ms");
            // the deadline is 5 s; a busy machine gets a generous margin on top
            assertTrue(tookMillis < 5_000 + 3_000, "upload returned after " + tookMillis + " ms");
            if (!(e instanceof UploadCancelledException)) {
                assertTrue(e.getMessage().startsWith("cannot reach namenode localhost:" + port),
                        e.getMessage());
            }
            IOException checked = assertThrows(IOException.class,
                    () -> u.check(UploadControl.withTimeout(Duration.ofSeconds(5))));
            assertTrue(checked.getMessage().startsWith("cannot reach namenode localhost:"), checked.getMessage());
            assertFalse(checked.getMessage().contains("\n"), checked.getMessage());
        }
    }
}
