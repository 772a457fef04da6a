package dev.lifeboat.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lifeboat.base.SignalNames;
import dev.lifeboat.base.Log;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Sizes;
import dev.lifeboat.spi.UploaderFactory;
import dev.lifeboat.spi.WholeNumbers;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.PatternSyntaxException;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Builds {@link LifeboatConfig} from flags, the environment and a YAML file, with the precedence
 * flag &gt; environment &gt; file &gt; default, and validates every value. Each error names the key and
 * where its value came from.
 */
public final class ConfigLoader {
    public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofSeconds(10);
    public static final String DEFAULT_RUN_ID = "{hostname}/{start}-{random}";
    public static final int DEFAULT_CONCURRENCY = 8;
    public static final int DEFAULT_RETRIES = 2;
    public static final long DEFAULT_OUTPUT_LIMIT = 64L << 20;
    public static final Duration DEFAULT_SHIP_INTERVAL = Duration.ofMinutes(1);
    /** The shortest interval between rounds: shorter ones would spend the child's CPU on requests. */
    static final Duration MIN_SHIP_INTERVAL = Duration.ofMillis(100);
    public static final String CONFIG_ENV = "LIFEBOAT_CONFIG";
    private static final String SET_KEY = "set";

    private final UploaderRegistry registry;
    private final Map<String, String> environment;
    private final List<String> warnings = new ArrayList<>();

    public ConfigLoader(UploaderRegistry registry, Map<String, String> environment) {
        this.registry = registry;
        this.environment = environment;
    }

    /** What the last {@link #load} found worth a warning but not an error, one line each. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** A value and where it came from, e.g. {@code "--logs"}, {@code "LIFEBOAT_LOGS"}, {@code "app.yaml"}. */
    private record Value(Object value, String source) {
        String text() {
            return String.valueOf(value);
        }

        @SuppressWarnings("unchecked")
        List<String> list() {
            return value instanceof List ? (List<String>) value : List.of(String.valueOf(value));
        }
    }

    /**
     * @param flags values given as flags (a String, or a List of Strings for list keys)
     * @param sets {@code --set KEY=VALUE} arguments
     * @param configFile {@code --config}, or null to use {@code LIFEBOAT_CONFIG} if set
     * @param requireDestination whether a destination must be given (not for {@code plugins})
     */
    public LifeboatConfig load(Map<ConfigKey, Object> flags, List<String> sets, Path configFile,
            boolean requireDestination) throws ConfigException {
        warnings.clear();
        Map<ConfigKey, Value> values = new LinkedHashMap<>();
        Map<String, Value> options = new TreeMap<>();

        Path file = configFile;
        String fileSource = "--config";
        if (file == null && environment.get(CONFIG_ENV) != null && !environment.get(CONFIG_ENV).isBlank()) {
            file = Path.of(environment.get(CONFIG_ENV));
            fileSource = CONFIG_ENV;
        }
        if (file != null) {
            readFile(file, fileSource, values, options);
        }
        for (ConfigKey key : ConfigKey.values()) {
            String env = environment.get(key.environmentVariable());
            if (env != null && !env.isEmpty()) {
                values.put(key, new Value(key.isList() ? splitComma(env) : env, key.environmentVariable()));
            }
        }
        for (Map.Entry<ConfigKey, Object> flag : flags.entrySet()) {
            if (flag.getValue() != null && !(flag.getValue() instanceof List && ((List<?>) flag.getValue()).isEmpty())) {
                values.put(flag.getKey(), new Value(flag.getValue(), flag.getKey().flag()));
            }
        }

        URI destination = null;
        Value dest = values.get(ConfigKey.DESTINATION);
        if (dest != null) {
            destination = parseDestination(dest);
        } else if (requireDestination) {
            throw new ConfigException("no destination: give --destination URI (or LIFEBOAT_DESTINATION, or "
                    + "'destination' in the config file), e.g. file:///archive; schemes found: " + registry.schemes());
        }

        UploaderFactory factory = destination == null ? null : factoryFor(destination, dest.source());
        checkEnvironment();
        if (factory != null) {
            // environment: LIFEBOAT_<SCHEME>_<KEY> for each key the uploader declares
            for (String key : factory.optionKeys()) {
                if (key.endsWith(".")) {
                    continue;
                }
                String full = factory.optionPrefix() + "." + key;
                String env = environment.get(ConfigKey.environmentVariable(full));
                if (env != null && !env.isEmpty()) {
                    options.put(full, new Value(env, ConfigKey.environmentVariable(full)));
                }
            }
        }
        for (String set : sets) {
            int eq = set.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set '" + set + "': expected KEY=VALUE, e.g. --set s3.region=eu-west-1");
            }
            options.put(set.substring(0, eq).trim(), new Value(set.substring(eq + 1), "--set"));
        }

        Duration grace = duration(values.get(ConfigKey.GRACE_PERIOD), DEFAULT_GRACE_PERIOD);
        if (grace.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException(source(values, ConfigKey.GRACE_PERIOD) + ": the grace period must be at least 1s, got "
                    + Durations.format(grace));
        }
        Duration childTimeout = duration(values.get(ConfigKey.CHILD_TIMEOUT), grace.dividedBy(2));
        if (childTimeout.compareTo(grace) >= 0) {
            throw new ConfigException(source(values, ConfigKey.CHILD_TIMEOUT) + ": the child timeout ("
                    + Durations.format(childTimeout) + ") must be shorter than the grace period (" + Durations.format(grace)
                    + "), or nothing is left for shipping");
        }
        Duration shipInterval = duration(values.get(ConfigKey.SHIP_INTERVAL), DEFAULT_SHIP_INTERVAL);
        if (!shipInterval.isZero() && shipInterval.compareTo(MIN_SHIP_INTERVAL) < 0) {
            throw new ConfigException(source(values, ConfigKey.SHIP_INTERVAL) + ": the ship interval must be 0 (ship at "
                    + "the end only) or at least " + Durations.format(MIN_SHIP_INTERVAL) + ", got "
                    + Durations.format(shipInterval));
        }
        String runId = text(values.get(ConfigKey.RUN_ID), DEFAULT_RUN_ID);
        try {
            RunId.validate(runId, environment);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source(values, ConfigKey.RUN_ID) + ": " + e.getMessage());
        }
        int concurrency = integer(values.get(ConfigKey.CONCURRENCY), DEFAULT_CONCURRENCY, 1, 256);
        int retries = integer(values.get(ConfigKey.RETRIES), DEFAULT_RETRIES, 0, 100);
        long outputLimit = size(values.get(ConfigKey.OUTPUT_LIMIT), DEFAULT_OUTPUT_LIMIT);
        boolean processGroup = bool(values.get(ConfigKey.PROCESS_GROUP), false);
        boolean followSymlinks = bool(values.get(ConfigKey.FOLLOW_SYMLINKS), false);
        boolean strict = bool(values.get(ConfigKey.STRICT), false);
        Path spool = Path.of(text(values.get(ConfigKey.SPOOL_DIR), Path.of(temporaryDirectory(), "lifeboat").toString()));
        if (values.containsKey(ConfigKey.PLUGINS) && values.get(ConfigKey.PLUGINS).text().isBlank()) {
            throw new ConfigException(source(values, ConfigKey.PLUGINS) + ": an empty plugin directory");
        }
        Log.Format logFormat = Log.Format.PLAIN;
        if (values.containsKey(ConfigKey.LOG_FORMAT)) {
            try {
                logFormat = Log.Format.parse(values.get(ConfigKey.LOG_FORMAT).text());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source(values, ConfigKey.LOG_FORMAT) + ": " + e.getMessage());
            }
        }
        Integer exitCodeOnLoss = values.containsKey(ConfigKey.EXIT_CODE_ON_LOSS)
                ? integer(values.get(ConfigKey.EXIT_CODE_ON_LOSS), 0, 1, 255) : null;
        List<String> logs = values.containsKey(ConfigKey.LOGS) ? values.get(ConfigKey.LOGS).list() : List.of();
        for (String glob : logs) {
            if (glob.isBlank()) {
                throw new ConfigException(source(values, ConfigKey.LOGS) + ": an empty glob");
            }
            try {
                if (glob.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{')) {
                    FileSystems.getDefault().getPathMatcher("glob:" + glob); // a literal path is taken as it is
                }
            } catch (PatternSyntaxException e) {
                throw new ConfigException(source(values, ConfigKey.LOGS) + ": '" + glob + "' is not a valid glob: "
                        + e.getDescription());
            }
        }

        StopSignals signals = stopSignals(values);

        Map<String, String> uploaderOptions = factory == null ? Map.of() : uploaderOptions(factory, destination, options);
        return new LifeboatConfig(destination, List.copyOf(logs), grace, childTimeout, runId, uploaderOptions, concurrency,
                retries, outputLimit, processGroup, followSymlinks, spool, shipInterval, signals, strict, logFormat,
                exitCodeOnLoss);
    }

    private StopSignals stopSignals(Map<ConfigKey, Value> values) throws ConfigException {
        int suspendResume = SignalNames.suspendResume(environment.get(SignalNames.SUSPEND_RESUME_VARIABLE));
        Value stop = values.get(ConfigKey.STOP_SIGNAL);
        Value rewrites = values.get(ConfigKey.REWRITE_SIGNAL);
        Set<Integer> stops;
        try {
            stops = StopSignals.parseStop(stop == null ? List.of() : stop.list(), suspendResume);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(stop.source() + " " + e.getMessage());
        }
        try {
            return new StopSignals(stops, StopSignals.parseRewrites(rewrites == null ? List.of() : rewrites.list(),
                    suspendResume));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(rewrites.source() + " " + e.getMessage());
        }
    }

    /** {@code $TMPDIR} when set, as the README says, else the JVM's temporary directory. */
    private String temporaryDirectory() {
        String tmp = environment.get("TMPDIR");
        return tmp == null || tmp.isBlank() ? System.getProperty("java.io.tmpdir") : tmp;
    }

    /**
     * The plugin directory, read before the rest (the uploaders it holds decide which options exist):
     * {@code --plugins}, then {@code LIFEBOAT_PLUGINS}, then {@code plugins} in the config file, then
     * {@code fallback}.
     */
    public static Path pluginsDirectory(Path flag, Path configFile, Map<String, String> environment, Path fallback) {
        if (flag != null) {
            return flag;
        }
        String env = environment.get(ConfigKey.PLUGINS.environmentVariable());
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path file = configFile;
        if (file == null && environment.get(CONFIG_ENV) != null && !environment.get(CONFIG_ENV).isBlank()) {
            file = Path.of(environment.get(CONFIG_ENV));
        }
        if (file != null && Files.isReadable(file)) {
            JsonNode root;
            try {
                root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
            } catch (IOException e) {
                return fallback; // reported by load(), with the file's line and column
            }
            JsonNode plugins = root == null ? null : root.get(ConfigKey.PLUGINS.key());
            if (plugins != null && plugins.isValueNode() && !plugins.asText().isBlank()) {
                return Path.of(plugins.asText());
            }
        }
        return fallback;
    }

    /**
     * Every {@code LIFEBOAT_*} variable is one of Lifeboat's. One a letter or two away from a known name
     * is a typo and an error, since ignoring it would silently drop a setting (a grace period, the
     * destination). One near no known name is only warned about: the environment of a container is shared
     * with the child and other tools, and a newer Lifeboat's variable must not keep an older one from
     * starting the child.
     */
    private void checkEnvironment() throws ConfigException {
        java.util.Set<String> known = new java.util.TreeSet<>(List.of(CONFIG_ENV, "LIFEBOAT_JAVA", "LIFEBOAT_JAVA_OPTS",
                "LIFEBOAT_JAR")); // the last three: bin/lifeboat's
        List<String> prefixes = new ArrayList<>();
        for (ConfigKey k : ConfigKey.values()) {
            known.add(k.environmentVariable());
        }
        for (String scheme : registry.schemes()) {
            UploaderFactory f = registry.find(scheme);
            for (String key : f.optionKeys()) {
                String variable = ConfigKey.environmentVariable(f.optionPrefix() + "." + key);
                if (key.endsWith(".")) {
                    prefixes.add(variable);
                } else {
                    known.add(variable);
                }
            }
        }
        for (String name : new java.util.TreeSet<>(environment.keySet())) {
            if (!name.startsWith("LIFEBOAT_") || known.contains(name) || prefixes.stream().anyMatch(name::startsWith)) {
                continue;
            }
            String closest = Suggestions.closest(name, known);
            if (Suggestions.isTypo(name.substring("LIFEBOAT_".length()), closest.substring("LIFEBOAT_".length()))) {
                throw new ConfigException(name + ": unknown environment variable; did you mean " + closest + "?");
            }
            warnings.add(name + ": not a Lifeboat variable, ignored (the closest is " + closest + ")");
        }
    }

    private UploaderFactory factoryFor(URI destination, String source) throws ConfigException {
        UploaderFactory factory = registry.find(destination.getScheme());
        if (factory == null) {
            throw new ConfigException(source + ": no uploader for the scheme '" + destination.getScheme() + "' in '"
                    + destination + "'; schemes found: " + String.join(", ", registry.schemes()));
        }
        return factory;
    }

    private Map<String, String> uploaderOptions(UploaderFactory factory, URI destination, Map<String, Value> options)
            throws ConfigException {
        String prefix = factory.optionPrefix() + ".";
        Set<String> keys = factory.optionKeys();
        Map<String, String> result = new TreeMap<>();
        Map<String, String> sources = new TreeMap<>();
        for (Map.Entry<String, Value> e : options.entrySet()) {
            String full = e.getKey();
            int dot = full.indexOf('.');
            if (dot <= 0) {
                throw new ConfigException(e.getValue().source() + ": unknown option '" + full + "'; uploader options read "
                        + "<scheme>.<key>, e.g. " + prefix + (keys.isEmpty() ? "key" : keys.iterator().next()));
            }
            String optionPrefix = full.substring(0, dot);
            if (!optionPrefix.equals(factory.optionPrefix())) {
                if (registry.optionPrefixes().contains(optionPrefix)) {
                    continue; // another installed uploader's option: a shared config file may hold several
                }
                throw new ConfigException(e.getValue().source() + ": unknown key '" + full + "': no uploader takes options '"
                        + optionPrefix + ".*'; option prefixes found: " + String.join(", ", registry.optionPrefixes()));
            }
            String key = full.substring(prefix.length());
            if (!accepts(keys, key)) {
                throw new ConfigException(e.getValue().source() + ": unknown option '" + full + "' for the " + factory.scheme()
                        + " uploader; known: " + known(prefix, keys));
            }
            result.put(key, e.getValue().text());
            sources.put(key, e.getValue().source());
        }
        try {
            factory.validate(destination, result);
        } catch (InvalidOptionException e) {
            if (e.key() == null) {
                throw new ConfigException("destination '" + destination + "': " + e.getMessage());
            }
            String where = sources.get(e.key());
            throw new ConfigException((where == null ? "" : where + (where.equals("--set") ? " " : ": ")) + prefix + e.key()
                    + ": " + e.getMessage());
        } catch (RuntimeException e) {
            throw new ConfigException("the " + factory.scheme() + " uploader rejected its options: " + e);
        }
        return Map.copyOf(result);
    }

    private static boolean accepts(Set<String> keys, String key) {
        if (keys.contains(key)) {
            return true;
        }
        for (String k : keys) {
            if (k.endsWith(".") && key.startsWith(k) && key.length() > k.length()) {
                return true;
            }
        }
        return false;
    }

    private static String known(String prefix, Set<String> keys) {
        List<String> list = new ArrayList<>();
        for (String k : new TreeMap<String, Boolean>(Map.copyOf(toMap(keys))).keySet()) {
            list.add(prefix + k + (k.endsWith(".") ? "*" : ""));
        }
        return list.isEmpty() ? "(none)" : String.join(", ", list);
    }

    private static Map<String, Boolean> toMap(Set<String> keys) {
        Map<String, Boolean> m = new TreeMap<>();
        keys.forEach(k -> m.put(k, true));
        return m;
    }

    private static URI parseDestination(Value value) throws ConfigException {
        String text = value.text().trim();
        URI uri;
        try {
            uri = new URI(text);
            dev.lifeboat.base.Redact.remember(uri);
        } catch (URISyntaxException e) {
            throw new ConfigException(value.source() + ": '" + text + "' is not a URI: " + e.getReason());
        }
        if (uri.getScheme() == null) {
            throw new ConfigException(value.source() + ": '" + text + "' has no scheme; write e.g. file://" + (text.startsWith("/") ? text : "/archive")
                    + ", s3://bucket/prefix, hdfs://namenode:8020/logs");
        }
        return uri;
    }

    private void readFile(Path file, String fileSource, Map<ConfigKey, Value> values, Map<String, Value> options)
            throws ConfigException {
        String where = file.toString();
        JsonNode root;
        try {
            byte[] bytes = Files.readAllBytes(file);
            root = new ObjectMapper(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .readTree(bytes);
        } catch (NoSuchFileException e) {
            throw new ConfigException(fileSource + ": the config file " + where + " does not exist");
        } catch (AccessDeniedException e) {
            throw new ConfigException(fileSource + ": the config file " + where + " cannot be read: permission denied");
        } catch (JsonProcessingException e) {
            throw new ConfigException(yamlError(where, e));
        } catch (IOException e) {
            throw new ConfigException(fileSource + ": cannot read the config file " + where + ": " + e.getMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return;
        }
        if (!root.isObject()) {
            throw new ConfigException(where + ": expected a mapping of keys to values at the top level");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode node = field.getValue();
            ConfigKey key = ConfigKey.byKey(name);
            if (key != null) {
                values.put(key, new Value(key.isList() ? stringList(where, name, node) : scalar(where, name, node), where + ": " + name));
            } else if (name.equals(SET_KEY) || registry.optionPrefixes().contains(name) || name.contains(".")) {
                String prefix = name.equals(SET_KEY) ? "" : name + ".";
                if (node.isObject()) {
                    flatten(where, prefix, node, options);
                } else if (!prefix.isEmpty() && name.contains(".")) {
                    options.put(name, new Value(scalar(where, name, node), where));
                } else {
                    throw new ConfigException(where + ": '" + name + "' must be a mapping of options");
                }
            } else {
                String closest = Suggestions.closest(name, knownTopLevel());
                throw new ConfigException(where + ": unknown key '" + name + "'"
                        + (Suggestions.isTypo(name, closest) ? " (did you mean '" + closest + "'?)" : "") + "; known: "
                        + String.join(", ", knownTopLevel()));
            }
        }
    }

    /**
     * One line: where the YAML parser found the problem and what it is. SnakeYAML's own message starts
     * with the context ("while parsing a flow sequence") and holds the problem further down; its
     * problem mark is the line to fix.
     */
    private static String yamlError(String where, JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null && m.getProblem() != null) {
            String context = m.getContext() == null ? ""
                    : " (" + m.getContext() + (m.getContextMark() == null ? "" : " from line " + (m.getContextMark().getLine() + 1))
                    + ")";
            return where + ":" + (m.getProblemMark().getLine() + 1) + ":" + (m.getProblemMark().getColumn() + 1)
                    + ": not valid YAML: " + firstLine(m.getProblem()) + context;
        }
        var loc = e.getLocation();
        return where + (loc == null ? "" : ":" + loc.getLineNr() + ":" + loc.getColumnNr()) + ": not valid YAML: "
                + firstLine(e.getOriginalMessage());
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("");
    }

    private static void flatten(String where, String prefix, JsonNode node, Map<String, Value> options) throws ConfigException {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = prefix + field.getKey();
            if (field.getValue().isObject()) {
                flatten(where, key + ".", field.getValue(), options);
            } else {
                options.put(key, new Value(scalar(where, key, field.getValue()), where));
            }
        }
    }

    private List<String> knownTopLevel() {
        List<String> names = new ArrayList<>();
        for (ConfigKey k : ConfigKey.values()) {
            names.add(k.key());
        }
        names.add(SET_KEY);
        names.addAll(registry.optionPrefixes());
        return names;
    }

    private static String scalar(String where, String key, JsonNode node) throws ConfigException {
        if (!node.isValueNode() || node.isNull()) {
            throw new ConfigException(where + ": '" + key + "' must be a single value");
        }
        return node.asText();
    }

    private static List<String> stringList(String where, String key, JsonNode node) throws ConfigException {
        if (node.isValueNode()) {
            return List.of(scalar(where, key, node));
        }
        if (!node.isArray()) {
            throw new ConfigException(where + ": '" + key + "' must be a list");
        }
        List<String> list = new ArrayList<>();
        for (JsonNode item : node) {
            list.add(scalar(where, key, item));
        }
        return list;
    }

    private static List<String> splitComma(String text) {
        List<String> list = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                list.add(part.trim());
            }
        }
        return list;
    }

    private static String source(Map<ConfigKey, Value> values, ConfigKey key) {
        Value v = values.get(key);
        return v == null ? key.flag() : v.source();
    }

    private static String text(Value value, String fallback) {
        return value == null ? fallback : value.text();
    }

    private static Duration duration(Value value, Duration fallback) throws ConfigException {
        if (value == null) {
            return fallback;
        }
        try {
            return Durations.parse(value.text());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(describe(value) + ": " + e.getMessage());
        }
    }

    private static int integer(Value value, int fallback, int min, int max) throws ConfigException {
        if (value == null) {
            return fallback;
        }
        try {
            return (int) WholeNumbers.parse(value.text(), min, max);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(describe(value) + ": " + e.getMessage());
        }
    }

    private static long size(Value value, long fallback) throws ConfigException {
        if (value == null) {
            return fallback;
        }
        try {
            long n = Sizes.parse(value.text());
            if (n < 1024) {
                throw new ConfigException(describe(value) + ": at least 1KiB, got " + n + " bytes");
            }
            return n;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ConfigException(describe(value) + ": " + e.getMessage());
        }
    }

    private static boolean bool(Value value, boolean fallback) throws ConfigException {
        if (value == null) {
            return fallback;
        }
        switch (value.text().trim().toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
            case "1":
                return true;
            case "false":
            case "no":
            case "0":
                return false;
            default:
                throw new ConfigException(describe(value) + ": expected true or false, got '" + value.text() + "'");
        }
    }

    /** Where a value came from: {@code "--flag"}, {@code "LIFEBOAT_X"} or {@code "file.yaml: key"}. */
    private static String describe(Value value) {
        return value.source();
    }
}
