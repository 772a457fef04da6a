package dev.lifeboat.uploader.s3;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Sizes;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.WholeNumbers;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The S3 uploader's destination and options, parsed and validated without any I/O and without touching the
 * AWS SDK, so that the factory stays cheap to load. Keys are those of {@code s3.<key>} without the prefix.
 */
final class S3Config {
    static final String REGION = "region";
    static final String ENDPOINT = "endpoint";
    static final String PATH_STYLE = "path-style";
    static final String SSE = "sse";
    static final String SSE_KMS_KEY_ID = "sse-kms-key-id";
    static final String STORAGE_CLASS = "storage-class";
    static final String TAG = "tag.";
    static final String METADATA = "metadata.";
    static final String MULTIPART_THRESHOLD = "multipart-threshold";
    static final String PART_SIZE = "part-size";
    static final String CONCURRENCY = "concurrency";
    static final String ACCESS_KEY_ID = "access-key-id";
    static final String SECRET_ACCESS_KEY = "secret-access-key";
    static final String CHECKSUM = "checksum";

    static final Set<String> KEYS = Set.of(REGION, ENDPOINT, PATH_STYLE, SSE, SSE_KMS_KEY_ID, STORAGE_CLASS, TAG,
            METADATA, MULTIPART_THRESHOLD, PART_SIZE, CONCURRENCY, ACCESS_KEY_ID, SECRET_ACCESS_KEY, CHECKSUM);

    static final long MIB = 1024L * 1024;
    static final long MIN_PART_SIZE = 5 * MIB;
    static final long MAX_PART_SIZE = 5L * 1024 * MIB;
    static final int MAX_PARTS = 10_000;
    static final long DEFAULT_MULTIPART_THRESHOLD = 16 * MIB;
    static final long DEFAULT_PART_SIZE = 8 * MIB;
    static final int DEFAULT_CONCURRENCY = 4;
    static final int MAX_CONCURRENCY = 64;

    /** Server-side encryption as S3 names it in {@code x-amz-server-side-encryption}. */
    enum Sse {
        NONE(null), AES256("AES256"), KMS("aws:kms");

        final String headerValue;

        Sse(String headerValue) {
            this.headerValue = headerValue;
        }
    }

    /** The checksum sent with every request; S3 rejects bytes that do not match it. */
    enum Checksum {
        CRC32C(UploadResult.CRC32C, true), CRC32(UploadResult.CRC32, true), SHA256(UploadResult.SHA_256, false);

        /** The name reported in {@link UploadResult#checksumAlgorithm()}. */
        final String reportedName;
        /** Whether S3 can checksum a multipart object as a whole (checksum type FULL_OBJECT). */
        final boolean fullObject;

        Checksum(String reportedName, boolean fullObject) {
            this.reportedName = reportedName;
            this.fullObject = fullObject;
        }
    }

    static final Set<String> STORAGE_CLASSES = Set.of("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
            "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
            "FSX_OPENZFS", "FSX_ONTAP");

    /** AWS's bucket naming rules: 3 to 63 of a-z, 0-9, '.' and '-', a letter or digit at each end. */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP_ADDRESS = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern REGION_NAME = Pattern.compile("[a-z0-9-]{2,64}");
    /** HTTP token characters, the ones a metadata name may use in {@code x-amz-meta-<name>}. */
    private static final Pattern HEADER_TOKEN = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");

    final String bucket;
    /** The key prefix, empty or ending in '/'. */
    final String prefix;
    final String region;
    final URI endpoint;
    final boolean pathStyle;
    final Sse sse;
    final String sseKmsKeyId;
    final String storageClass;
    final Map<String, String> tags;
    final Map<String, String> metadata;
    final long multipartThreshold;
    final long partSize;
    final int concurrency;
    final String accessKeyId;
    final String secretAccessKey;
    final Checksum checksum;

    private S3Config(URI destination, Map<String, String> options) throws InvalidOptionException {
        bucket = bucket(destination);
        prefix = prefix(destination);
        for (String key : options.keySet()) {
            if (!KEYS.contains(key) && !key.startsWith(TAG) && !key.startsWith(METADATA)) {
                throw new InvalidOptionException(key, "unknown option; known: "
                        + String.join(", ", new java.util.TreeSet<>(KEYS)).replace(".", ".<name>"));
            }
        }
        region = region(options.get(REGION));
        endpoint = endpoint(options.get(ENDPOINT));
        pathStyle = bool(PATH_STYLE, options.get(PATH_STYLE), false);
        sse = sse(options.get(SSE));
        sseKmsKeyId = blankToNull(options.get(SSE_KMS_KEY_ID));
        if (sseKmsKeyId != null && sse != Sse.KMS) {
            throw new InvalidOptionException(SSE_KMS_KEY_ID, "needs s3.sse=aws:kms");
        }
        storageClass = storageClass(options.get(STORAGE_CLASS));
        tags = tags(options);
        metadata = metadata(options);
        multipartThreshold = size(MULTIPART_THRESHOLD, options.get(MULTIPART_THRESHOLD), DEFAULT_MULTIPART_THRESHOLD,
                1, Long.MAX_VALUE);
        partSize = size(PART_SIZE, options.get(PART_SIZE), DEFAULT_PART_SIZE, MIN_PART_SIZE, MAX_PART_SIZE);
        concurrency = integer(CONCURRENCY, options.get(CONCURRENCY), DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY);
        accessKeyId = blankToNull(options.get(ACCESS_KEY_ID));
        secretAccessKey = blankToNull(options.get(SECRET_ACCESS_KEY));
        if ((accessKeyId == null) != (secretAccessKey == null)) {
            throw new InvalidOptionException(accessKeyId == null ? ACCESS_KEY_ID : SECRET_ACCESS_KEY,
                    "s3.access-key-id and s3.secret-access-key go together: set both or neither");
        }
        checksum = checksum(options.get(CHECKSUM));
    }

    static S3Config parse(URI destination, Map<String, String> options) throws InvalidOptionException {
        return new S3Config(destination, options == null ? Map.of() : options);
    }

    /** {@code s3://bucket/prefix} for messages and result locations. */
    String destination() {
        return "s3://" + bucket + "/" + prefix;
    }

    /** The part size for a file of {@code size} bytes: the configured one, grown to stay within 10,000 parts. */
    long partSizeFor(long size) {
        long part = partSize;
        long min = (size + MAX_PARTS - 1) / MAX_PARTS;
        if (part < min) {
            part = (min + MIB - 1) / MIB * MIB;
        }
        return part;
    }

    // ---- parsing -------------------------------------------------------------------------------

    private static String bucket(URI destination) throws InvalidOptionException {
        if (destination == null || !"s3".equalsIgnoreCase(destination.getScheme())) {
            throw new InvalidOptionException(null, "an S3 destination looks like s3://bucket/prefix, got " + destination);
        }
        String bucket = destination.getAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new InvalidOptionException(null, "an S3 destination names its bucket: s3://bucket/prefix, got "
                    + destination);
        }
        if (bucket.contains("@") || bucket.contains(":")) {
            throw new InvalidOptionException(null, "an S3 destination has no user or port: s3://bucket/prefix, got "
                    + destination);
        }
        String problem = bucketProblem(bucket);
        if (problem != null) {
            throw new InvalidOptionException(null, "'" + bucket + "' is not a valid S3 bucket name: " + problem);
        }
        if (destination.getQuery() != null || destination.getFragment() != null) {
            throw new InvalidOptionException(null, "an S3 destination has no query or fragment: " + destination);
        }
        return bucket;
    }

    /**
     * Why AWS would refuse {@code bucket} as a bucket name, or null when it would not: the rules of
     * general purpose buckets (directory buckets, {@code name--zone--x-s3}, follow them too).
     */
    static String bucketProblem(String bucket) {
        if (bucket.length() < 3 || bucket.length() > 63) {
            return "3 to 63 characters, got " + bucket.length();
        }
        if (!BUCKET.matcher(bucket).matches()) {
            return "only lower-case letters, digits, '.' and '-', with a letter or digit at each end";
        }
        if (bucket.contains("..")) {
            return "two periods in a row";
        }
        if (IP_ADDRESS.matcher(bucket).matches()) {
            return "formatted as an IP address";
        }
        for (String reserved : new String[] {"xn--", "sthree-", "amzn-s3-demo-"}) {
            if (bucket.startsWith(reserved)) {
                return "the prefix '" + reserved + "' is reserved";
            }
        }
        for (String reserved : new String[] {"-s3alias", "--ol-s3", ".mrap", "--table-s3"}) {
            if (bucket.endsWith(reserved)) {
                return "the suffix '" + reserved + "' is reserved";
            }
        }
        return null;
    }

    private static String prefix(URI destination) throws InvalidOptionException {
        String path = destination.getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return "";
        }
        String p = path.startsWith("/") ? path.substring(1) : path;
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        for (String segment : p.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new InvalidOptionException(null, "the prefix of " + destination
                        + " has an empty, '.' or '..' segment");
            }
        }
        return p + "/";
    }

    private static String region(String value) throws InvalidOptionException {
        String v = blankToNull(value);
        if (v != null && !REGION_NAME.matcher(v).matches()) {
            throw new InvalidOptionException(REGION, "not a region name: '" + v + "' (e.g. eu-west-1)");
        }
        return v;
    }

    private static URI endpoint(String value) throws InvalidOptionException {
        String v = blankToNull(value);
        if (v == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException e) {
            throw new InvalidOptionException(ENDPOINT, "not a URI: '" + v + "'");
        }
        if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http")
                || uri.getScheme().equalsIgnoreCase("https")) || uri.getHost() == null) {
            throw new InvalidOptionException(ENDPOINT, "expected http://host[:port] or https://host[:port], got '"
                    + v + "'");
        }
        if (uri.getUserInfo() != null) {
            throw new InvalidOptionException(ENDPOINT, "credentials do not belong in the endpoint URI");
        }
        return uri;
    }

    static boolean bool(String key, String value, boolean dflt) throws InvalidOptionException {
        String v = blankToNull(value);
        if (v == null) {
            return dflt;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new InvalidOptionException(key, "expected true or false, got '" + v + "'");
        }
    }

    private static Sse sse(String value) throws InvalidOptionException {
        String v = blankToNull(value);
        if (v == null) {
            return Sse.NONE;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "none":
                return Sse.NONE;
            case "aes256":
                return Sse.AES256;
            case "aws:kms":
            case "kms":
                return Sse.KMS;
            default:
                throw new InvalidOptionException(SSE, "expected none, AES256 or aws:kms, got '" + v + "'");
        }
    }

    private static String storageClass(String value) throws InvalidOptionException {
        String v = blankToNull(value);
        if (v == null) {
            return null;
        }
        String upper = v.toUpperCase(Locale.ROOT);
        if (!STORAGE_CLASSES.contains(upper)) {
            throw new InvalidOptionException(STORAGE_CLASS, "unknown storage class '" + v + "'; known: "
                    + String.join(", ", new java.util.TreeSet<>(STORAGE_CLASSES)));
        }
        return upper;
    }

    private static Map<String, String> tags(Map<String, String> options) throws InvalidOptionException {
        Map<String, String> tags = new TreeMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            if (!e.getKey().startsWith(TAG)) {
                continue;
            }
            String name = e.getKey().substring(TAG.length());
            String value = e.getValue() == null ? "" : e.getValue();
            if (name.isEmpty() || name.length() > 128) {
                throw new InvalidOptionException(e.getKey(), "a tag name has 1 to 128 characters");
            }
            if (value.length() > 256) {
                throw new InvalidOptionException(e.getKey(), "a tag value has at most 256 characters");
            }
            tags.put(name, value);
        }
        if (tags.size() > 10) {
            throw new InvalidOptionException(TAG, "S3 allows at most 10 tags on an object, got " + tags.size());
        }
        return Collections.unmodifiableMap(tags);
    }

    private static Map<String, String> metadata(Map<String, String> options) throws InvalidOptionException {
        Map<String, String> metadata = new LinkedHashMap<>();
        int bytes = 0;
        for (Map.Entry<String, String> e : new TreeMap<>(options).entrySet()) {
            if (!e.getKey().startsWith(METADATA)) {
                continue;
            }
            String name = e.getKey().substring(METADATA.length());
            String value = e.getValue() == null ? "" : e.getValue();
            if (!HEADER_TOKEN.matcher(name).matches()) {
                throw new InvalidOptionException(e.getKey(), "a metadata name is a non-empty HTTP token "
                        + "(letters, digits, - _ . and a few more), got '" + name + "'");
            }
            if (!value.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new InvalidOptionException(e.getKey(), "a metadata value is printable US-ASCII");
            }
            bytes += name.getBytes(StandardCharsets.US_ASCII).length + value.length();
            metadata.put(name.toLowerCase(Locale.ROOT), value);
        }
        if (bytes > 2048) {
            throw new InvalidOptionException(METADATA, "user metadata is limited to 2 KB, got " + bytes + " bytes");
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static long size(String key, String value, long dflt, long min, long max) throws InvalidOptionException {
        String v = blankToNull(value);
        if (v == null) {
            return dflt;
        }
        long n = Sizes.parseOption(key, v, dflt);
        if (n < min) {
            throw new InvalidOptionException(key, "at least " + Sizes.format(min) + ", got '" + v + "'");
        }
        if (n > max) {
            throw new InvalidOptionException(key, "at most " + Sizes.format(max) + ", got '" + v + "'");
        }
        return n;
    }

    private static int integer(String key, String value, int dflt, int min, int max) throws InvalidOptionException {
        return WholeNumbers.parseOption(key, blankToNull(value), dflt, min, max);
    }

    private static Checksum checksum(String value) throws InvalidOptionException {
        String v = blankToNull(value);
        if (v == null) {
            return Checksum.CRC32C;
        }
        switch (v.toUpperCase(Locale.ROOT)) {
            case "CRC32C":
                return Checksum.CRC32C;
            case "CRC32":
                return Checksum.CRC32;
            case "SHA256":
            case "SHA-256":
                return Checksum.SHA256;
            default:
                throw new InvalidOptionException(CHECKSUM, "expected CRC32C, CRC32 or SHA256, got '" + v + "'");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Never prints the secret key. */
    @Override
    public String toString() {
        return "S3Config[" + destination() + ", region=" + region + ", endpoint=" + endpoint
                + ", pathStyle=" + pathStyle + ", sse=" + sse + ", storageClass=" + storageClass
                + ", multipartThreshold=" + multipartThreshold + ", partSize=" + partSize
                + ", concurrency=" + concurrency + ", checksum=" + checksum
                + ", credentials=" + (accessKeyId == null ? "default chain" : "static") + "]";
    }
}
