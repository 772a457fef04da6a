package dev.lifeboat.config;

import java.util.Locale;

/** Lifeboat's own configuration keys, as written in the YAML file and, with {@code --}, as flags. */
public enum ConfigKey {
    DESTINATION("destination", true),
    LOGS("logs", true),
    GRACE_PERIOD("grace-period", false),
    CHILD_TIMEOUT("child-timeout", false),
    RUN_ID("run-id", false),
    CONCURRENCY("concurrency", false),
    RETRIES("retries", false),
    OUTPUT_LIMIT("output-limit", false),
    PROCESS_GROUP("process-group", false),
    FOLLOW_SYMLINKS("follow-symlinks", false),
    SPOOL_DIR("spool-dir", false),
    SHIP_INTERVAL("ship-interval", false),
    STOP_SIGNAL("stop-signal", true),
    REWRITE_SIGNAL("rewrite-signal", true),
    STRICT("strict", false),
    PLUGINS("plugins", false),
    LOG_FORMAT("log-format", false),
    EXIT_CODE_ON_LOSS("exit-code-on-loss", false);

    private final String key;
    private final boolean list;

    ConfigKey(String key, boolean list) {
        this.key = key;
        this.list = list;
    }

    public String key() {
        return key;
    }

    /** True for a key that takes a list (LOGS), comma-separated in the environment. */
    public boolean isList() {
        return list && this != DESTINATION;
    }

    public String flag() {
        return "--" + key;
    }

    public String environmentVariable() {
        return environmentVariable(key);
    }

    /** {@code LIFEBOAT_<KEY>} with dots and dashes as underscores. */
    public static String environmentVariable(String key) {
        return "LIFEBOAT_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public static ConfigKey byKey(String key) {
        for (ConfigKey k : values()) {
            if (k.key.equals(key)) {
                return k;
            }
        }
        return null;
    }
}
