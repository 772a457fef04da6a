package dev.lifeboat.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.plugin.UploaderRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestConfigLoader {
    private static final String DEST = "file:///archive";

    @TempDir
    Path dir;

    private UploaderRegistry registry;
    private final Map<String, String> env = new HashMap<>();
    private final Map<ConfigKey, Object> flags = new LinkedHashMap<>();
    private final List<String> sets = new java.util.ArrayList<>();
    private Path configFile;

    @BeforeEach
    void loadRegistry() throws Exception {
        registry = UploaderRegistry.load(getClass().getClassLoader());
        assertTrue(registry.schemes().contains("file"), "the built-in file uploader is found: " + registry.schemes());
    }

    private LifeboatConfig load() throws ConfigException {
        return new ConfigLoader(registry, env).load(flags, sets, configFile, true);
    }

    /** Loads expecting an error; its message is one line and contains every fragment. */
    private String error(String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, this::load);
        String message = e.getMessage();
        assertFalse(message.contains("\n") || message.contains("\r"), "one line: " + message);
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "'" + fragment + "' in: " + message);
        }
        return message;
    }

    private Path yaml(String text) throws IOException {
        configFile = Files.writeString(dir.resolve("lifeboat.yaml"), text);
        return configFile;
    }

    // ---- defaults

    @Test
    void everyDefault() throws Exception {
        flags.put(ConfigKey.DESTINATION, DEST);
        LifeboatConfig c = load();
        assertEquals(URI.create(DEST), c.destination());
        assertEquals("file", c.scheme());
        assertEquals(List.of(), c.logs());
        assertEquals(Duration.ofSeconds(10), c.gracePeriod());
        assertEquals(Duration.ofSeconds(5), c.childTimeout());
        assertEquals("{hostname}/{start}-{random}", c.runIdTemplate());
        assertEquals(Map.of(), c.uploaderOptions());
        assertEquals(8, c.concurrency());
        assertEquals(2, c.retries());
        assertEquals(64L * 1024 * 1024, c.outputLimit());
        assertFalse(c.processGroup());
        assertFalse(c.followSymlinks());
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "lifeboat"), c.spoolDirectory());
        assertEquals(Duration.ofMinutes(1), c.shipInterval());
    }

    @Test
    void shipIntervalZeroTurnsRoundsOffAndTooShortIsRefused() throws Exception {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.SHIP_INTERVAL, "0");
        assertEquals(Duration.ZERO, load().shipInterval());
        flags.remove(ConfigKey.SHIP_INTERVAL);
        env.put("LIFEBOAT_SHIP_INTERVAL", "30s");
        assertEquals(Duration.ofSeconds(30), load().shipInterval());
        flags.put(ConfigKey.SHIP_INTERVAL, "50ms");
        ConfigException e = assertThrows(ConfigException.class, this::load);
        assertEquals("--ship-interval: the ship interval must be 0 (ship at the end only) or at least 100ms, got 50ms",
                e.getMessage());
    }

    @Test
    void childTimeoutDefaultsToHalfTheGracePeriod() throws Exception {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.GRACE_PERIOD, "30s");
        assertEquals(Duration.ofSeconds(15), load().childTimeout());
        flags.put(ConfigKey.GRACE_PERIOD, "3s");
        assertEquals(Duration.ofMillis(1500), load().childTimeout());
    }

    @Test
    void everyKeyFromFlags() throws Exception {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.LOGS, List.of("/var/log/*.log", "app.log"));
        flags.put(ConfigKey.GRACE_PERIOD, "25s");
        flags.put(ConfigKey.CHILD_TIMEOUT, "20s");
        flags.put(ConfigKey.RUN_ID, "{env:POD}/{start}");
        flags.put(ConfigKey.CONCURRENCY, "12");
        flags.put(ConfigKey.RETRIES, "0");
        flags.put(ConfigKey.OUTPUT_LIMIT, "1MiB");
        flags.put(ConfigKey.PROCESS_GROUP, "true");
        flags.put(ConfigKey.FOLLOW_SYMLINKS, "yes");
        flags.put(ConfigKey.SPOOL_DIR, dir.toString());
        env.put("POD", "p");
        LifeboatConfig c = load();
        assertEquals(List.of("/var/log/*.log", "app.log"), c.logs());
        assertEquals(Duration.ofSeconds(25), c.gracePeriod());
        assertEquals(Duration.ofSeconds(20), c.childTimeout());
        assertEquals("{env:POD}/{start}", c.runIdTemplate());
        assertEquals(12, c.concurrency());
        assertEquals(0, c.retries());
        assertEquals(1L << 20, c.outputLimit());
        assertTrue(c.processGroup());
        assertTrue(c.followSymlinks());
        assertEquals(dir, c.spoolDirectory());
    }

    @Test
    void noDestinationIsFineWhenNotRequired() throws Exception {
        LifeboatConfig c = new ConfigLoader(registry, env).load(flags, sets, null, false);
        assertNull(c.destination());
        assertEquals(Map.of(), c.uploaderOptions());
    }

    // ---- precedence: flag > environment > file > default

    @Test
    void precedenceForACoreKey() throws Exception {
        yaml("destination: file:///from-file\ngrace-period: 30s\nlogs: [/file.log]\n");
        env.put("LIFEBOAT_GRACE_PERIOD", "20s");
        env.put("LIFEBOAT_DESTINATION", "file:///from-env");
        env.put("LIFEBOAT_LOGS", "/env.log");
        flags.put(ConfigKey.GRACE_PERIOD, "15s");
        flags.put(ConfigKey.DESTINATION, "file:///from-flag");
        flags.put(ConfigKey.LOGS, List.of("/flag.log"));
        LifeboatConfig c = load();
        assertEquals(Duration.ofSeconds(15), c.gracePeriod());
        assertEquals(URI.create("file:///from-flag"), c.destination());
        assertEquals(List.of("/flag.log"), c.logs());

        flags.clear();
        c = load();
        assertEquals(Duration.ofSeconds(20), c.gracePeriod());
        assertEquals(URI.create("file:///from-env"), c.destination());
        assertEquals(List.of("/env.log"), c.logs());

        env.clear();
        c = load();
        assertEquals(Duration.ofSeconds(30), c.gracePeriod());
        assertEquals(URI.create("file:///from-file"), c.destination());
        assertEquals(List.of("/file.log"), c.logs());

        configFile = null;
        flags.put(ConfigKey.DESTINATION, DEST);
        assertEquals(Duration.ofSeconds(10), load().gracePeriod());
    }

    @Test
    void anEmptyListFlagOrEmptyVariableDoesNotOverride() throws Exception {
        yaml("destination: " + DEST + "\nlogs: [/file.log]\ngrace-period: 30s\n");
        env.put("LIFEBOAT_GRACE_PERIOD", "");
        flags.put(ConfigKey.LOGS, List.of());
        LifeboatConfig c = load();
        assertEquals(List.of("/file.log"), c.logs());
        assertEquals(Duration.ofSeconds(30), c.gracePeriod());
    }

    @Test
    void precedenceForAnUploaderOption() throws Exception {
        yaml("destination: " + DEST + "\nfile:\n  fsync: true\n");
        env.put("LIFEBOAT_FILE_FSYNC", "false");
        sets.add("file.fsync=true");
        assertEquals(Map.of("fsync", "true"), load().uploaderOptions());
        sets.clear();
        assertEquals(Map.of("fsync", "false"), load().uploaderOptions());
        env.clear();
        assertEquals(Map.of("fsync", "true"), load().uploaderOptions());
        configFile = null;
        flags.put(ConfigKey.DESTINATION, DEST);
        assertEquals(Map.of(), load().uploaderOptions());
    }

    @Test
    void anEmptyOptionVariableDoesNotOverrideLikeTheCoreKeys() throws Exception {
        yaml("destination: " + DEST + "\nfile:\n  fsync: false\n");
        env.put("LIFEBOAT_FILE_FSYNC", "");
        assertEquals(Map.of("fsync", "false"), load().uploaderOptions());
    }

    // ---- the forms a value can take

    @Test
    void yamlListsAndNestedOptions() throws Exception {
        yaml("destination: " + DEST + "\n"
                + "logs:\n  - /var/log/app/*.log\n  - /var/log/**/*.err\n"
                + "grace-period: 20s\nchild-timeout: 12s\nrun-id: fixed/{start}\nconcurrency: 2\nretries: 5\n"
                + "output-limit: 2MiB\nprocess-group: true\nfollow-symlinks: true\nspool-dir: /var/spool/lb\n"
                + "file:\n  fsync: false\n");
        LifeboatConfig c = load();
        assertEquals(List.of("/var/log/app/*.log", "/var/log/**/*.err"), c.logs());
        assertEquals(Duration.ofSeconds(20), c.gracePeriod());
        assertEquals(Duration.ofSeconds(12), c.childTimeout());
        assertEquals("fixed/{start}", c.runIdTemplate());
        assertEquals(2, c.concurrency());
        assertEquals(5, c.retries());
        assertEquals(2L << 20, c.outputLimit());
        assertTrue(c.processGroup());
        assertTrue(c.followSymlinks());
        assertEquals(Path.of("/var/spool/lb"), c.spoolDirectory());
        assertEquals(Map.of("fsync", "false"), c.uploaderOptions());
    }

    @Test
    void yamlSingleLogIsAList() throws Exception {
        yaml("destination: " + DEST + "\nlogs: /var/log/one.log\n");
        assertEquals(List.of("/var/log/one.log"), load().logs());
    }

    @Test
    void yamlFlatOptionKey() throws Exception {
        yaml("destination: " + DEST + "\nfile.fsync: false\n");
        assertEquals(Map.of("fsync", "false"), load().uploaderOptions());
    }

    @Test
    void yamlSetMap() throws Exception {
        yaml("destination: " + DEST + "\nset:\n  file.fsync: \"false\"\n");
        assertEquals(Map.of("fsync", "false"), load().uploaderOptions());
        yaml("destination: " + DEST + "\nset:\n  file:\n    fsync: false\n");
        assertEquals(Map.of("fsync", "false"), load().uploaderOptions());
    }

    @Test
    void anEmptyFileIsNoConfiguration() throws Exception {
        yaml("# nothing here\n");
        flags.put(ConfigKey.DESTINATION, DEST);
        assertEquals(Duration.ofSeconds(10), load().gracePeriod());
    }

    @Test
    void logsFromTheEnvironmentAreCommaSeparated() throws Exception {
        flags.put(ConfigKey.DESTINATION, DEST);
        env.put("LIFEBOAT_LOGS", "/var/log/a.log, /var/log/b/*.log,,app/**/*.log ");
        assertEquals(List.of("/var/log/a.log", "/var/log/b/*.log", "app/**/*.log"), load().logs());
    }

    @Test
    void everyCoreKeyFromTheEnvironment() throws Exception {
        env.put("LIFEBOAT_DESTINATION", DEST);
        env.put("LIFEBOAT_GRACE_PERIOD", "40s");
        env.put("LIFEBOAT_CHILD_TIMEOUT", "30s");
        env.put("LIFEBOAT_RUN_ID", "r/{pid}");
        env.put("LIFEBOAT_CONCURRENCY", "16");
        env.put("LIFEBOAT_RETRIES", "1");
        env.put("LIFEBOAT_OUTPUT_LIMIT", "4KiB");
        env.put("LIFEBOAT_PROCESS_GROUP", "1");
        env.put("LIFEBOAT_FOLLOW_SYMLINKS", "true");
        env.put("LIFEBOAT_SPOOL_DIR", "/spool");
        LifeboatConfig c = load();
        assertEquals(URI.create(DEST), c.destination());
        assertEquals(Duration.ofSeconds(40), c.gracePeriod());
        assertEquals(Duration.ofSeconds(30), c.childTimeout());
        assertEquals("r/{pid}", c.runIdTemplate());
        assertEquals(16, c.concurrency());
        assertEquals(1, c.retries());
        assertEquals(4096, c.outputLimit());
        assertTrue(c.processGroup());
        assertTrue(c.followSymlinks());
        assertEquals(Path.of("/spool"), c.spoolDirectory());
    }

    @Test
    void theConfigFileFromTheEnvironment() throws Exception {
        Path file = Files.writeString(dir.resolve("env.yaml"), "destination: " + DEST + "\ngrace-period: 33s\n");
        env.put("LIFEBOAT_CONFIG", file.toString());
        assertEquals(Duration.ofSeconds(33), load().gracePeriod());
        // --config wins over LIFEBOAT_CONFIG
        yaml("destination: " + DEST + "\ngrace-period: 44s\n");
        assertEquals(Duration.ofSeconds(44), load().gracePeriod());
    }

    @Test
    void optionsOfAnotherInstalledUploaderAreLeftAlone() throws Exception {
        UploaderRegistry two = UploaderRegistry.of(List.of(new dev.lifeboat.uploader.file.FileUploaderFactory(),
                new OtherFactory()));
        flags.put(ConfigKey.DESTINATION, DEST);
        sets.add("other.region=x");
        LifeboatConfig c = new ConfigLoader(two, env).load(flags, sets, null, true);
        assertEquals(Map.of(), c.uploaderOptions());
    }

    /** A second scheme, for a config file shared by several uploaders. */
    private static final class OtherFactory implements dev.lifeboat.spi.UploaderFactory {
        @Override
        public String scheme() {
            return "other";
        }

        @Override
        public java.util.Set<String> optionKeys() {
            return java.util.Set.of("region");
        }

        @Override
        public dev.lifeboat.spi.Uploader create(URI destination, Map<String, String> options,
                dev.lifeboat.spi.UploaderContext context) {
            throw new UnsupportedOperationException();
        }
    }

    // ---- errors: one line, naming the key or value and where it came from

    @Test
    void unknownTopLevelKeyInTheFile() throws Exception {
        Path file = yaml("destination: " + DEST + "\ncolour: red\n");
        error(file.toString(), "unknown key 'colour'", "known: destination", "grace-period", "file");
    }

    @Test
    void badDurationFromAFlag() {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.GRACE_PERIOD, "10x");
        error("--grace-period", "'10x'", "not a duration");
    }

    @Test
    void badDurationFromTheEnvironment() {
        flags.put(ConfigKey.DESTINATION, DEST);
        env.put("LIFEBOAT_CHILD_TIMEOUT", "soon");
        error("LIFEBOAT_CHILD_TIMEOUT", "'soon'", "not a duration");
    }

    @Test
    void badDurationFromTheFile() throws Exception {
        Path file = yaml("destination: " + DEST + "\ngrace-period: ten seconds\n");
        error(file.toString(), "grace-period", "'ten seconds'", "not a duration");
    }

    @Test
    void unknownSchemeListsTheSchemesFound() {
        flags.put(ConfigKey.DESTINATION, "ftp://host/logs");
        error("--destination", "'ftp'", "ftp://host/logs", "schemes found: file");
    }

    @Test
    void unknownSchemeFromTheEnvironment() {
        env.put("LIFEBOAT_DESTINATION", "nope://bucket");
        error("LIFEBOAT_DESTINATION", "'nope'", "schemes found: file");
    }

    @Test
    void unknownUploaderOptionListsTheKnownOnes() {
        flags.put(ConfigKey.DESTINATION, DEST);
        sets.add("file.fsnyc=true");
        error("--set", "'file.fsnyc'", "known: file.fsync");
    }

    @Test
    void unknownUploaderOptionInTheFile() throws Exception {
        Path file = yaml("destination: " + DEST + "\nfile:\n  sync: true\n");
        error(file.toString(), "'file.sync'", "known: file.fsync");
    }

    @Test
    void optionWithoutScheme() {
        flags.put(ConfigKey.DESTINATION, DEST);
        sets.add("fsync=true");
        error("--set", "'fsync'", "<scheme>.<key>", "file.fsync");
    }

    @Test
    void optionOfAnUninstalledUploader() throws Exception {
        Path file = yaml("destination: " + DEST + "\ns3.region: eu-west-1\n");
        error(file.toString(), "'s3.region'", "no uploader takes options 's3.*'", "option prefixes found: file");
    }

    @Test
    void badOptionValueFromSet() {
        flags.put(ConfigKey.DESTINATION, DEST);
        sets.add("file.fsync=maybe");
        error("--set", "file.fsync", "'maybe'");
    }

    @Test
    void badOptionValueFromTheEnvironment() {
        flags.put(ConfigKey.DESTINATION, DEST);
        env.put("LIFEBOAT_FILE_FSYNC", "maybe");
        error("LIFEBOAT_FILE_FSYNC", "file.fsync", "'maybe'");
    }

    @Test
    void badOptionValueFromTheFile() throws Exception {
        Path file = yaml("destination: " + DEST + "\nfile.fsync: maybe\n");
        error(file.toString(), "file.fsync", "'maybe'");
    }

    @Test
    void badDestinationForTheUploader() {
        flags.put(ConfigKey.DESTINATION, "file://host/archive");
        error("destination 'file://host/archive'", "no host");
    }

    @Test
    void childTimeoutMustBeShorterThanTheGracePeriod() {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.CHILD_TIMEOUT, "10s");
        error("--child-timeout", "(10s)", "grace period (10s)");
        flags.put(ConfigKey.GRACE_PERIOD, "5s");
        flags.put(ConfigKey.CHILD_TIMEOUT, "1m");
        error("--child-timeout", "(1m)", "(5s)");
    }

    @Test
    void childTimeoutFromTheFileAgainstTheGracePeriod() throws Exception {
        Path file = yaml("destination: " + DEST + "\nchild-timeout: 12s\n");
        error(file + ": child-timeout", "(12s)", "(10s)");
    }

    @Test
    void gracePeriodOfAtLeastOneSecond() {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.GRACE_PERIOD, "500ms");
        error("--grace-period", "at least 1s", "500ms");
        env.put("LIFEBOAT_GRACE_PERIOD", "0s");
        flags.remove(ConfigKey.GRACE_PERIOD);
        error("LIFEBOAT_GRACE_PERIOD", "at least 1s", "0s");
    }

    @Test
    void runIdWithAnUnknownPlaceholder() {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.RUN_ID, "{host}/{start}");
        error("--run-id", "{host}", "unknown placeholder");
    }

    @Test
    void runIdWithAMissingVariable() {
        flags.put(ConfigKey.DESTINATION, DEST);
        env.put("LIFEBOAT_RUN_ID", "{env:POD_NAME}/{start}");
        error("LIFEBOAT_RUN_ID", "POD_NAME is not set");
    }

    @Test
    void invalidYamlNamesTheLineAndTheProblem() throws Exception {
        Path file = yaml("destination: " + DEST + "\ngrace-period: 10s\nlogs: [/a.log, /b.log\nretries: 1\n");
        error(file + ":4:8: not valid YAML: expected ',' or ']'", "flow sequence from line 3");
    }

    @Test
    void invalidYamlTabIndentation() throws Exception {
        Path file = yaml("destination: " + DEST + "\ngrace-period: 10s\n\tretries: 1\n");
        error(file + ":3:1: not valid YAML:", "cannot start any token");
    }

    @Test
    void invalidYamlUnterminatedQuote() throws Exception {
        Path file = yaml("destination: " + DEST + "\nrun-id: 'abc\n");
        error(file + ":3:", "not valid YAML", "end of stream", "quoted scalar from line 2");
    }

    @Test
    void aKeyGivenTwiceInTheFile() throws Exception {
        Path file = yaml("destination: " + DEST + "\nlogs: [/a.log]\ngrace-period: 10s\nlogs: [/b.log]\n");
        error(file + ":4:", "logs");
    }

    @Test
    void aTopLevelListIsNotAConfiguration() throws Exception {
        Path file = yaml("- destination\n- logs\n");
        error(file.toString(), "mapping");
    }

    @Test
    void aSchemeKeyMustHoldAMapping() throws Exception {
        Path file = yaml("destination: " + DEST + "\nfile: true\n");
        error(file.toString(), "'file'", "mapping");
    }

    @Test
    void aScalarKeyMustNotHoldAList() throws Exception {
        Path file = yaml("destination: [" + DEST + ", file:///b]\n");
        error(file.toString(), "'destination'", "single value");
    }

    @Test
    void missingConfigFile() {
        configFile = dir.resolve("missing.yaml");
        error("--config", configFile.toString(), "does not exist");
    }

    @Test
    void missingConfigFileFromTheEnvironment() {
        env.put("LIFEBOAT_CONFIG", dir.resolve("missing.yaml").toString());
        error("LIFEBOAT_CONFIG", dir.resolve("missing.yaml").toString(), "does not exist");
    }

    @Test
    void noDestination() {
        error("no destination", "--destination", "LIFEBOAT_DESTINATION", "file");
    }

    @Test
    void destinationWithoutScheme() {
        flags.put(ConfigKey.DESTINATION, "/archive");
        error("--destination", "'/archive'", "no scheme", "file:///archive");
    }

    @Test
    void destinationThatIsNotAUri() {
        flags.put(ConfigKey.DESTINATION, "file:///a b");
        error("--destination", "'file:///a b'", "not a URI");
    }

    @Test
    void setWithoutEquals() {
        flags.put(ConfigKey.DESTINATION, DEST);
        sets.add("file.fsync");
        error("--set 'file.fsync'", "KEY=VALUE");
        sets.set(0, "=true");
        error("--set '=true'", "KEY=VALUE");
    }

    @Test
    void numbersOutOfRangeOrNotNumbers() {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.CONCURRENCY, "0");
        error("--concurrency", "'0' is too small: at least 1");
        flags.put(ConfigKey.CONCURRENCY, "many");
        error("--concurrency", "'many'", "whole number");
        flags.remove(ConfigKey.CONCURRENCY);
        env.put("LIFEBOAT_RETRIES", "-1");
        error("LIFEBOAT_RETRIES", "'-1' is too small: at least 0");
    }

    @Test
    void badSizes() {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.OUTPUT_LIMIT, "12");
        error("--output-limit", "at least 1KiB");
        flags.put(ConfigKey.OUTPUT_LIMIT, "lots");
        error("--output-limit", "'lots'", "not a size");
        flags.put(ConfigKey.OUTPUT_LIMIT, "99999999999GiB");
        error("--output-limit", "'99999999999GiB'");
    }

    @Test
    void outputLimitSizesAreSiOrIecAndABareUnitLetterIsRefused() throws Exception {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.OUTPUT_LIMIT, "10MB");
        assertEquals(10_000_000, load().outputLimit());
        flags.put(ConfigKey.OUTPUT_LIMIT, "10MiB");
        assertEquals(10_485_760, load().outputLimit());
        flags.put(ConfigKey.OUTPUT_LIMIT, "10M");
        error("--output-limit", "'10M' is ambiguous: write 10MiB (2^20 bytes each) or 10MB (10^6 bytes each)");
        flags.remove(ConfigKey.OUTPUT_LIMIT);
        env.put("LIFEBOAT_OUTPUT_LIMIT", "64k");
        error("LIFEBOAT_OUTPUT_LIMIT", "'64k' is ambiguous");
    }

    @Test
    void badBooleans() throws Exception {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.PROCESS_GROUP, "maybe");
        error("--process-group", "'maybe'", "true or false");
        flags.remove(ConfigKey.PROCESS_GROUP);
        Path file = yaml("follow-symlinks: sometimes\n");
        error(file + ": follow-symlinks", "'sometimes'");
    }

    @Test
    void anEmptyGlob() throws Exception {
        Path file = yaml("destination: " + DEST + "\nlogs: ['/a.log', '']\n");
        error(file + ": logs", "empty glob");
    }

    @Test
    void aLiteralPathIsNotCheckedAsAGlob() throws Exception {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.LOGS, List.of("/var/log/odd\\"));
        assertEquals(List.of("/var/log/odd\\"), load().logs());
    }

    @Test
    void anInvalidGlobIsFoundBeforeTheChildStarts() throws Exception {
        flags.put(ConfigKey.DESTINATION, DEST);
        flags.put(ConfigKey.LOGS, List.of("/var/log/*.log", "/var/log/[app.log"));
        error("--logs", "'/var/log/[app.log'");
        flags.remove(ConfigKey.LOGS);
        Path file = yaml("destination: " + DEST + "\nlogs: ['/var/log/{a,{b}}.log']\n");
        error(file + ": logs", "'/var/log/{a,{b}}.log'", "not a valid glob");
    }
}
