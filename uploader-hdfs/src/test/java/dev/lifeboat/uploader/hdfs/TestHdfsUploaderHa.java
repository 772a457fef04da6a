package dev.lifeboat.uploader.hdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.MiniDFSNNTopology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An HA nameservice URI, hdfs://lifeboat-ns/..., resolved through the configuration (conf.* options as a
 * hdfs-site.xml would set them) against a MiniDFSCluster with two namenodes, across a failover.
 */
class TestHdfsUploaderHa {
    private static final String NAMESERVICE = "lifeboat-ns";
    private static MiniDFSCluster cluster;

    @TempDir
    Path localDir;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = MiniHdfs.start("ha", b -> b.nnTopology(MiniDFSNNTopology.simpleHATopology()));
        cluster.transitionToActive(0);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    private static Map<String, String> haOptions() {
        Map<String, String> options = new HashMap<>(MiniHdfs.clientOptions());
        options.put("conf.dfs.nameservices", NAMESERVICE);
        options.put("conf.dfs.ha.namenodes." + NAMESERVICE, "nn1,nn2");
        options.put("conf.dfs.namenode.rpc-address." + NAMESERVICE + ".nn1", "localhost:" + cluster.getNameNodePort(0));
        options.put("conf.dfs.namenode.rpc-address." + NAMESERVICE + ".nn2", "localhost:" + cluster.getNameNodePort(1));
        options.put("conf.dfs.client.failover.proxy.provider." + NAMESERVICE,
                "org.apache.hadoop.hdfs.server.namenode.ha.ConfiguredFailoverProxyProvider");
        return options;
    }

    @Test
    void uploadsThroughTheNameserviceAcrossAFailover() throws Exception {
        URI dest = URI.create("hdfs://" + NAMESERVICE + "/ha-logs");
        HdfsUploaderFactory factory = new HdfsUploaderFactory();
        factory.validate(dest, haOptions());
        Path file = localDir.resolve("ha.log");
        Files.writeString(file, "through the nameservice\n");
        try (Uploader u = factory.create(dest, haOptions(),
                new UploaderContext(localDir, Map.of(), System.getLogger("test")))) {
            u.check(UploadControl.withTimeout(Duration.ofSeconds(60)));
            UploadResult before = u.upload(new SourceFile(file, Files.size(file)), "run/before.log",
                    UploadControl.withTimeout(Duration.ofSeconds(60)));
            assertEquals("hdfs://" + NAMESERVICE + "/ha-logs/run/before.log", before.location());
            assertTrue(before.verified());

            cluster.transitionToStandby(0);
            cluster.transitionToActive(1);

            UploadResult after = u.upload(new SourceFile(file, Files.size(file)), "run/after.log",
                    UploadControl.withTimeout(Duration.ofSeconds(60)));
            assertTrue(after.verified());
        }
        var fs = cluster.getFileSystem(1);
        for (String name : new String[] {"before.log", "after.log"}) {
            byte[] stored = MiniHdfs.read(fs, new org.apache.hadoop.fs.Path("/ha-logs/run/" + name)).orElseThrow();
            assertEquals("through the nameservice\n", new String(stored, StandardCharsets.UTF_8));
        }
    }
}
