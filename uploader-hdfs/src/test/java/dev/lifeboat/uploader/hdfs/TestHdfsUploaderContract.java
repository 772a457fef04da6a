package dev.lifeboat.uploader.hdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import dev.lifeboat.testkit.AbstractUploaderContractTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The uploader contract against a real MiniDFSCluster, plus what is particular to HDFS. */
class TestHdfsUploaderContract extends AbstractUploaderContractTest {
    private static MiniDFSCluster cluster;
    private static FileSystem hdfs;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = MiniHdfs.start("contract");
        hdfs = cluster.getFileSystem();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    @Override
    protected UploaderFactory factory() {
        return new HdfsUploaderFactory();
    }

    @Override
    protected URI destination() {
        return URI.create(cluster.getURI() + "/contract");
    }

    @Override
    protected Map<String, String> options() {
        return MiniHdfs.clientOptions();
    }

    @Override
    protected Optional<byte[]> readObject(String key) throws IOException {
        return MiniHdfs.read(hdfs, new Path("/contract/" + key));
    }

    @Override
    protected List<String> listKeys(String prefix) throws IOException {
        List<String> keys = new ArrayList<>();
        Path root = new Path("/contract");
        if (!hdfs.exists(root)) {
            return keys;
        }
        String rootPath = hdfs.makeQualified(root).toUri().getPath() + "/";
        RemoteIterator<LocatedFileStatus> it = hdfs.listFiles(root, true);
        while (it.hasNext()) {
            String key = it.next().getPath().toUri().getPath().substring(rootPath.length());
            if (key.startsWith(prefix)) {
                keys.add(key);
            }
        }
        return keys;
    }

    /** The namenode's address: HDFS takes it from the destination's authority. */
    @Override
    protected URI blackHoleDestination(InetSocketAddress address) {
        return URI.create("hdfs://127.0.0.1:" + address.getPort() + "/contract");
    }

    @Override
    protected Map<String, Map<String, String>> invalidOptions() {
        return Map.of(
                "replication", Map.of("replication", "abc"),
                "permission", Map.of("permission", "999"),
                "block-size", Map.of("block-size", "1000"),
                "kerberos-keytab", Map.of("kerberos-principal", "lifeboat@EXAMPLE.COM"),
                "kerberos-principal", Map.of("kerberos-keytab", "/etc/hostname"),
                "conf.dfs.checksum.combine.mode", Map.of("conf.dfs.checksum.combine.mode", "MD5MD5CRC"),
                "config-dir", Map.of("config-dir", "/no/such/dir"));
    }

    private Uploader uploader(URI destination, Map<String, String> extra) throws Exception {
        return uploader(new HdfsUploaderFactory(), destination, extra, context());
    }

    private static Uploader uploader(UploaderFactory factory, URI destination, Map<String, String> extra,
            UploaderContext context) throws Exception {
        Map<String, String> options = new HashMap<>(MiniHdfs.clientOptions());
        options.putAll(extra);
        factory.validate(destination, options);
        return factory.create(destination, options, context);
    }

    /** Quirk: HDFS reports its own CRC32C of the stored file and verifies it against the bytes sent. */
    @Test
    void reportsTheVerifiedCrc32cInBase64() throws Exception {
        byte[] content = "checksummed line\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        var file = localFile("crc.log", content);
        UploadResult result = uploader().upload(source(file), key("crc.log"), generous());
        assertEquals("CRC32C", result.checksumAlgorithm());
        CRC32C crc = new CRC32C();
        crc.update(content);
        long v = crc.getValue();
        byte[] bigEndian = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        assertEquals(java.util.Base64.getEncoder().encodeToString(bigEndian), result.checksum());
        assertTrue(result.verified(), "HDFS compared its COMPOSITE_CRC with the bytes sent");
        assertEquals(cluster.getURI() + "/contract/" + key("crc.log"), result.location());
    }

    /** Quirk: the verification that reportsTheVerifiedCrc32cInHex relies on does fail on a mismatch. */
    @Test
    void aChecksumMismatchIsReported() throws Exception {
        byte[] content = "some bytes\n".getBytes(StandardCharsets.UTF_8);
        Path p = new Path("/mismatch/file.log");
        try (var out = hdfs.create(p)) {
            out.write(content);
        }
        FileSystem fs = ((HdfsUploader) uploader()).fileSystem();
        CRC32C crc = new CRC32C();
        crc.update(content);
        assertTrue(HdfsUploader.verify(fs, p, content.length, crc.getValue()));
        IOException e = assertThrows(IOException.class, () -> HdfsUploader.verify(fs, p, content.length, crc.getValue() ^ 1));
        assertTrue(e.getMessage().startsWith("checksum mismatch for hdfs://"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    /** Runs {@code work}, cancels {@code control} once it reports progress, and expects the cancellation. */
    private static void cancelOnceBytesMove(UploadControl control, Callable<UploadResult> work) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<UploadResult> running = pool.submit(work);
            long start = System.nanoTime();
            while (control.progress() == 0 && !running.isDone() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                Thread.sleep(2);
            }
            control.cancel();
            ExecutionException e = assertThrows(ExecutionException.class, () -> running.get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof UploadCancelledException, String.valueOf(e.getCause()));
        } finally {
            pool.shutdownNow();
        }
    }

    /** The worker deletes its temporary file on its own, shortly after the call returned. */
    private static void assertNoTemporaryFileSoon(Path dir, String message) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!temporaryFiles(dir).isEmpty() && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertEquals(List.of(), temporaryFiles(dir), message);
    }

    private static List<String> temporaryFiles(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        if (!hdfs.exists(dir)) {
            return found;
        }
        RemoteIterator<LocatedFileStatus> it = hdfs.listFiles(dir, true);
        while (it.hasNext()) {
            String name = it.next().getPath().getName();
            if (name.endsWith(".tmp")) {
                found.add(name);
            }
        }
        return found;
    }

    // ---- concatenation: what is particular to HDFS ---------------------------------------------

    /**
     * Ships one piece of random bytes per size under {@code pieces/<name>/}, named by its place in
     * {@code keys}; returns the bytes, joined.
     */
    private byte[] pieces(Uploader u, String name, long[] sizes, List<String> keys) throws Exception {
        java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < sizes.length; i++) {
            var piece = randomFile(name + "-" + i, sizes[i], 500 + i);
            String key = key("pieces/" + name + "/" + String.format("%020d", keys.size()));
            u.upload(source(piece), key, generous());
            keys.add(key);
            whole.write(Files.readAllBytes(piece));
        }
        return whole.toByteArray();
    }

    private void assertJoinedFile(String key, byte[] expected, UploadResult result) throws Exception {
        assertEquals(expected.length, result.bytes(), "bytes reported for " + key);
        assertEquals(sha256(expected), sha256(readObject(key).orElseThrow()), "SHA-256 of " + key);
        assertChecksumMatches(expected, result);
        assertTrue(result.verified(), "HDFS's checksum of the joined file was compared");
    }

    private void assertPresent(List<String> keys, boolean present) throws Exception {
        for (String k : keys) {
            assertEquals(present, readObject(k).isPresent(), (present ? "left as it is: " : "consumed: ") + k);
        }
    }

    /**
     * HDFS's quirk: the namenode's concat moves the pieces' blocks into the joined file and removes the
     * pieces; keeping them would take a copy of every byte through Lifeboat, which is what concat avoids.
     * So the sources are consumed, not "left as they are"; deleting them afterwards is no error, and the
     * folder they leave empty is removed.
     */
    @Override
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    protected void concatenationJoinsPiecesInOrder() throws Exception {
        List<String> keys = new ArrayList<>();
        byte[] whole = pieces(uploader(), "mixed", new long[] {6L << 20, 100_000, 5L << 20, 1}, keys);
        UploadResult result = uploader().concatenate(keys, key("files/mixed.log"), generous());
        assertJoinedFile(key("files/mixed.log"), whole, result);
        assertPresent(keys, false);
        for (String piece : keys) {
            uploader().delete(piece, generous());
        }
        assertTrue(readObject(key("files/mixed.log")).isPresent(), "the joined file stays");
        assertFalse(hdfs.exists(new Path("/contract/" + key("pieces"))), "the emptied folders are removed");
        FileStatus joined = hdfs.getFileStatus(new Path("/contract/" + key("files/mixed.log")));
        assertEquals(4, hdfs.getFileBlockLocations(joined, 0, joined.getLen()).length,
                "the pieces' four partial blocks, moved as they are");
    }

    /** concat refuses a source without blocks: an empty piece is left out of the join, and left as it is. */
    @Test
    void anEmptyPieceIsLeftOut() throws Exception {
        List<String> keys = new ArrayList<>();
        byte[] whole = pieces(uploader(), "gaps", new long[] {1000, 0, 500}, keys);
        UploadResult result = uploader().concatenate(keys, key("files/gaps.log"), generous());
        assertJoinedFile(key("files/gaps.log"), whole, result);
        assertPresent(List.of(keys.get(0), keys.get(2)), false);
        assertPresent(List.of(keys.get(1)), true);
    }

    /**
     * concat refuses a source whose block size is larger than the target's: the temporary target takes the
     * largest block size of the pieces, so pieces shipped with another block size still join on the namenode.
     */
    @Test
    void piecesOfAnotherBlockSizeStillJoinOnTheNamenode() throws Exception {
        List<String> keys = new ArrayList<>();
        byte[] whole;
        try (Uploader large = uploader(destination(), Map.of("block-size", "4MiB"))) {
            whole = pieces(large, "blocks", new long[] {5L << 20, 3000}, keys);
        }
        try (Uploader small = uploader(destination(), Map.of("block-size", "1MiB"))) {
            whole = concat(whole, pieces(small, "blocks", new long[] {2L << 20}, keys));
            UploadResult result = small.concatenate(keys, key("files/blocks.log"), generous());
            assertJoinedFile(key("files/blocks.log"), whole, result);
        }
        assertPresent(keys, false);
        FileStatus joined = hdfs.getFileStatus(new Path("/contract/" + key("files/blocks.log")));
        assertEquals(4L << 20, joined.getBlockSize());
        assertEquals(5, hdfs.getFileBlockLocations(joined, 0, joined.getLen()).length, "4 MiB + 1 MiB, 3000 bytes, 2 x 1 MiB");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    /**
     * Where the namenode refuses (here: the pieces are in a snapshot) the pieces are streamed into a new
     * file, verified against the CRC32C of the bytes that went through, and left as they are.
     */
    @Test
    void piecesInASnapshotAreCopied() throws Exception {
        List<String> keys = new ArrayList<>();
        byte[] whole = pieces(uploader(), "snap", new long[] {300_000, 7}, keys);
        Path dir = new Path("/contract/" + key("pieces/snap"));
        var dfs = cluster.getFileSystem();
        dfs.allowSnapshot(dir);
        dfs.createSnapshot(dir, "before-sealing");
        UploadResult result = uploader().concatenate(keys, key("files/snap.log"), generous());
        assertJoinedFile(key("files/snap.log"), whole, result);
        assertPresent(keys, true);
        assertEquals(List.of(), temporaryFiles(dir));
        assertEquals(List.of(), temporaryFiles(new Path("/contract/" + key("files"))));
    }

    /** concat joins files of one directory only: pieces from two directories are copied, and left as they are. */
    @Test
    void piecesFromTwoDirectoriesAreCopied() throws Exception {
        List<String> keys = new ArrayList<>();
        byte[] whole = pieces(uploader(), "first", new long[] {2000}, keys);
        whole = concat(whole, pieces(uploader(), "second", new long[] {3000}, keys));
        UploadResult result = uploader().concatenate(keys, key("files/two.log"), generous());
        assertJoinedFile(key("files/two.log"), whole, result);
        assertPresent(keys, true);
    }

    /** The namenode's join consumes the pieces, so it is not started with less than a second left. */
    @Test
    void noJoinStartsAtTheEndOfTheBudget() throws Exception {
        List<String> keys = new ArrayList<>();
        pieces(uploader(), "late", new long[] {1000, 1000}, keys);
        UploadControl almostOver = UploadControl.withTimeout(java.time.Duration.ofMillis(600));
        assertThrows(UploadCancelledException.class,
                () -> uploader().concatenate(keys, key("files/late.log"), almostOver));
        assertPresent(keys, true);
        assertFalse(readObject(key("files/late.log")).isPresent());
        assertEquals(List.of(), temporaryFiles(new Path("/contract/" + key("pieces/late"))));
    }

    /** A copy cancelled half-way leaves no joined file and no temporary file, and the pieces as they are. */
    @Test
    void aCancelledCopyLeavesNoTemporaryFile() throws Exception {
        List<String> keys = new ArrayList<>();
        pieces(uploader(), "big-a", new long[] {12L << 20}, keys);
        pieces(uploader(), "big-b", new long[] {12L << 20}, keys);
        UploadControl control = generous();
        cancelOnceBytesMove(control, () -> uploader().concatenate(keys, key("files/big.log"), control));
        assertFalse(readObject(key("files/big.log")).isPresent());
        assertNoTemporaryFileSoon(new Path("/contract/" + key("files")), "the cancelled copy's temporary file is deleted");
        assertPresent(keys, true);
    }

    /** Quirk: HDFS path names cannot hold ':', so a key with one is refused, beyond the kit's bad keys. */
    @Test
    void aKeyWithAColonIsRefused() throws Exception {
        var file = localFile("x.log", new byte[] {1, 2, 3});
        IOException e = assertThrows(IOException.class,
                () -> uploader().upload(new SourceFile(file, 3), key("files/c:/x.log"), generous()));
        assertTrue(e.getMessage().contains("cannot contain ':'"), e.getMessage());
        assertEquals(List.of(), listKeys(key("")));
    }

    /** Quirk: HDFS-only options reach the namenode. */
    @Test
    void permissionReplicationAndBlockSizeOptions() throws Exception {
        var file = randomFile("opts.bin", 3 * 1024 * 1024 + 17, 3);
        try (Uploader u = uploader(destination(), Map.of("permission", "640", "replication", "1",
                "block-size", "1MiB"))) {
            u.upload(source(file), key("opts/deeper/opts.bin"), generous());
        }
        FileStatus st = hdfs.getFileStatus(new Path("/contract/" + key("opts/deeper/opts.bin")));
        assertEquals(new FsPermission((short) 0640), st.getPermission());
        assertEquals(1, st.getReplication());
        assertEquals(1024 * 1024, st.getBlockSize());
        assertEquals(4, hdfs.getFileBlockLocations(st, 0, st.getLen()).length, "3 MiB + 17 bytes in 1 MiB blocks");
        FileStatus dir = hdfs.getFileStatus(new Path("/contract/" + key("opts/deeper")));
        assertEquals(new FsPermission((short) 0750), dir.getPermission(), "directories get x where r is granted");
    }

    /** Quirk: directories the uploader creates take their own permission. */
    @Test
    void dirPermissionIsSeparate() throws Exception {
        var file = localFile("d.log", new byte[] {4});
        try (Uploader u = uploader(destination(), Map.of("permission", "600", "dir-permission", "711"))) {
            u.upload(source(file), key("dirperm/sub/d.log"), generous());
        }
        assertEquals(new FsPermission((short) 0600),
                hdfs.getFileStatus(new Path("/contract/" + key("dirperm/sub/d.log"))).getPermission());
        assertEquals(new FsPermission((short) 0711),
                hdfs.getFileStatus(new Path("/contract/" + key("dirperm/sub"))).getPermission());
    }

    /** Quirk: without Kerberos, HDFS writes as the user the client names. */
    @Test
    void writesAsTheConfiguredUser() throws Exception {
        hdfs.mkdirs(new Path("/alice"));
        hdfs.setOwner(new Path("/alice"), "alice", "alice");
        var file = localFile("a.log", "alice's\n".getBytes(StandardCharsets.UTF_8));
        URI dest = URI.create(cluster.getURI() + "/alice/logs");
        try (Uploader u = uploader(dest, Map.of("user", "alice"))) {
            u.check(generous());
            u.upload(source(file), "run/a.log", generous());
        }
        assertEquals("alice", hdfs.getFileStatus(new Path("/alice/logs/run/a.log")).getOwner());
    }

    /** Quirk: HDFS permissions are POSIX-like and checked by the namenode; the error names the user. */
    @Test
    void checkNamesAPermissionProblemInOneLine() throws Exception {
        hdfs.mkdirs(new Path("/denied"));
        hdfs.setPermission(new Path("/denied"), new FsPermission((short) 0));
        URI dest = URI.create(cluster.getURI() + "/denied/logs");
        try (Uploader u = uploader(dest, Map.of("user", "mallory"))) {
            IOException e = assertThrows(IOException.class, () -> u.check(generous()));
            assertTrue(e.getMessage().startsWith("permission denied writing to " + dest + " as user 'mallory'"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            var file = localFile("m.log", new byte[] {1});
            IOException up = assertThrows(IOException.class, () -> u.upload(source(file), "m.log", generous()));
            assertTrue(up.getMessage().startsWith("permission denied writing " + dest + "/m.log"), up.getMessage());
        }
    }

    /** Quirk: HDFS has directories, so a destination that is a file is refused by check(). */
    @Test
    void checkRefusesAFileAsDestination() throws Exception {
        try (var out = hdfs.create(new Path("/a-file"))) {
            out.write(1);
        }
        try (Uploader u = uploader(URI.create(cluster.getURI() + "/a-file"), Map.of())) {
            IOException e = assertThrows(IOException.class, () -> u.check(generous()));
            assertEquals(cluster.getURI() + "/a-file is a file, not a directory", e.getMessage());
        }
    }

    /** Quirk: check() creates the destination directory, as HDFS needs one before a file is written. */
    @Test
    void checkCreatesAMissingDestination() throws Exception {
        try (Uploader u = uploader(URI.create(cluster.getURI() + "/created/by/check"), Map.of())) {
            u.check(generous());
        }
        assertTrue(hdfs.getFileStatus(new Path("/created/by/check")).isDirectory());
        assertEquals(0, hdfs.listStatus(new Path("/created/by/check")).length, "the probe file is gone");
    }

    /** Quirk: hdfs:/// takes the namenode from the Hadoop configuration, by option or HADOOP_CONF_DIR. */
    @Test
    void defaultFsFromConfigDirOrHadoopConfDir() throws Exception {
        var confDir = Files.createDirectories(localDir.resolve("hadoop-conf"));
        Files.writeString(confDir.resolve("core-site.xml"), "<configuration><property><name>fs.defaultFS</name>"
                + "<value>" + cluster.getURI() + "</value></property></configuration>");
        Files.writeString(confDir.resolve("hdfs-site.xml"), "<configuration><property><name>dfs.replication</name>"
                + "<value>1</value></property></configuration>");
        var file = localFile("dfs.log", "default fs\n".getBytes(StandardCharsets.UTF_8));
        URI dest = URI.create("hdfs:///defaultfs");
        try (Uploader u = uploader(dest, Map.of("config-dir", confDir.toString()))) {
            u.upload(source(file), "a.log", generous());
        }
        UploaderContext withEnv = new UploaderContext(localDir, Map.of("HADOOP_CONF_DIR", confDir.toString()),
                System.getLogger("test"));
        try (Uploader u = uploader(new HdfsUploaderFactory(), dest, Map.of(), withEnv)) {
            u.upload(source(file), "b.log", generous());
        }
        assertTrue(hdfs.exists(new Path("/defaultfs/a.log")));
        assertTrue(hdfs.exists(new Path("/defaultfs/b.log")));
    }

    /** Quirk: viewfs:// is served by a second factory of this module, through a mount table. */
    @Test
    void viewFsMountTable() throws Exception {
        UploaderFactory viewfs = null;
        for (UploaderFactory f : ServiceLoader.load(UploaderFactory.class)) {
            if (f.scheme().equals("viewfs")) {
                viewfs = f;
            }
        }
        assertTrue(viewfs instanceof ViewFsUploaderFactory, "viewfs is registered");
        Map<String, String> options = Map.of(
                "conf.fs.viewfs.mounttable.lifeboat.link./logs", cluster.getURI() + "/viewfs-target");
        var first = localFile("v1.log", "first, the longer one\n".getBytes(StandardCharsets.UTF_8));
        var second = localFile("v2.log", "second\n".getBytes(StandardCharsets.UTF_8));
        URI dest = URI.create("viewfs://lifeboat/logs/runs");
        try (Uploader u = uploader(viewfs, dest, options, context())) {
            u.check(generous());
            u.upload(source(first), "r/v.log", generous());
            UploadResult result = u.upload(source(second), "r/v.log", generous());
            assertTrue(result.verified());
            assertEquals("viewfs://lifeboat/logs/runs/r/v.log", result.location());
        }
        assertEquals("second\n", new String(MiniHdfs.read(hdfs, new Path("/viewfs-target/runs/r/v.log")).orElseThrow(),
                StandardCharsets.UTF_8));
    }
}
