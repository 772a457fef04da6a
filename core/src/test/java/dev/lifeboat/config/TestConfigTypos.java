package dev.lifeboat.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.base.Log;
import dev.lifeboat.plugin.UploaderRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Typos in the environment and the config file, every README option in YAML, {@code $TMPDIR}, numbers
 * too large, a regular file as a file destination, the log format and the exit code on loss.
 */
class TestConfigTypos {
    @TempDir
    Path dir;

    private UploaderRegistry registry;
    private final Map<String, String> env = new HashMap<>();
    private final Map<ConfigKey, Object> flags = new LinkedHashMap<>();
    private Path configFile;
    private ConfigLoader loader;

    @BeforeEach
    void loadRegistry() throws Exception {
        registry = UploaderRegistry.load(getClass().getClassLoader());
        flags.put(ConfigKey.DESTINATION, "file://" + dir.resolve("archive"));
    }

    private LifeboatConfig load() throws ConfigException {
        loader = new ConfigLoader(registry, env);
        return loader.load(flags, new ArrayList<>(), configFile, true);
    }

    private String error() {
        ConfigException e = assertThrows(ConfigException.class, this::load);
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    private void yaml(String text) throws IOException {
        configFile = Files.writeString(dir.resolve("lifeboat.yaml"), text);
    }

    @Test
    void aMistypedVariableIsAnErrorNamingTheClosestKey() {
        env.put("LIFEBOAT_GRACEPERIOD", "30s");
        assertEquals("LIFEBOAT_GRACEPERIOD: unknown environment variable; did you mean LIFEBOAT_GRACE_PERIOD?", error());
        env.clear();
        env.put("LIFEBOAT_DESTINATON", "file:///archive");
        assertEquals("LIFEBOAT_DESTINATON: unknown environment variable; did you mean LIFEBOAT_DESTINATION?", error());
        env.clear();
        env.put("LIFEBOAT_LOG", "/var/log/*.log");
        assertTrue(error().contains("did you mean LIFEBOAT_LOGS?"));
        env.clear();
        env.put("LIFEBOAT_FILE_FSINC", "false");
        assertTrue(error().contains("did you mean LIFEBOAT_FILE_FSYNC?"), "uploader options too");
    }

    @Test
    void aVariableNearNoKeyIsOnlyWarnedAbout() throws Exception {
        env.put("LIFEBOAT_COMPANY_TEAM", "ops");
        env.put("LIFEBOAT_JAVA_OPTS", "-Xmx64m"); // bin/lifeboat's own
        env.put("LIFEBOAT_GRACE_PERIOD", "30s");
        LifeboatConfig c = load();
        assertEquals(java.time.Duration.ofSeconds(30), c.gracePeriod());
        List<String> warnings = loader.warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("LIFEBOAT_COMPANY_TEAM: not a Lifeboat variable, ignored (the closest is "),
                warnings.get(0));
    }

    @Test
    void aMistypedYamlKeyNamesTheClosestKey() throws Exception {
        yaml("grase-period: 30s\n");
        String message = error();
        assertTrue(message.contains("unknown key 'grase-period' (did you mean 'grace-period'?); known: destination"), message);
        yaml("nothing-like-it: 1\n");
        assertFalse(error().contains("did you mean"));
    }

    @Test
    void yamlTakesEveryReadmeOption() throws Exception {
        Path archive = dir.resolve("archive");
        yaml("destination: file://" + archive + "\nlogs: [/var/log/a.log]\nship-interval: 0\ngrace-period: 20s\n"
                + "child-timeout: 5s\nrun-id: '{hostname}'\nconcurrency: 3\nretries: 1\noutput-limit: 1MiB\n"
                + "process-group: true\nfollow-symlinks: true\nspool-dir: " + dir + "\nplugins: " + dir.resolve("plugins")
                + "\nlog-format: json\nexit-code-on-loss: 3\nset: {file.fsync: false}\n");
        flags.clear();
        LifeboatConfig c = load();
        assertEquals(3, c.concurrency());
        assertEquals(Log.Format.JSON, c.logFormat());
        assertEquals(3, c.exitCodeOnLoss());
        assertEquals(dir.resolve("plugins"), ConfigLoader.pluginsDirectory(null, configFile, env, Path.of("/opt/lifeboat/plugins")));
    }

    @Test
    void pluginsDirectoryPrecedence() throws Exception {
        yaml("plugins: /from/file\n");
        Path fallback = Path.of("/opt/lifeboat/plugins");
        assertEquals(Path.of("/from/file"), ConfigLoader.pluginsDirectory(null, configFile, env, fallback));
        env.put("LIFEBOAT_PLUGINS", "/from/env");
        assertEquals(Path.of("/from/env"), ConfigLoader.pluginsDirectory(null, configFile, env, fallback));
        assertEquals(Path.of("/from/flag"), ConfigLoader.pluginsDirectory(Path.of("/from/flag"), configFile, env, fallback));
        env.clear();
        env.put("LIFEBOAT_CONFIG", configFile.toString());
        assertEquals(Path.of("/from/file"), ConfigLoader.pluginsDirectory(null, null, env, fallback));
        assertEquals(fallback, ConfigLoader.pluginsDirectory(null, null, Map.of(), fallback));
    }

    @Test
    void theSpoolDefaultsToTmpdir() throws Exception {
        env.put("TMPDIR", dir.resolve("tmp").toString());
        assertEquals(dir.resolve("tmp").resolve("lifeboat"), load().spoolDirectory());
        env.remove("TMPDIR");
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "lifeboat"), load().spoolDirectory());
    }

    @Test
    void numbersTooLargeSaySo() {
        flags.put(ConfigKey.CONCURRENCY, "99999999999999999999");
        assertEquals("--concurrency: '99999999999999999999' is too large: at most 256", error());
        flags.put(ConfigKey.CONCURRENCY, "257");
        assertEquals("--concurrency: '257' is too large: at most 256", error());
        flags.remove(ConfigKey.CONCURRENCY);
        env.put("LIFEBOAT_RETRIES", "2147483648");
        assertEquals("LIFEBOAT_RETRIES: '2147483648' is too large: at most 100", error());
        env.clear();
        flags.put(ConfigKey.OUTPUT_LIMIT, "99999999999999999999");
        assertTrue(error().contains("is too large"));
        flags.remove(ConfigKey.OUTPUT_LIMIT);
        flags.put(ConfigKey.CONCURRENCY, "four");
        assertEquals("--concurrency: 'four' is not a whole number", error());
    }


    @Test
    void logFormatAndExitCodeOnLoss() throws Exception {
        LifeboatConfig c = load();
        assertEquals(Log.Format.PLAIN, c.logFormat());
        assertNull(c.exitCodeOnLoss(), "off by default");
        env.put("LIFEBOAT_LOG_FORMAT", "JSON");
        env.put("LIFEBOAT_EXIT_CODE_ON_LOSS", "3");
        c = load();
        assertEquals(Log.Format.JSON, c.logFormat());
        assertEquals(3, c.exitCodeOnLoss());
        env.put("LIFEBOAT_LOG_FORMAT", "xml");
        assertEquals("LIFEBOAT_LOG_FORMAT: 'xml' is not a log format: write plain or json", error());
        env.remove("LIFEBOAT_LOG_FORMAT");
        flags.put(ConfigKey.EXIT_CODE_ON_LOSS, "256");
        assertEquals("--exit-code-on-loss: '256' is too large: at most 255", error());
    }
}
