package dev.lifeboat.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Both log formats: plain lines with the date, JSON lines that a JSON parser reads one by one. */
class TestLogFormat {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private Log log(Log.Format format, boolean debug) {
        return new Log(new PrintStream(bytes, true, StandardCharsets.UTF_8), debug, false, format);
    }

    private List<String> lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void jsonIsOneObjectALine() throws Exception {
        Log log = log(Log.Format.JSON, true);
        log.context("run", "host-1/20261202T101500Z");
        Instant before = Instant.now().minusMillis(1);
        log.info("shipping 2 file(s)", Map.of("files", 2, "bytes", 123456789012L));
        log.warn("not shipped: /var/log/a \"b\"\n\tc\u0001", Map.of("file", "/var/log/a \"b\"", "reason", "DEADLINE"));
        log.error("boom", new IllegalStateException("inner"));
        log.debug("a debug line");
        List<String> lines = lines();
        assertEquals(4, lines.size(), String.join("\n", lines));
        ObjectMapper json = new ObjectMapper();
        JsonNode info = json.readTree(lines.get(0));
        Instant at = Instant.parse(info.get("timestamp").asText());
        assertFalse(at.isBefore(before.minus(Duration.ofSeconds(1))), at.toString());
        assertTrue(info.get("timestamp").asText().endsWith("Z"), "UTC, ISO-8601");
        assertEquals("info", info.get("level").asText());
        assertEquals("shipping 2 file(s)", info.get("message").asText());
        assertEquals("host-1/20261202T101500Z", info.get("run").asText());
        assertEquals(2, info.get("files").asInt());
        assertEquals(123456789012L, info.get("bytes").asLong());
        JsonNode warn = json.readTree(lines.get(1));
        assertEquals("warning", warn.get("level").asText());
        assertEquals("not shipped: /var/log/a \"b\"\n\tc\u0001", warn.get("message").asText());
        assertEquals("/var/log/a \"b\"", warn.get("file").asText());
        assertEquals("DEADLINE", warn.get("reason").asText());
        JsonNode error = json.readTree(lines.get(2));
        assertEquals("error", error.get("level").asText());
        assertTrue(error.get("stackTrace").asText().startsWith("java.lang.IllegalStateException: inner"),
                "with --debug, the stack trace is a field of the line");
        assertEquals("debug", json.readTree(lines.get(3)).get("level").asText());
    }

    @Test
    void plainLinesCarryTheDate() {
        Log log = log(Log.Format.PLAIN, false);
        log.info("hello", Map.of("file", "/x"));
        log.warn("careful");
        List<String> lines = lines();
        assertTrue(lines.get(0).matches("lifeboat \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z hello"), lines.get(0));
        assertTrue(lines.get(1).matches("lifeboat \\S+Z warning: careful"), lines.get(1));
        Instant.parse(lines.get(0).split(" ")[1]);
    }
}
