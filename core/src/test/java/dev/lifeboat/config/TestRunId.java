package dev.lifeboat.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TestRunId {
    private static final Instant START = Instant.parse("2026-11-27T10:30:00.123Z");

    private static String expand(String template, Map<String, String> env) {
        return RunId.expand(template, env, START, "web-1", 4242);
    }

    @Test
    void theDefaultTemplate() {
        assertEquals("web-1/20261127T103000Z-k3x9q0",
                RunId.expand(ConfigLoader.DEFAULT_RUN_ID, Map.of(), START, "web-1", 4242, "k3x9q0"));
    }

    /** Two runs of the default template in the same second, on the same host, get two folders. */
    @Test
    void theDefaultTemplateDiffersBetweenRunsOfTheSameSecond() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < 100; i++) {
            String id = expand(ConfigLoader.DEFAULT_RUN_ID, Map.of());
            assertTrue(id.matches("web-1/20261127T103000Z-[a-z0-9]{6}"), id);
            ids.add(id);
        }
        assertTrue(ids.size() > 95, "six random characters make ids of the same second differ: " + ids.size());
        assertEquals("a/b-2", RunId.suffixed("a/b", 2));
    }

    @Test
    void everyPlaceholder() {
        assertEquals("web-1_20261127T103000Z_" + START.toEpochMilli() + "_4242_pod-7",
                expand("{hostname}_{start}_{start-ms}_{pid}_{env:POD}", Map.of("POD", "pod-7")));
        assertEquals("fixed-run", expand("fixed-run", Map.of()));
        assertEquals("a/b/c", expand("a/b/c", Map.of()));
    }

    @Test
    void oddCharactersBecomeUnderscores() {
        assertEquals("my_host_x", RunId.expand("{hostname}", Map.of(), START, "my host@x", 1));
        assertEquals("r_sum_", expand("r\u00e9sum\u00e9", Map.of()));
        assertEquals("a_b_c", expand("{env:X}", Map.of("X", "a:b*c")));
        assertEquals("a_", expand("a{", Map.of()));
        assertEquals("keep.dots_and-dashes", expand("keep.dots_and-dashes", Map.of()));
    }

    @Test
    void dotSegmentsAndEmptySegmentsAreDropped() {
        assertEquals("a/b", expand("a/../b", Map.of()));
        assertEquals("a/b", expand("/./a//b/", Map.of()));
        assertEquals("etc", expand("{env:X}", Map.of("X", "../../etc")));
        assertEquals("x/y", expand("{env:X}/y", Map.of("X", "../x/..")));
        // '...' is a name, not a parent reference
        assertEquals(".../x", expand(".../x", Map.of()));
    }

    @Test
    void anEmptyResultIsRejected() {
        for (String template : new String[] {"", "/", "..", "../..", "./.", "{env:X}"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> expand(template, Map.of("X", "/../")), template);
            assertTrue(e.getMessage().contains("empty"), e.getMessage());
        }
    }

    @Test
    void anUnknownPlaceholderIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> expand("{host}/{start}", Map.of()));
        assertTrue(e.getMessage().contains("{host}"), e.getMessage());
        assertTrue(e.getMessage().contains("known: {hostname}"), e.getMessage());
    }

    @Test
    void aMissingOrEmptyVariableIsNamed() {
        for (Map<String, String> env : java.util.List.of(Map.<String, String>of(), Map.of("POD_NAME", ""))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> expand("{env:POD_NAME}/{start}", env));
            assertTrue(e.getMessage().contains("POD_NAME is not set"), e.getMessage());
        }
    }

    @Test
    void validateChecksPlaceholdersAndVariables() {
        assertDoesNotThrow(() -> RunId.validate("{hostname}/{start}/{start-ms}/{pid}/{random}", Map.of()));
        assertDoesNotThrow(() -> RunId.validate("{env:A}", Map.of("A", "x")));
        assertThrows(IllegalArgumentException.class, () -> RunId.validate("{env:A}", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RunId.validate("{nope}", Map.of()));
    }

    @Test
    void hostnamePrefersTheEnvironment() {
        assertEquals("from-env", RunId.hostname(Map.of("HOSTNAME", " from-env ")));
        assertTrue(!RunId.hostname(Map.of()).isBlank());
    }
}
