package dev.lifeboat.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TestDurations {
    @Test
    void parsesTheUnitsPeopleWrite() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(10), Durations.parse("10s"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
        assertEquals(Duration.ofHours(1), Durations.parse("1h"));
        assertEquals(Duration.ofSeconds(90), Durations.parse("1m30s"));
        assertEquals(Duration.ofMillis(3_723_004), Durations.parse("1h2m3s4ms"));
        assertEquals(Duration.ZERO, Durations.parse("0s"));
    }

    @Test
    void ignoresCaseAndSurroundingBlanks() {
        assertEquals(Duration.ofSeconds(10), Durations.parse(" 10S "));
        assertEquals(Duration.ofMillis(250), Durations.parse("250MS"));
    }

    @Test
    void fractionsAreExact() {
        assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
        assertEquals(Duration.ofMillis(100), Durations.parse("0.1s"));
        // 2.3 * 1e9 is 2299999999.9999995 in binary floating point
        assertEquals(Duration.ofMillis(2300), Durations.parse("2.3s"));
        assertEquals(Duration.ofMillis(4100), Durations.parse("4.1s"));
        assertEquals(Duration.ofSeconds(9), Durations.parse("0.15m"));
        assertEquals("2300ms", Durations.format(Durations.parse("2.3s")));
    }

    @Test
    void rejectsWhatIsNotADuration() {
        for (String bad : new String[] {"", "   ", "10", "10x", "-1s", "s", "1s2", "1 s", "ms", "1.s", ".5s", "10sec",
            "1m 30s", "PT10S"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
            assertTrue(bad.isBlank() || e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void rejectsWhatDoesNotFitTheClock() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Durations.parse("99999999999h"));
        assertTrue(e.getMessage().contains("'99999999999h'"), e.getMessage());
    }

    @Test
    void formatsInTheLargestWholeUnit() {
        assertEquals("500ms", Durations.format(Duration.ofMillis(500)));
        assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
        assertEquals("10s", Durations.format(Duration.ofSeconds(10)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
        assertEquals("0s", Durations.format(Duration.ZERO));
    }

    @Test
    void formatThenParseIsTheIdentityForWholeMilliseconds() {
        for (Duration d : new Duration[] {Duration.ofMillis(1), Duration.ofMillis(999), Duration.ofSeconds(1),
            Duration.ofSeconds(59), Duration.ofSeconds(61), Duration.ofMinutes(5), Duration.ofHours(3)}) {
            assertEquals(d, Durations.parse(Durations.format(d)), d.toString());
        }
    }

    @Test
    void aBareZeroIsZero() {
        org.junit.jupiter.api.Assertions.assertEquals(java.time.Duration.ZERO, Durations.parse("0"));
        org.junit.jupiter.api.Assertions.assertEquals(java.time.Duration.ZERO, Durations.parse("0s"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Durations.parse("5"),
                "another bare number has no unit");
    }
}
