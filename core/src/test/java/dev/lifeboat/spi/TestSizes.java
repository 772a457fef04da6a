package dev.lifeboat.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TestSizes {
    @Test
    void bytesSiAndIecUnitsInAnyCase() {
        Object[][] cases = {
            {"0", 0L}, {"1024", 1024L}, {"1024b", 1024L}, {"1024B", 1024L}, {" 1024 ", 1024L},
            {"64KiB", 64L << 10}, {"8MiB", 8L << 20}, {"10MiB", 10_485_760L}, {"1GiB", 1L << 30}, {"2TiB", 2L << 40},
            {"64 MiB", 64L << 20}, {"64MIB", 64L << 20}, {"64mib", 64L << 20},
            {"10kb", 10_000L}, {"10KB", 10_000L}, {"10MB", 10_000_000L}, {"10 mb", 10_000_000L},
            {"2GB", 2_000_000_000L}, {"10TB", 10_000_000_000_000L},
        };
        for (Object[] c : cases) {
            assertEquals((long) c[1], Sizes.parse((String) c[0]), (String) c[0]);
        }
    }

    @Test
    void bareUnitLettersAreRefusedAsAmbiguous() {
        assertEquals("'64m' is ambiguous: write 64MiB (2^20 bytes each) or 64MB (10^6 bytes each)",
                assertThrows(IllegalArgumentException.class, () -> Sizes.parse("64m")).getMessage());
        assertEquals("'8K' is ambiguous: write 8KiB (2^10 bytes each) or 8KB (10^3 bytes each)",
                assertThrows(IllegalArgumentException.class, () -> Sizes.parse("8K")).getMessage());
        assertEquals("'1 g' is ambiguous: write 1GiB (2^30 bytes each) or 1GB (10^9 bytes each)",
                assertThrows(IllegalArgumentException.class, () -> Sizes.parse("1 g")).getMessage());
        assertEquals("'2T' is ambiguous: write 2TiB (2^40 bytes each) or 2TB (10^12 bytes each)",
                assertThrows(IllegalArgumentException.class, () -> Sizes.parse("2T")).getMessage());
    }

    @Test
    void rejectsWhatIsNotASize() {
        for (String bad : new String[] {"", "abc", "1.5MiB", "-1", "10PB", "MiB", "1 2", "0x10", "8 MiBs", "8X", "64Mi"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("'" + bad + "' is not a size: "), e.getMessage());
            assertTrue(e.getMessage().contains("10MiB"), "says what to write: " + e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse(null));
    }

    @Test
    void tooLargeIsAnErrorNamingTheValue() {
        assertEquals(Long.MAX_VALUE, Sizes.parse(Long.toString(Long.MAX_VALUE)));
        assertEquals(8388607L << 40, Sizes.parse("8388607TiB"));
        for (String bad : new String[] {"9999999999GiB", "99999999999999999999", "8589934592GiB", "8388608TiB",
                "9223372036854776TB"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
            assertEquals("'" + bad + "' is too large: at most 9223372036854775807 bytes", e.getMessage());
        }
    }

    @Test
    void anOptionNamesItsKey() throws InvalidOptionException {
        assertEquals(10_000_000, Sizes.parseOption("part-size", "10MB", 5));
        assertEquals(5, Sizes.parseOption("part-size", null, 5));
        assertEquals(5, Sizes.parseOption("part-size", " ", 5));
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> Sizes.parseOption("part-size", "10M", 5));
        assertEquals("part-size", e.key());
        assertTrue(e.getMessage().startsWith("'10M' is ambiguous"), e.getMessage());
    }

    @Test
    void formatUsesTheLargestExactIecUnit() {
        assertEquals("5MiB", Sizes.format(5L << 20));
        assertEquals("1GiB", Sizes.format(1L << 30));
        assertEquals("3TiB", Sizes.format(3L << 40));
        assertEquals("256KiB", Sizes.format(256 << 10));
        assertEquals("1000 bytes", Sizes.format(1000));
        assertEquals("0 bytes", Sizes.format(0));
        assertEquals("1 byte", Sizes.format(1));
        for (long n : new long[] {5L << 20, 1L << 30, 256 << 10}) {
            assertEquals(n, Sizes.parse(Sizes.format(n)));
        }
    }
}
