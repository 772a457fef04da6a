package dev.lifeboat.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TestSizes {
    @Test
    void plainBytes() {
        assertEquals(0, Sizes.parse("0"));
        assertEquals(1024, Sizes.parse("1024"));
        assertEquals(1024, Sizes.parse("1024b"));
        assertEquals(1024, Sizes.parse(" 1024 "));
    }

    @Test
    void binaryUnits() {
        assertEquals(64L << 10, Sizes.parse("64KiB"));
        assertEquals(64L << 10, Sizes.parse("64k"));
        assertEquals(8L << 20, Sizes.parse("8MiB"));
        assertEquals(8L << 20, Sizes.parse("8m"));
        assertEquals(1L << 30, Sizes.parse("1GiB"));
        assertEquals(1L << 30, Sizes.parse("1g"));
        assertEquals(64L << 20, Sizes.parse("64 MiB"));
        assertEquals(64L << 20, Sizes.parse("64MIB"));
    }

    @Test
    void decimalUnits() {
        assertEquals(10_000, Sizes.parse("10kb"));
        assertEquals(10_000_000, Sizes.parse("10MB"));
        assertEquals(2_000_000_000L, Sizes.parse("2GB"));
    }

    @Test
    void rejectsWhatIsNotASize() {
        for (String bad : new String[] {"", "abc", "1.5MiB", "-1", "10TB", "MiB", "1 2", "0x10"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void tooLargeIsAnErrorNamingTheValue() {
        for (String bad : new String[] {"9999999999GiB", "99999999999999999999", "8589934592GiB"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }
}
