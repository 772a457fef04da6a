package dev.lifeboat.uploader.hdfs;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Sizes;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The HDFS uploader's options, parsed and checked without touching Hadoop (this class is loaded when
 * Lifeboat validates its configuration, before the child starts). Keys arrive without the scheme prefix.
 */
final class HdfsOptions {
    static final String CONFIG_DIR = "config-dir";
    static final String CONF_PREFIX = "conf.";
    static final String USER = "user";
    static final String KERBEROS_PRINCIPAL = "kerberos-principal";
    static final String KERBEROS_KEYTAB = "kerberos-keytab";
    static final String REPLICATION = "replication";
    static final String BLOCK_SIZE = "block-size";
    static final String PERMISSION = "permission";
    static final String DIR_PERMISSION = "dir-permission";

    static final Set<String> KEYS = Set.of(CONFIG_DIR, CONF_PREFIX, USER, KERBEROS_PRINCIPAL, KERBEROS_KEYTAB,
            REPLICATION, BLOCK_SIZE, PERMISSION, DIR_PERMISSION);

    /** The environment variable that names the Hadoop configuration directory when config-dir is unset. */
    static final String HADOOP_CONF_DIR = "HADOOP_CONF_DIR";

    /** HDFS's own upper bound for a file's replication ({@code dfs.replication.max}'s default). */
    static final int MAX_REPLICATION = 512;
    /** A block must hold whole checksum chunks ({@code dfs.bytes-per-checksum}, 512 by default). */
    static final long BLOCK_SIZE_MULTIPLE = 512;

    private static final Pattern OCTAL_MODE = Pattern.compile("[0-7]{3,4}");

    final Optional<Path> configDir;
    final Map<String, String> conf;
    final Optional<String> user;
    final Optional<String> kerberosPrincipal;
    final Optional<Path> kerberosKeytab;
    final Optional<Short> replication;
    final Optional<Long> blockSize;
    final Optional<Short> permission;
    final Optional<Short> dirPermission;

    private HdfsOptions(Optional<Path> configDir, Map<String, String> conf, Optional<String> user,
            Optional<String> kerberosPrincipal, Optional<Path> kerberosKeytab, Optional<Short> replication,
            Optional<Long> blockSize, Optional<Short> permission, Optional<Short> dirPermission) {
        this.configDir = configDir;
        this.conf = conf;
        this.user = user;
        this.kerberosPrincipal = kerberosPrincipal;
        this.kerberosKeytab = kerberosKeytab;
        this.replication = replication;
        this.blockSize = blockSize;
        this.permission = permission;
        this.dirPermission = dirPermission;
    }

    /** Parses and checks {@code options}; reads nothing but the keytab's and config-dir's file attributes. */
    static HdfsOptions parse(Map<String, String> options) throws InvalidOptionException {
        Map<String, String> conf = new TreeMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(options).entrySet()) {
            String key = e.getKey();
            if (key.startsWith(CONF_PREFIX)) {
                String hadoopKey = key.substring(CONF_PREFIX.length());
                if (hadoopKey.isBlank()) {
                    throw new InvalidOptionException(key, "name a Hadoop property after 'conf.', e.g. conf.dfs.replication");
                }
                String value = e.getValue() == null ? "" : e.getValue();
                String forced = HdfsClientTuning.FORCED.get(hadoopKey);
                if (forced != null && !forced.equalsIgnoreCase(value.trim())) {
                    throw new InvalidOptionException(key, "Lifeboat verifies every file with " + forced
                            + " checksums and cannot use '" + value + "'");
                }
                conf.put(hadoopKey, value);
            } else if (!KEYS.contains(key)) {
                throw new InvalidOptionException(key, "unknown option; known options: "
                        + String.join(", ", new java.util.TreeSet<>(KEYS)).replace(CONF_PREFIX, CONF_PREFIX + "<hadoop-key>"));
            }
        }

        Optional<Path> configDir = path(options, CONFIG_DIR);
        if (configDir.isPresent() && !Files.isDirectory(configDir.get())) {
            throw new InvalidOptionException(CONFIG_DIR, "not a directory: " + configDir.get());
        }

        Optional<String> user = value(options, USER);
        if (user.isPresent() && !user.get().matches("[^\\s/@:]+")) {
            throw new InvalidOptionException(USER, "expected a user name without spaces, '/', '@' or ':', got '"
                    + user.get() + "'");
        }

        Optional<String> principal = value(options, KERBEROS_PRINCIPAL);
        Optional<String> keytabValue = value(options, KERBEROS_KEYTAB);
        if (principal.isPresent() && keytabValue.isEmpty()) {
            throw new InvalidOptionException(KERBEROS_KEYTAB, "required with " + KERBEROS_PRINCIPAL
                    + ": the keytab holding that principal's key");
        }
        if (keytabValue.isPresent() && principal.isEmpty()) {
            throw new InvalidOptionException(KERBEROS_PRINCIPAL, "required with " + KERBEROS_KEYTAB
                    + ": the principal to log in as, e.g. lifeboat/_HOST@EXAMPLE.COM");
        }
        if (principal.isPresent() && principal.get().chars().anyMatch(Character::isWhitespace)) {
            throw new InvalidOptionException(KERBEROS_PRINCIPAL, "a principal has no spaces, e.g. lifeboat/_HOST@EXAMPLE.COM");
        }
        if (principal.isPresent() && user.isPresent()) {
            throw new InvalidOptionException(USER, "applies to simple authentication and cannot be combined with "
                    + KERBEROS_PRINCIPAL);
        }
        Optional<Path> keytab = path(options, KERBEROS_KEYTAB);
        if (keytab.isPresent()) {
            Path k = keytab.get();
            if (!Files.isRegularFile(k)) {
                throw new InvalidOptionException(KERBEROS_KEYTAB, "no such file: " + k);
            }
            if (!Files.isReadable(k)) {
                throw new InvalidOptionException(KERBEROS_KEYTAB, "not readable by this process: " + k);
            }
        }

        Optional<String> r = value(options, REPLICATION);
        Optional<Short> replication = r.isPresent() ? Optional.of(replication(r.get())) : Optional.empty();
        Optional<String> b = value(options, BLOCK_SIZE);
        Optional<Long> blockSize = b.isPresent() ? Optional.of(blockSize(b.get())) : Optional.empty();
        Optional<Short> permission = mode(options, PERMISSION);
        Optional<Short> dirPermission = mode(options, DIR_PERMISSION);
        if (dirPermission.isEmpty() && permission.isPresent()) {
            dirPermission = Optional.of(directoryMode(permission.get()));
        }
        return new HdfsOptions(configDir, Collections.unmodifiableMap(new LinkedHashMap<>(conf)), user, principal,
                keytab, replication, blockSize, permission, dirPermission);
    }

    /** Checks a destination URI of {@code scheme}: an absolute path, no query or fragment. */
    static void checkDestination(URI destination, String scheme) throws InvalidOptionException {
        if (destination == null || !scheme.equalsIgnoreCase(destination.getScheme())) {
            throw new InvalidOptionException(null, "expected a " + scheme + ":// destination, got " + destination);
        }
        if (destination.isOpaque()) {
            throw new InvalidOptionException(null, "expected " + scheme + "://host[:port]/path or " + scheme
                    + ":///path, got " + destination);
        }
        String path = destination.getPath();
        if (path == null || !path.startsWith("/")) {
            throw new InvalidOptionException(null, "a " + scheme + " destination needs an absolute path, e.g. "
                    + scheme + "://namenode:8020/logs");
        }
        if (destination.getRawQuery() != null || destination.getRawFragment() != null) {
            throw new InvalidOptionException(null, "a " + scheme + " destination has no query or fragment: " + destination);
        }
        if (path.contains(":")) {
            throw new InvalidOptionException(null, "HDFS path names cannot contain ':': " + destination);
        }
        for (String segment : path.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidOptionException(null, "a " + scheme + " destination has no '.' or '..' segment: "
                        + destination);
            }
        }
    }

    /**
     * The directory mode that goes with a file mode: execute (search) is added wherever read is granted,
     * so 644 gives 755 and 640 gives 750.
     */
    static short directoryMode(short fileMode) {
        int mode = fileMode;
        for (int shift = 0; shift <= 6; shift += 3) {
            if ((mode & (04 << shift)) != 0) {
                mode |= 01 << shift;
            }
        }
        return (short) mode;
    }

    private static Optional<String> value(Map<String, String> options, String key) {
        String v = options.get(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    private static Optional<Path> path(Map<String, String> options, String key) throws InvalidOptionException {
        Optional<String> value = value(options, key);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(value.get()));
        } catch (InvalidPathException e) {
            throw new InvalidOptionException(key, "not a valid path: '" + value.get() + "'");
        }
    }

    private static short replication(String value) throws InvalidOptionException {
        try {
            int r = Integer.parseInt(value);
            if (r >= 1 && r <= MAX_REPLICATION) {
                return (short) r;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidOptionException(REPLICATION, "expected a whole number from 1 to "
                + MAX_REPLICATION + ", got '" + value + "'");
    }

    /** A block size in {@link Sizes}' syntax, e.g. 134217728, 128MiB or 64MB; a multiple of 512 bytes. */
    static long blockSize(String value) throws InvalidOptionException {
        long bytes;
        try {
            bytes = Sizes.parse(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionException(BLOCK_SIZE, "expected a positive size such as 134217728 or 128MiB: "
                    + e.getMessage());
        }
        if (bytes <= 0) {
            throw new InvalidOptionException(BLOCK_SIZE, "expected a positive size such as 134217728 or 128MiB, got '"
                    + value + "'");
        }
        if (bytes % BLOCK_SIZE_MULTIPLE != 0) {
            throw new InvalidOptionException(BLOCK_SIZE, "must be a multiple of " + BLOCK_SIZE_MULTIPLE
                    + " bytes (the checksum chunk), got " + bytes);
        }
        return bytes;
    }

    private static Optional<Short> mode(Map<String, String> options, String key) throws InvalidOptionException {
        Optional<String> value = value(options, key);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (!OCTAL_MODE.matcher(value.get()).matches()) {
            throw new InvalidOptionException(key, "expected an octal mode such as 644, got '" + value.get() + "'");
        }
        return Optional.of((short) Integer.parseInt(value.get(), 8));
    }
}
