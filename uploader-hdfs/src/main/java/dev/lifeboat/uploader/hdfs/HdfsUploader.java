package dev.lifeboat.uploader.hdfs;

import dev.lifeboat.spi.BoundedCall;
import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.InvalidKeyException;
import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Keys;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.crypto.CryptoOutputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileChecksum;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.ipc.RemoteException;
import org.apache.hadoop.security.SecurityUtil;
import org.apache.hadoop.security.UserGroupInformation;

/**
 * Ships files to HDFS (or ViewFs over HDFS) through one warm {@link FileSystem} instance.
 *
 * <p>Each file is written to {@code .<name>.lifeboat-<uuid>.tmp} next to its final name, its HDFS
 * checksum in COMPOSITE_CRC mode (a CRC32C of the whole file, independent of block and chunk sizes) is
 * compared with the CRC32C of the bytes sent, and it is then renamed over the final name (an atomic
 * overwriting rename on HDFS). A failed or cancelled upload deletes its temporary file. The result
 * carries that CRC32C in {@link UploadResult}'s encoding, the base64 of its 4 big-endian bytes.
 *
 * <p>Pieces are sealed on the namenode: {@link #concatenate} joins them with {@code concat}, which consumes
 * them, and copies them only where the namenode cannot (see docs/uploader-hdfs.md).
 *
 * <p>The blocking Hadoop calls of each upload run on a worker thread; the caller waits no longer than the
 * deadline, and cancellation interrupts the worker, which aborts the stream and deletes the temporary file.
 */
final class HdfsUploader implements Uploader {
    private static final int CHUNK = 256 * 1024;
    private static final String COMPOSITE_CRC32C = "COMPOSITE-CRC32C";
    private static final byte[] PROBE = "lifeboat write check\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_TEMP_NAME_PREFIX = 100;
    /** The least time left in which a join on the namenode, which consumes the pieces, is started. */
    private static final Duration JOIN_MARGIN = Duration.ofSeconds(1);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final String scheme;
    private final FileSystem fs;
    private final UserGroupInformation ugi;
    private final Path root;
    private final FsPermission filePermission;
    private final FsPermission dirPermission;
    private final short replication;
    private final long blockSize;
    private final int bufferSize;
    private final HdfsErrors errors;
    private final ExecutorService workers;
    private final Set<Path> knownDirectories = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private HdfsUploader(String scheme, FileSystem fs, UserGroupInformation ugi, Path root, FsPermission filePermission,
            FsPermission dirPermission, short replication, long blockSize, int bufferSize, HdfsErrors errors) {
        this.scheme = scheme;
        this.fs = fs;
        this.ugi = ugi;
        this.root = root;
        this.filePermission = filePermission;
        this.dirPermission = dirPermission;
        this.replication = replication;
        this.blockSize = blockSize;
        this.bufferSize = bufferSize;
        this.errors = errors;
        ClassLoader loader = HdfsUploader.class.getClassLoader();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "lifeboat-" + scheme + "-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            t.setContextClassLoader(loader);
            return t;
        };
        this.workers = Executors.newCachedThreadPool(threads);
    }

    /** Runs {@code body} on a worker thread as the Hadoop user, within {@code control}'s deadline. */
    private <T> T asUser(UploadControl control, BoundedCall.Body<T> body) throws IOException, InterruptedException {
        return BoundedCall.run(control, workers, call -> ugi.doAs((PrivilegedExceptionAction<T>) () -> body.run(call)));
    }

    /** Builds the configuration, logs in and creates the file system; no namenode call is made. */
    static Uploader open(URI destination, HdfsOptions options, UploaderContext context)
            throws IOException, InvalidOptionException {
        Thread thread = Thread.currentThread();
        ClassLoader saved = thread.getContextClassLoader();
        thread.setContextClassLoader(HdfsUploader.class.getClassLoader());
        try {
            return create(destination, options, context);
        } finally {
            thread.setContextClassLoader(saved);
        }
    }

    private static Uploader create(URI destination, HdfsOptions options, UploaderContext context)
            throws IOException, InvalidOptionException {
        String scheme = destination.getScheme().toLowerCase(Locale.ROOT);
        Configuration conf = configuration(options, context.environment());
        FsPermission umask = FsPermission.getUMask(conf);
        FsPermission filePermission = options.permission.map(FsPermission::new)
                .orElseGet(() -> FsPermission.getFileDefault().applyUMask(umask));
        FsPermission dirPermission = options.dirPermission.map(FsPermission::new)
                .orElseGet(() -> FsPermission.getDirDefault().applyUMask(umask));
        // permissions are always passed explicitly; with an option set they must not be masked again
        if (options.permission.isPresent() || options.dirPermission.isPresent()) {
            conf.set("fs.permissions.umask-mode", "000");
        }

        UserGroupInformation ugi = login(scheme, options, conf);
        URI fsUri = fileSystemUri(destination, conf);
        FileSystem fs;
        try {
            fs = ugi.doAs((PrivilegedExceptionAction<FileSystem>) () -> FileSystem.newInstance(fsUri, conf));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating the " + scheme + " client");
        }
        Path root = fs.makeQualified(new Path(fsUri.getScheme(), fsUri.getAuthority(), destination.getPath()));
        short replication = options.replication.orElseGet(() -> fs.getDefaultReplication(root));
        long blockSize = options.blockSize.orElseGet(() -> fs.getDefaultBlockSize(root));
        int bufferSize = conf.getInt("io.file.buffer.size", 4096);
        HdfsErrors errors = new HdfsErrors(scheme, namenodes(fsUri, conf), ugi.getShortUserName());
        context.logger().log(System.Logger.Level.DEBUG, () -> "HDFS uploader for " + root + " as " + ugi.getUserName()
                + " (" + ugi.getAuthenticationMethod() + "), replication " + replication + ", block size " + blockSize);
        return new HdfsUploader(scheme, fs, ugi, root, filePermission, dirPermission, replication, blockSize,
                bufferSize, errors);
    }

    /**
     * Hadoop's defaults, then core-site.xml and hdfs-site.xml from the configuration directory, then
     * Lifeboat's tuning, then {@code conf.*} options, then the checksum settings Lifeboat relies on.
     */
    static Configuration configuration(HdfsOptions options, Map<String, String> environment)
            throws InvalidOptionException {
        Configuration conf = new Configuration();
        conf.setClassLoader(HdfsUploader.class.getClassLoader());
        java.nio.file.Path dir = options.configDir.orElse(null);
        if (dir == null) {
            String env = environment.get(HdfsOptions.HADOOP_CONF_DIR);
            if (env != null && !env.isBlank()) {
                dir = java.nio.file.Path.of(env.trim());
                if (!Files.isDirectory(dir)) {
                    throw new InvalidOptionException(HdfsOptions.CONFIG_DIR,
                            "HADOOP_CONF_DIR names no directory: " + dir);
                }
            }
        }
        if (dir != null) {
            for (String name : List.of("core-site.xml", "hdfs-site.xml")) {
                java.nio.file.Path file = dir.resolve(name);
                if (Files.isRegularFile(file)) {
                    conf.addResource(new Path(file.toUri()));
                }
            }
            try {
                conf.get("fs.defaultFS"); // loads the files now, so that a broken one is reported here
            } catch (RuntimeException e) {
                throw new InvalidOptionException(HdfsOptions.CONFIG_DIR, "cannot read the Hadoop configuration in "
                        + dir + ": " + HdfsErrors.firstLine(String.valueOf(e.getMessage())), e);
            }
        }
        HdfsClientTuning.DEFAULTS.forEach(conf::set);
        options.conf.forEach(conf::set);
        HdfsClientTuning.FORCED.forEach(conf::set);
        if (options.kerberosPrincipal.isPresent()) {
            conf.set("hadoop.security.authentication", "kerberos");
        }
        return conf;
    }

    private static UserGroupInformation login(String scheme, HdfsOptions options, Configuration conf)
            throws IOException, InvalidOptionException {
        // UserGroupInformation keeps its security settings per JVM; Lifeboat runs one HDFS uploader
        try {
            UserGroupInformation.setConfiguration(conf);
        } catch (IllegalArgumentException e) {
            // Hadoop's "Can't get Kerberos realm": Kerberos is on, but Java found no krb5.conf
            throw new IOException("Kerberos is enabled but Java finds no Kerberos configuration (no default realm): "
                    + "provide /etc/krb5.conf or start Java with -Djava.security.krb5.conf=<file>", e);
        }
        if (options.kerberosPrincipal.isPresent()) {
            String principal = SecurityUtil.getServerPrincipal(options.kerberosPrincipal.get(), (String) null);
            String keytab = options.kerberosKeytab.orElseThrow().toString();
            try {
                return UserGroupInformation.loginUserFromKeytabAndReturnUGI(principal, keytab);
            } catch (IOException e) {
                Throwable root = e;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                String why = HdfsErrors.firstLine(String.valueOf(root.getMessage()));
                if (why.contains("Unable to obtain password")) {
                    why = "the keytab holds no usable key for this principal";
                }
                throw new IOException("Kerberos login as " + principal + " with keytab " + keytab + " failed: " + why, e);
            }
        }
        if (options.user.isPresent()) {
            if (UserGroupInformation.isSecurityEnabled()) {
                throw new InvalidOptionException(HdfsOptions.USER, "applies to simple authentication, but the "
                        + "Hadoop configuration enables Kerberos: set " + scheme + ".kerberos-principal and "
                        + scheme + ".kerberos-keytab instead");
            }
            return UserGroupInformation.createRemoteUser(options.user.get());
        }
        return UserGroupInformation.getCurrentUser();
    }

    private static URI fileSystemUri(URI destination, Configuration conf) throws InvalidOptionException {
        String scheme = destination.getScheme().toLowerCase(Locale.ROOT);
        String authority = destination.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            URI defaultFs = FileSystem.getDefaultUri(conf);
            if (!scheme.equalsIgnoreCase(defaultFs.getScheme()) || defaultFs.getAuthority() == null) {
                throw new InvalidOptionException(null, scheme + ":///path takes the file system from fs.defaultFS, "
                        + "which is " + defaultFs + ": name the " + (scheme.equals("hdfs") ? "namenode" : "mount table")
                        + " in the destination or set fs.defaultFS in core-site.xml");
            }
            return defaultFs;
        }
        try {
            return new URI(scheme, authority, "/", null, null);
        } catch (URISyntaxException e) {
            throw new InvalidOptionException(null, "not a valid " + scheme + " destination: " + destination);
        }
    }

    /** How to name the namenode(s) of {@code fsUri} in a message: host:port, or the HA nameservice's list. */
    private static String namenodes(URI fsUri, Configuration conf) {
        String host = fsUri.getHost();
        if (!"hdfs".equalsIgnoreCase(fsUri.getScheme()) || host == null) {
            return fsUri.getAuthority();
        }
        if (fsUri.getPort() < 0 && conf.getTrimmedStringCollection("dfs.nameservices").contains(host)) {
            List<String> addresses = new ArrayList<>();
            for (String nn : conf.getTrimmedStringCollection("dfs.ha.namenodes." + host)) {
                String address = conf.getTrimmed("dfs.namenode.rpc-address." + host + "." + nn);
                if (address != null) {
                    addresses.add(address);
                }
            }
            return "of nameservice " + host + (addresses.isEmpty() ? "" : " (" + String.join(", ", addresses) + ")");
        }
        return host + ":" + (fsUri.getPort() < 0 ? 8020 : fsUri.getPort());
    }

    // ---- check ---------------------------------------------------------------------------------

    @Override
    public void check(UploadControl control) throws IOException, InterruptedException {
        ensureOpen();
        asUser(control, call -> {
            try {
                probe();
            } catch (IOException e) {
                throw errors.translate(e, "writing to " + root);
            }
            return null;
        });
    }

    /** Creates the destination if needed, then writes, verifies and deletes a small file in it. */
    private void probe() throws IOException {
        requireCredentials();
        FileStatus status = null;
        try {
            status = fs.getFileStatus(root);
        } catch (FileNotFoundException e) {
            // created below
        }
        if (status != null && !status.isDirectory()) {
            throw new IOException(root + " is a file, not a directory");
        }
        if (status == null) {
            mkdirs(root);
        }
        Path probe = new Path(root, ".lifeboat-check-" + UUID.randomUUID());
        boolean created = false;
        try {
            try (FSDataOutputStream out = fs.create(probe, filePermission, false, bufferSize, replication, blockSize,
                    null)) {
                created = true;
                out.write(PROBE);
            }
            CRC32C crc = new CRC32C();
            crc.update(PROBE);
            verify(fs, probe, PROBE.length, crc.getValue());
        } finally {
            if (created) {
                fs.delete(probe, false);
            }
        }
    }

    /** With Kerberos on, a user with neither a ticket nor a delegation token cannot get anywhere: say so. */
    private void requireCredentials() throws IOException {
        if (!UserGroupInformation.isSecurityEnabled()) {
            return;
        }
        UserGroupInformation user = ugi.getRealUser() != null ? ugi.getRealUser() : ugi;
        if (!user.hasKerberosCredentials() && ugi.getTokens().isEmpty()) {
            throw new IOException("no Kerberos credentials for " + root + ": set " + scheme + ".kerberos-principal and "
                    + scheme + ".kerberos-keytab, or provide a ticket cache (kinit)");
        }
        user.checkTGTAndReloginFromKeytab();
    }

    // ---- upload --------------------------------------------------------------------------------

    @Override
    public UploadResult upload(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException {
        Path target = resolve(key);
        ensureOpen();
        control.checkCancelled();
        return asUser(control, call -> write(source, target, control, call));
    }

    @Override
    public boolean supportsUploadIfAbsent() {
        return true;
    }

    /**
     * Creates {@code key} itself without overwrite: the namenode refuses the create when the file exists
     * (FileAlreadyExistsException, or AlreadyBeingCreatedException while another writer holds its lease), so
     * of two calls one creates it. The bytes are written into the file
     * under its final name; for small objects (a run's claim).
     */
    @Override
    public boolean uploadIfAbsent(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException {
        Path target = resolve(key);
        ensureOpen();
        control.checkCancelled();
        return asUser(control, call -> {
            requireCredentials();
            mkdirs(target.getParent());
            call.checkpoint();
            try (InputStream in = source.openStream();
                 FSDataOutputStream out = fs.create(target, filePermission, false, bufferSize, replication, blockSize,
                         null)) {
                byte[] bytes = in.readNBytes(Math.toIntExact(source.size()));
                out.write(bytes);
                control.addProgress(bytes.length);
                return true;
            } catch (org.apache.hadoop.fs.FileAlreadyExistsException
                    | org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException e) {
                // there, or being created by another writer at this moment
                return false;
            } catch (org.apache.hadoop.ipc.RemoteException e) {
                IOException cause = e.unwrapRemoteException(org.apache.hadoop.fs.FileAlreadyExistsException.class,
                        org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException.class);
                if (cause != e) {
                    return false;
                }
                throw e;
            }
        });
    }

    private UploadResult write(SourceFile source, Path target, UploadControl control, BoundedCall<?> call)
            throws IOException {
        String action = "writing " + target;
        InputStream opened;
        try {
            opened = source.openStream();
        } catch (IOException e) {
            throw failure(e, call, action);
        }
        try (InputStream in = opened) {
            return writeTemporary(target, blockSize, source.size(), action, control, call, (out, crc, buffer) -> {
                long written = pump(in, out, crc, buffer, control, call);
                if (written != source.size()) {
                    throw new IOException("read " + written + " of " + source.size() + " bytes from " + source.path());
                }
                return written;
            });
        }
    }

    /** Writes the bytes of a {@link #writeTemporary} into its open temporary file. */
    @FunctionalInterface
    private interface Feed {
        /** Writes into {@code out}, adding every byte to {@code crc}; returns the number of bytes written. */
        long into(FSDataOutputStream out, CRC32C crc, byte[] buffer) throws IOException;
    }

    /**
     * Writes what {@code feed} gives to a temporary file next to {@code target}, compares HDFS's checksum
     * of it with the CRC32C of the bytes sent, and renames it over {@code target}. A failure or cancellation
     * deletes the temporary file.
     *
     * @param expected the number of bytes expected, to size the buffer
     */
    private UploadResult writeTemporary(Path target, long fileBlockSize, long expected, String action,
            UploadControl control, BoundedCall<?> call, Feed feed) throws IOException {
        Path temp = temporaryFor(target);
        FSDataOutputStream out = null;
        boolean created = false;
        boolean done = false;
        try {
            requireCredentials();
            mkdirs(target.getParent());
            call.checkpoint();
            out = fs.create(temp, filePermission, false, bufferSize, replication, fileBlockSize, null);
            created = true;
            boolean encrypted = out.getWrappedStream() instanceof CryptoOutputStream;
            CRC32C crc = new CRC32C();
            long written = feed.into(out, crc, new byte[(int) Math.min(CHUNK, Math.max(1, expected))]);
            live(control, call);
            FSDataOutputStream closing = out;
            out = null;
            closing.close();
            live(control, call);
            // in an encryption zone HDFS checksums the encrypted bytes: nothing to compare with
            boolean verified = !encrypted && verify(fs, temp, written, crc.getValue());
            if (!call.commit()) {
                throw new UploadCancelledException("upload cancelled");
            }
            rename(temp, target);
            done = true;
            return new UploadResult(target.toString(), written, UploadResult.CRC32C, Checksums.crc(crc), verified);
        } catch (IOException e) {
            throw failure(e, call, action);
        } finally {
            if (!done) {
                if (out != null) {
                    abort(out);
                }
                call.detach();
                if (created) {
                    deleteQuietly(temp);
                }
            }
        }
    }

    /** Copies {@code in} to {@code out} in {@code buffer}-sized steps, looking for a give-up between them. */
    private static long pump(InputStream in, FSDataOutputStream out, CRC32C crc, byte[] buffer, UploadControl control,
            BoundedCall<?> call) throws IOException {
        long written = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            live(control, call);
            out.write(buffer, 0, n);
            crc.update(buffer, 0, n);
            written += n;
            control.addProgress(n);
        }
        return written;
    }

    /**
     * Throws once the call was given up or the control cancelled: the second also stops work that goes on
     * after {@link BoundedCall#commit()}, which a cancellation no longer gives up.
     */
    private static void live(UploadControl control, BoundedCall<?> call) throws UploadCancelledException {
        call.checkpoint();
        control.checkCancelled();
    }

    /** What a failed call throws: a cancellation once the call was given up, else one clear line. */
    private IOException failure(IOException e, BoundedCall<?> call, String action) {
        if (e instanceof StrandedJoinException) {
            return e;
        }
        if (call.isGivenUp()) {
            return new UploadCancelledException("upload cancelled", e);
        }
        return errors.translate(e, action);
    }

    // ---- concatenation, delete and reading back -----------------------------------------------

    @Override
    public boolean supportsConcatenation() {
        return true;
    }

    /**
     * Joins the sources on the namenode where it can: an empty temporary file is created in the sources'
     * directory, {@link DistributedFileSystem#concat} moves the sources' blocks onto it in one atomic
     * namenode operation (no bytes move, and the sources are gone afterwards: HDFS consumes them), and the
     * temporary file is renamed over the target. Where the namenode cannot join them (sources in different
     * directories, in an encryption zone, in a snapshot, with another erasure coding policy; ViewFs), the
     * sources are streamed into a new file instead and left as they are.
     */
    @Override
    public UploadResult concatenate(List<String> sourceKeys, String targetKey, UploadControl control)
            throws IOException, InterruptedException {
        if (sourceKeys.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate into " + targetKey);
        }
        Path target = resolve(targetKey);
        List<Path> sources = new ArrayList<>(sourceKeys.size());
        for (String key : sourceKeys) {
            sources.add(resolve(key));
        }
        ensureOpen();
        control.checkCancelled();
        return asUser(control, call -> join(sources, target, control, call));
    }

    private UploadResult join(List<Path> sources, Path target, UploadControl control, BoundedCall<?> call)
            throws IOException {
        String action = "joining pieces into " + target;
        List<FileStatus> statuses;
        try {
            requireCredentials();
            statuses = statuses(sources);
            call.checkpoint();
            if (fs instanceof DistributedFileSystem dfs && namenodeMayJoin(statuses)) {
                UploadResult joined = concatOnNamenode(dfs, statuses, target, control, call);
                if (joined != null) {
                    return joined;
                }
            }
        } catch (IOException e) {
            throw failure(e, call, action);
        }
        long total = statuses.stream().mapToLong(FileStatus::getLen).sum();
        return writeTemporary(target, blockSize, total, action, control, call, (out, crc, buffer) -> {
            long written = 0;
            for (FileStatus source : statuses) {
                try (InputStream in = fs.open(source.getPath(), bufferSize)) {
                    long n = pump(in, out, crc, buffer, control, call);
                    if (n != source.getLen()) {
                        throw new IOException("read " + n + " of " + source.getLen() + " bytes from " + source.getPath());
                    }
                    written += n;
                }
            }
            return written;
        });
    }

    /** The sources' statuses, in order: from one listing when they share a directory. */
    private List<FileStatus> statuses(List<Path> sources) throws IOException {
        Path dir = commonParent(sources);
        Map<String, FileStatus> listed = null;
        if (dir != null && sources.size() > 1) {
            listed = new HashMap<>();
            try {
                for (FileStatus status : fs.listStatus(dir)) {
                    listed.put(status.getPath().getName(), status);
                }
            } catch (FileNotFoundException e) {
                // every source is missing: reported below
            }
        }
        List<FileStatus> statuses = new ArrayList<>(sources.size());
        for (Path source : sources) {
            FileStatus status;
            if (listed != null) {
                status = listed.get(source.getName());
            } else {
                try {
                    status = fs.getFileStatus(source);
                } catch (FileNotFoundException e) {
                    status = null;
                }
            }
            if (status == null) {
                throw new NoSuchFileException(source.toString(), null, "no such piece to join");
            }
            if (!status.isFile()) {
                throw new IOException(source + " is not a file");
            }
            statuses.add(status);
        }
        return statuses;
    }

    private static Path commonParent(List<Path> paths) {
        Path parent = paths.get(0).getParent();
        for (Path path : paths) {
            if (!parent.equals(path.getParent())) {
                return null;
            }
        }
        return parent;
    }

    /**
     * What the namenode's concat requires and Lifeboat can see beforehand: the sources in one directory
     * (where the temporary target is created), each named once, none in an encryption zone.
     */
    private static boolean namenodeMayJoin(List<FileStatus> sources) {
        Set<Path> distinct = new HashSet<>();
        for (FileStatus source : sources) {
            if (source.isEncrypted() || !distinct.add(source.getPath())) {
                return false;
            }
        }
        return commonParent(sources.stream().map(FileStatus::getPath).toList()) != null;
    }

    /**
     * Joins {@code sources} on the namenode into {@code target}; returns null, having changed nothing, when
     * the namenode refuses the concat. Empty sources have no blocks, which concat refuses: they are left out
     * (and left as they are).
     */
    private UploadResult concatOnNamenode(DistributedFileSystem dfs, List<FileStatus> sources, Path target,
            UploadControl control, BoundedCall<?> call) throws IOException {
        Path dir = sources.get(0).getPath().getParent();
        List<Path> parts = new ArrayList<>();
        long total = 0;
        long fileBlockSize = blockSize;
        // concat takes no source whose preferred block size is larger than the target's
        for (FileStatus source : sources) {
            total += source.getLen();
            fileBlockSize = Math.max(fileBlockSize, source.getBlockSize());
            if (source.getLen() > 0) {
                parts.add(source.getPath());
            }
        }
        mkdirs(target.getParent());
        Path temp = temporaryFor(new Path(dir, target.getName()));
        boolean created = false;
        boolean mayHoldTheSources = false;
        boolean done = false;
        try {
            fs.create(temp, filePermission, false, bufferSize, replication, fileBlockSize, null).close();
            created = true;
            call.checkpoint();
            if (control.remaining().compareTo(JOIN_MARGIN) < 0) {
                throw new UploadCancelledException("too little time left to join pieces on the namenode");
            }
            // from here on the sources are consumed and the join must reach the target
            if (!call.commit()) {
                throw new UploadCancelledException("upload cancelled");
            }
            if (!parts.isEmpty()) {
                mayHoldTheSources = true;
                try {
                    dfs.concat(temp, parts.toArray(Path[]::new));
                } catch (RemoteException e) {
                    // the namenode checks everything before it changes anything
                    mayHoldTheSources = false;
                    if (refusedJoin(e)) {
                        return null;
                    }
                    throw e;
                } catch (IOException e) {
                    // the answer may be lost after the namenode joined: the temporary file's length tells
                    if (fs.getFileStatus(temp).getLen() != total) {
                        mayHoldTheSources = false;
                        throw e;
                    }
                }
            }
            long joined = fs.getFileStatus(temp).getLen();
            if (joined != total) {
                throw new IOException("the namenode joined " + joined + " bytes into " + temp + ", the pieces hold "
                        + total);
            }
            // the blocks are the pieces' own, each compared with the bytes sent when it was shipped
            OptionalLong crc = total == 0 ? OptionalLong.of(0) : checksumOfJoined(temp);
            rename(temp, target);
            done = true;
            removeEmptyDirectories(dir);
            return crc.isEmpty() ? UploadResult.unverified(target.toString(), total)
                    : new UploadResult(target.toString(), total, UploadResult.CRC32C, Checksums.crc(crc.getAsLong()), true);
        } catch (IOException e) {
            if (mayHoldTheSources) {
                throw new StrandedJoinException("the pieces were joined into " + temp + " but not moved to " + target
                        + ": " + errors.translate(e, "joining pieces into " + target).getMessage(), e);
            }
            throw e;
        } finally {
            if (!done) {
                call.detach();
                if (created && !mayHoldTheSources) {
                    deleteQuietly(temp);
                }
            }
        }
    }

    /**
     * HDFS's checksum of a joined file, or none when the datanodes cannot give it now: the pieces are
     * consumed already, so the file is better moved to its name unverified than left behind.
     */
    private OptionalLong checksumOfJoined(Path joined) {
        try {
            return storedCrc32c(fs, joined);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** The namenode joined the pieces into a temporary file, which is left for a person to rename. */
    private static final class StrandedJoinException extends IOException {
        StrandedJoinException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Refusals of a concat: its rules on the files, not a failure of the namenode or of the connection. */
    private static boolean refusedJoin(RemoteException e) {
        String name = String.valueOf(e.getClassName());
        return name.endsWith(".HadoopIllegalArgumentException") || name.endsWith(".SnapshotException")
                || name.equals(IllegalArgumentException.class.getName())
                || name.equals(UnsupportedOperationException.class.getName());
    }

    @Override
    public void delete(String key, UploadControl control) throws IOException, InterruptedException {
        Path path = resolve(key);
        ensureOpen();
        control.checkCancelled();
        asUser(control, call -> {
            try {
                requireCredentials();
                if (fs.delete(path, false)) {
                    removeEmptyDirectories(path.getParent());
                }
            } catch (IOException e) {
                throw failure(e, call, "deleting " + path);
            }
            return null;
        });
    }

    @Override
    public boolean supportsRead() {
        return true;
    }

    /** Opens the file on a worker within the deadline; each read then checks the control first. */
    @Override
    public InputStream open(String key, UploadControl control) throws IOException, InterruptedException {
        Path path = resolve(key);
        ensureOpen();
        control.checkCancelled();
        InputStream in = asUser(control, call -> {
            try {
                requireCredentials();
                return fs.open(path, bufferSize);
            } catch (FileNotFoundException e) {
                NoSuchFileException missing = new NoSuchFileException(path.toString());
                missing.initCause(e);
                throw missing;
            } catch (IOException e) {
                throw failure(e, call, "reading " + path);
            }
        });
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                control.checkCancelled();
                return super.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                control.checkCancelled();
                return super.read(b, off, len);
            }

            @Override
            public long skip(long n) throws IOException {
                control.checkCancelled();
                return super.skip(n);
            }
        };
    }

    /**
     * Compares HDFS's COMPOSITE_CRC checksum of {@code file} with {@code expectedCrc32c}, the CRC32C of the
     * {@code length} bytes sent. Returns true when they match, false when the file system offers no
     * checksum; throws on a mismatch. A file without blocks has no composite CRC (HDFS answers with its
     * MD5-of-CRC placeholder): the namenode's length of 0 is then the whole verification.
     */
    static boolean verify(FileSystem fs, Path file, long length, long expectedCrc32c) throws IOException {
        if (length == 0) {
            long stored = fs.getFileStatus(file).getLen();
            if (stored != 0) {
                throw new IOException("length mismatch for " + fs.makeQualified(file) + ": HDFS stored " + stored
                        + " bytes, 0 were sent");
            }
            return true;
        }
        OptionalLong stored = storedCrc32c(fs, file);
        if (stored.isEmpty()) {
            return false;
        }
        if (stored.getAsLong() != expectedCrc32c) {
            throw new IOException("checksum mismatch for " + fs.makeQualified(file) + ": HDFS stored CRC32C "
                    + Checksums.crc(stored.getAsLong()) + ", the bytes sent have " + Checksums.crc(expectedCrc32c));
        }
        return true;
    }

    /**
     * HDFS's COMPOSITE_CRC checksum of a file with blocks: the CRC32C of its bytes, computed by the
     * datanodes from the checksums they stored; empty when the file system offers no checksum.
     */
    static OptionalLong storedCrc32c(FileSystem fs, Path file) throws IOException {
        FileChecksum checksum = fs.getFileChecksum(file);
        if (checksum == null) {
            return OptionalLong.empty();
        }
        if (!COMPOSITE_CRC32C.equals(checksum.getAlgorithmName()) || checksum.getLength() != 4) {
            throw new IOException("expected a " + COMPOSITE_CRC32C + " checksum of " + fs.makeQualified(file)
                    + " from HDFS, got " + checksum.getAlgorithmName());
        }
        // the composite CRC's bytes are the big-endian CRC32C of the whole file
        return OptionalLong.of(Integer.toUnsignedLong(ByteBuffer.wrap(checksum.getBytes()).getInt()));
    }

    /**
     * Stops a stream without completing its file: with the interrupt flag set, {@code close()} stops waiting
     * for the datanodes' acknowledgements, tears the pipeline down and releases the lease without asking the
     * namenode to complete the file.
     */
    private static void abort(FSDataOutputStream out) {
        Thread.currentThread().interrupt();
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            // expected: the stream reports the interruption or the failure that stopped the upload
        } finally {
            Thread.interrupted();
        }
    }

    private void deleteQuietly(Path temp) {
        try {
            fs.delete(temp, false);
        } catch (IOException | RuntimeException e) {
            // best effort, bounded by the client's RPC timeouts; a leftover .lifeboat-*.tmp is harmless
        }
    }

    private void mkdirs(Path dir) throws IOException {
        if (knownDirectories.contains(dir)) {
            return;
        }
        if (!fs.mkdirs(dir, dirPermission)) {
            throw new IOException("cannot create directory " + dir);
        }
        knownDirectories.add(dir);
    }

    /**
     * Removes {@code dir} and its parents up to the destination while they are empty, e.g. the folder of a
     * file's pieces once they are joined or deleted. Best effort: the first one that is not empty ends it.
     */
    private void removeEmptyDirectories(Path dir) {
        for (Path d = dir; d != null && !d.equals(root) && d.depth() > root.depth(); d = d.getParent()) {
            try {
                fs.delete(d, false);
            } catch (IOException | RuntimeException e) {
                return;
            }
            String removed = d.toUri().getPath();
            knownDirectories.removeIf(known -> (known.toUri().getPath() + "/").startsWith(removed + "/"));
        }
    }

    /**
     * HDFS replaces the target atomically (rename with OVERWRITE). ViewFs has no overwriting rename: an
     * existing target is deleted first, so a reader may briefly see no file, never a partial one.
     */
    private void rename(Path temp, Path target) throws IOException {
        if (fs instanceof DistributedFileSystem dfs) {
            dfs.rename(temp, target, Options.Rename.OVERWRITE);
            return;
        }
        if (fs.rename(temp, target)) {
            return;
        }
        if (fs.exists(target) && !fs.getFileStatus(target).isDirectory()) {
            fs.delete(target, false);
            if (fs.rename(temp, target)) {
                return;
            }
        }
        throw new IOException("cannot rename " + temp + " to " + target);
    }

    /**
     * Resolves {@code key} under the destination after {@link Keys#check}, with HDFS's own rule on top:
     * its file names cannot contain ':'.
     */
    Path resolve(String key) throws InvalidKeyException {
        if (Keys.check(key).indexOf(':') >= 0) {
            throw new InvalidKeyException(key, "HDFS file names cannot contain ':'");
        }
        return new Path(root, key);
    }

    static Path temporaryFor(Path target) {
        String name = target.getName();
        if (name.length() > MAX_TEMP_NAME_PREFIX) {
            name = name.substring(0, MAX_TEMP_NAME_PREFIX);
        }
        return new Path(target.getParent(), "." + name + ".lifeboat-" + UUID.randomUUID() + ".tmp");
    }

    Path root() {
        return root;
    }

    FileSystem fileSystem() {
        return fs;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("uploader is closed");
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        // a call given up at the deadline cleans up on its worker (its temporary file deleted): give that a
        // moment uninterrupted, as the process ends at once after the run ({@code ProcessExit})
        workers.shutdown();
        try {
            if (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
                workers.shutdownNow();
                workers.awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        fs.close();
    }

    @Override
    public String toString() {
        return scheme + " uploader at " + root;
    }
}
