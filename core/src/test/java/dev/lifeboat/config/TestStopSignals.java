package dev.lifeboat.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.plugin.UploaderRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --stop-signal} and {@code --rewrite-signal}: defaults, every source, what each signal does, errors. */
class TestStopSignals {
    private static final int SR = 39;

    @TempDir
    Path dir;

    private final Map<String, String> env = new HashMap<>(Map.of("LIFEBOAT_DESTINATION", "file:///archive"));
    private final Map<ConfigKey, Object> flags = new EnumMap<>(ConfigKey.class);
    private Path file;

    private StopSignals load() throws Exception {
        return new ConfigLoader(UploaderRegistry.load(getClass().getClassLoader()), env).load(flags, List.of(), file, true)
                .signals();
    }

    private String error() {
        ConfigException e = assertThrows(ConfigException.class, this::load);
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void termAndIntStopByDefaultAndEverySignalReachesTheChildUnchangedButTtinAndTtou() throws Exception {
        StopSignals signals = load();
        assertEquals(Set.of(15, 2), signals.stop());
        assertEquals(StopSignals.DEFAULT, signals);
        for (int signal : new int[] {1, 2, 3, 10, 12, 15, 28, 31, 40}) {
            assertEquals(signal, signals.forwardAs(signal));
        }
        assertFalse(signals.isStop(3));
        assertEquals(0, signals.forwardAs(21), "TTIN is ignored, as tini");
        assertEquals(0, signals.forwardAs(22), "TTOU is ignored, as tini");
    }

    @Test
    void stopSignalsReplaceTheDefaultFromFlagsEnvironmentOrFile() throws Exception {
        flags.put(ConfigKey.STOP_SIGNAL, List.of("QUIT", "SIGusr1", "28"));
        assertEquals(Set.of(3, 10, 28), load().stop());
        flags.clear();
        env.put("LIFEBOAT_STOP_SIGNAL", "QUIT,WINCH");
        assertEquals(Set.of(3, 28), load().stop());
        env.remove("LIFEBOAT_STOP_SIGNAL");
        file = Files.writeString(dir.resolve("l.yaml"), "stop-signal: [QUIT]\nrewrite-signal:\n  - TERM:QUIT\n  - HUP:0\n");
        StopSignals signals = load();
        assertEquals(Set.of(3), signals.stop());
        assertEquals(Map.of(15, 3, 1, 0), signals.rewrites());
    }

    @Test
    void rewritesChangeWhatTheChildGetsAndNotWhatStops() throws Exception {
        flags.put(ConfigKey.REWRITE_SIGNAL, List.of("TERM:QUIT", "WINCH:0", "TTIN:TTIN"));
        StopSignals signals = load();
        assertTrue(signals.isStop(15), "TERM still stops the run");
        assertEquals(3, signals.forwardAs(15));
        assertEquals(0, signals.forwardAs(28), "TO 0 passes nothing on");
        assertEquals(21, signals.forwardAs(21), "a rewritten TTIN is passed on");
        assertEquals(2, signals.forwardAs(2));
    }

    @Test
    void aTtinStopSignalIsPassedOn() {
        StopSignals signals = new StopSignals(StopSignals.parseStop(List.of("TTIN"), SR), Map.of());
        assertTrue(signals.isStop(21));
        assertEquals(21, signals.forwardAs(21));
    }

    @Test
    void signalsLifeboatCannotReceiveAreRefusedWithTheReason() {
        assertEquals("'KILL': Lifeboat cannot receive SIGKILL: it cannot be caught by any process",
                assertThrows(IllegalArgumentException.class, () -> StopSignals.parseStop(List.of("KILL"), SR)).getMessage());
        for (String name : List.of("STOP", "SEGV", "BUS", "ILL", "FPE", "CHLD", "39", "62", "32", "0", "65", "FOO", "")) {
            assertThrows(IllegalArgumentException.class, () -> StopSignals.parseStop(List.of(name), SR), name);
        }
        assertEquals(Set.of(12), StopSignals.parseStop(List.of("USR2"), SR), "USR2 once the JVM suspends threads with 39");
        assertThrows(IllegalArgumentException.class, () -> StopSignals.parseStop(List.of("40"), 40),
                "whatever _JAVA_SR_SIGNUM names");
    }

    @Test
    void configurationErrorsNameTheSourceAndTheValue() throws Exception {
        flags.put(ConfigKey.STOP_SIGNAL, List.of("KILL"));
        assertEquals("--stop-signal 'KILL': Lifeboat cannot receive SIGKILL: it cannot be caught by any process", error());
        flags.put(ConfigKey.STOP_SIGNAL, List.of("FOO"));
        assertTrue(error().startsWith("--stop-signal 'FOO': unknown signal"));
        flags.clear();
        flags.put(ConfigKey.REWRITE_SIGNAL, List.of("TERM"));
        assertEquals("--rewrite-signal 'TERM': expected FROM:TO, e.g. TERM:QUIT (TO 0 passes nothing on)", error());
        flags.put(ConfigKey.REWRITE_SIGNAL, List.of("TERM:QUIT", "SIGTERM:HUP"));
        assertEquals("--rewrite-signal 'SIGTERM:HUP': SIGTERM is rewritten twice", error());
        flags.put(ConfigKey.REWRITE_SIGNAL, List.of("KILL:TERM"));
        assertTrue(error().contains("cannot receive SIGKILL"));
        flags.clear();
        env.put("LIFEBOAT_STOP_SIGNAL", "QUIT,STOP");
        assertTrue(error().startsWith("LIFEBOAT_STOP_SIGNAL 'STOP': Lifeboat cannot receive SIGSTOP"));
        env.remove("LIFEBOAT_STOP_SIGNAL");
        env.put("_JAVA_SR_SIGNUM", "40");
        flags.put(ConfigKey.STOP_SIGNAL, List.of("40"));
        assertTrue(error().contains("the JVM suspends and resumes its threads with it"));
    }
}
