package dev.lifeboat.launcher.it;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Continuous shipping to {@code hdfs://} against a MiniDFSCluster in this JVM (pieces sealed by concat on
 * the namenode, which consumes them); files listed and read through Hadoop's own client.
 */
class HdfsContinuousShippingIT extends AbstractContinuousShippingIT {
    @RegisterExtension
    static final ClassServer<MiniDFSCluster> HDFS = new ClassServer<>(() -> HdfsEndToEndIT.startCluster("continuous"));

    private static FileSystem hdfs() throws IOException {
        return HDFS.get().getFileSystem();
    }

    @Override
    protected String destination(String name) throws IOException {
        return HdfsEndToEndIT.destination(HDFS.get(), hdfs(), name);
    }

    @Override
    protected List<String> backendOptions() {
        return List.of("--set", "hdfs.user=" + HdfsEndToEndIT.USER, "--set", "hdfs.replication=1");
    }

    /** Files, and empty directories as {@code <key>/}: HDFS has real directories, and a user sees an empty one. */
    @Override
    protected Set<String> keys() throws IOException {
        org.apache.hadoop.fs.Path run = run();
        Set<String> keys = new TreeSet<>();
        if (hdfs().exists(run)) {
            walk(run, "", keys);
        }
        return keys;
    }

    private org.apache.hadoop.fs.Path run() {
        return new org.apache.hadoop.fs.Path("/" + runFolder());
    }

    private static void walk(org.apache.hadoop.fs.Path at, String relative, Set<String> keys) throws IOException {
        FileStatus[] children = hdfs().listStatus(at);
        if (children.length == 0 && !relative.isEmpty()) {
            keys.add(relative + "/");
        }
        for (FileStatus child : children) {
            String key = relative.isEmpty() ? child.getPath().getName() : relative + "/" + child.getPath().getName();
            if (child.isDirectory()) {
                walk(child.getPath(), key, keys);
            } else {
                keys.add(key);
            }
        }
    }

    @Override
    protected byte[] read(String key) throws IOException {
        try (InputStream in = hdfs().open(new org.apache.hadoop.fs.Path(run(), key))) {
            return in.readAllBytes();
        } catch (FileNotFoundException e) {
            return null;
        }
    }
}
