package dev.lifeboat.uploader.gcs;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Sizes;
import dev.lifeboat.spi.WholeNumbers;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code gs://} destination and its options, parsed and checked without any I/O. JDK types only, so
 * that the factory can validate before the child starts without loading the client library.
 */
final class GcsConfig {
    static final String PROJECT = "project";
    static final String ENDPOINT = "endpoint";
    static final String STORAGE_CLASS = "storage-class";
    static final String METADATA = "metadata.";
    static final String KMS_KEY_NAME = "kms-key-name";
    static final String CHUNK_SIZE = "chunk-size";
    static final String RESUMABLE_THRESHOLD = "resumable-threshold";
    static final String CONCURRENCY = "concurrency";
    static final String CREDENTIALS_FILE = "credentials-file";

    static final Set<String> KEYS = Set.of(PROJECT, ENDPOINT, STORAGE_CLASS, METADATA, KMS_KEY_NAME, CHUNK_SIZE,
            RESUMABLE_THRESHOLD, CONCURRENCY, CREDENTIALS_FILE);

    static final int QUANTUM = 256 * 1024;
    static final int DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
    static final long DEFAULT_RESUMABLE_THRESHOLD = 8L * 1024 * 1024;
    static final int DEFAULT_CONCURRENCY = 8;
    /** Small files are read into memory for their single request; this bounds that buffer. */
    static final long MAX_RESUMABLE_THRESHOLD = 64L * 1024 * 1024;
    static final int MAX_CHUNK_SIZE = 1024 * 1024 * 1024;
    static final int MAX_CONCURRENCY = 256;

    static final Set<String> STORAGE_CLASSES = Set.of("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE",
            "MULTI_REGIONAL", "REGIONAL", "DURABLE_REDUCED_AVAILABILITY");

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]");
    private static final Pattern IP_ADDRESS = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern KMS = Pattern.compile("projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+");
    private static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9!#$&'*+.^_`|~-]+");

    final String bucket;
    /** The object name prefix without leading or trailing '/', possibly empty. */
    final String prefix;
    final String project;
    final String endpoint;
    final String storageClass;
    final Map<String, String> metadata;
    final String kmsKeyName;
    final int chunkSize;
    final long resumableThreshold;
    final int concurrency;
    final String credentialsFile;

    private GcsConfig(String bucket, String prefix, Map<String, String> options) throws InvalidOptionException {
        this.bucket = bucket;
        this.prefix = prefix;
        this.project = nonBlank(options, PROJECT);
        this.endpoint = endpoint(nonBlank(options, ENDPOINT));
        String sc = nonBlank(options, STORAGE_CLASS);
        if (sc != null) {
            sc = sc.toUpperCase(Locale.ROOT);
            if (!STORAGE_CLASSES.contains(sc)) {
                throw new InvalidOptionException(STORAGE_CLASS, "unknown storage class '" + options.get(STORAGE_CLASS)
                        + "', expected one of STANDARD, NEARLINE, COLDLINE, ARCHIVE");
            }
        }
        this.storageClass = sc;
        Map<String, String> md = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            if (e.getKey().startsWith(METADATA)) {
                String k = e.getKey().substring(METADATA.length());
                if (!METADATA_KEY.matcher(k).matches()) {
                    throw new InvalidOptionException(e.getKey(), "a metadata key needs letters, digits or -_. only, got '"
                            + k + "'");
                }
                md.put(k, e.getValue() == null ? "" : e.getValue());
            }
        }
        this.metadata = Collections.unmodifiableMap(md);
        String kms = nonBlank(options, KMS_KEY_NAME);
        if (kms != null && !KMS.matcher(kms).matches()) {
            throw new InvalidOptionException(KMS_KEY_NAME,
                    "expected projects/P/locations/L/keyRings/R/cryptoKeys/K, got '" + kms + "'");
        }
        this.kmsKeyName = kms;
        long chunk = Sizes.parseOption(CHUNK_SIZE, nonBlank(options, CHUNK_SIZE), DEFAULT_CHUNK_SIZE);
        if (chunk < QUANTUM || chunk % QUANTUM != 0 || chunk > MAX_CHUNK_SIZE) {
            throw new InvalidOptionException(CHUNK_SIZE, "must be a multiple of 256KiB between 256KiB and 1GiB, got "
                    + options.get(CHUNK_SIZE));
        }
        this.chunkSize = (int) chunk;
        long threshold = Sizes.parseOption(RESUMABLE_THRESHOLD, nonBlank(options, RESUMABLE_THRESHOLD),
                DEFAULT_RESUMABLE_THRESHOLD);
        if (threshold > MAX_RESUMABLE_THRESHOLD) {
            throw new InvalidOptionException(RESUMABLE_THRESHOLD, "must be at most 64MiB (small files are held in memory), got "
                    + options.get(RESUMABLE_THRESHOLD));
        }
        this.resumableThreshold = threshold;
        this.concurrency = WholeNumbers.parseOption(CONCURRENCY, nonBlank(options, CONCURRENCY), DEFAULT_CONCURRENCY, 1,
                MAX_CONCURRENCY);
        String cf = nonBlank(options, CREDENTIALS_FILE);
        if (cf != null && cf.indexOf('\0') >= 0) {
            throw new InvalidOptionException(CREDENTIALS_FILE, "not a file path");
        }
        this.credentialsFile = cf;
    }

    /**
     * Why GCS would refuse {@code bucket} as a bucket name, or null when it would not: 3 to 63 characters
     * (up to 222 with dots, each dot-separated part at most 63) of a-z, 0-9, '-', '_' and '.', a letter or
     * digit at each end, not an IP address, not starting with "goog", not containing "google".
     */
    static String bucketProblem(String bucket) {
        int max = bucket.indexOf('.') >= 0 ? 222 : 63;
        if (bucket.length() < 3 || bucket.length() > max) {
            return "3 to " + max + " characters" + (max == 63 ? " (222 with dots)" : "") + ", got " + bucket.length();
        }
        if (!BUCKET.matcher(bucket).matches()) {
            return "only lower-case letters, digits, '-', '_' and '.', with a letter or digit at each end";
        }
        if (bucket.contains("..")) {
            return "two periods in a row";
        }
        for (String part : bucket.split("\\.")) {
            if (part.length() > 63) {
                return "each dot-separated part at most 63 characters, got " + part.length();
            }
        }
        if (IP_ADDRESS.matcher(bucket).matches()) {
            return "formatted as an IP address";
        }
        if (bucket.startsWith("goog") || bucket.contains("google")) {
            return "names may not start with 'goog' or contain 'google'";
        }
        return null;
    }

    /** Parses {@code gs://bucket/prefix} and the options; throws naming the key at fault. */
    static GcsConfig parse(URI destination, Map<String, String> options) throws InvalidOptionException {
        if (destination == null || !"gs".equalsIgnoreCase(destination.getScheme())) {
            throw new InvalidOptionException(null, "a GCS destination looks like gs://bucket/prefix, got " + destination);
        }
        String bucket = destination.getRawAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new InvalidOptionException(null, "a GCS destination names a bucket: gs://bucket/prefix, got " + destination);
        }
        String problem = bucketProblem(bucket);
        if (problem != null) {
            throw new InvalidOptionException(null, "'" + bucket + "' is not a valid GCS bucket name: " + problem);
        }
        if (destination.getRawQuery() != null || destination.getRawFragment() != null) {
            throw new InvalidOptionException(null, "a GCS destination has no query or fragment: " + destination);
        }
        String path = destination.getPath() == null ? "" : destination.getPath();
        while (path.startsWith("/")) {
            path = path.substring(1);
        }
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        for (String key : options.keySet()) {
            if (!KEYS.contains(key) && !key.startsWith(METADATA)) {
                throw new InvalidOptionException(key, "unknown option; known: " + String.join(", ", new java.util.TreeSet<>(KEYS)));
            }
        }
        return new GcsConfig(bucket, path, options);
    }

    /** The object name for a key relative to the destination. */
    String objectName(String key) {
        return prefix.isEmpty() ? key : prefix + "/" + key;
    }

    /** {@code gs://bucket/prefix} for messages. */
    String location() {
        return "gs://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    private static String nonBlank(Map<String, String> options, String key) {
        String v = options.get(key);
        if (v == null) {
            return null;
        }
        v = v.trim();
        return v.isEmpty() ? null : v;
    }

    private static String endpoint(String value) throws InvalidOptionException {
        if (value == null) {
            return null;
        }
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw new InvalidOptionException(ENDPOINT, "expected http(s)://host[:port], got '" + value + "'");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                throw new InvalidOptionException(ENDPOINT, "expected http(s)://host[:port] without user, query or fragment");
            }
            String s = value;
            while (s.endsWith("/")) {
                s = s.substring(0, s.length() - 1);
            }
            return s;
        } catch (URISyntaxException e) {
            throw new InvalidOptionException(ENDPOINT, "not a URL: '" + value + "'");
        }
    }
}
