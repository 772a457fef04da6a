package dev.lifeboat.uploader.hdfs;

import java.io.File;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** Starts a real MiniDFSCluster under target/ for one test class, and reads files back through Hadoop. */
final class MiniHdfs {
    private MiniHdfs() {}

    static MiniDFSCluster start(String name, Consumer<MiniDFSCluster.Builder> customize) throws IOException {
        Configuration conf = new Configuration();
        conf.setInt("dfs.replication", 1);
        // where the host name does not resolve, the namenode's HTTP server still needs a principal pattern
        conf.set("hadoop.http.authentication.kerberos.principal", "HTTP/localhost@LOCALHOST");
        File base = new File("target/minidfs/" + name + "-" + UUID.randomUUID().toString().substring(0, 8))
                .getAbsoluteFile();
        MiniDFSCluster.Builder builder = new MiniDFSCluster.Builder(conf, base).numDataNodes(1);
        customize.accept(builder);
        MiniDFSCluster cluster = builder.build();
        cluster.waitActive();
        return cluster;
    }

    static MiniDFSCluster start(String name) throws IOException {
        return start(name, b -> {});
    }

    /** Options that point the uploader at a single-datanode test cluster. */
    static Map<String, String> clientOptions() {
        Map<String, String> options = new HashMap<>();
        options.put("conf.dfs.replication", "1");
        return options;
    }

    static Optional<byte[]> read(FileSystem fs, Path path) throws IOException {
        if (!fs.exists(path)) {
            return Optional.empty();
        }
        try (var in = fs.open(path)) {
            return Optional.of(in.readAllBytes());
        }
    }
}
