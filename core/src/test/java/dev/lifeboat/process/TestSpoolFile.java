package dev.lifeboat.process;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestSpoolFile {
    @TempDir
    Path dir;

    private byte[] snapshot(SpoolFile spool) throws IOException {
        Path target = dir.resolve("snapshot");
        long n = spool.snapshot(target);
        byte[] bytes = Files.readAllBytes(target);
        assertEquals(bytes.length, n);
        return bytes;
    }

    private static void write(SpoolFile spool, String s) throws IOException {
        byte[] b = s.getBytes(US_ASCII);
        spool.write(b, 0, b.length);
    }

    @Test
    void underCapacityKeepsEverything() throws IOException {
        try (SpoolFile spool = new SpoolFile(dir.resolve("spool"), 16)) {
            assertArrayEquals(new byte[0], snapshot(spool));
            write(spool, "hello ");
            write(spool, "world");
            assertEquals("hello world", new String(snapshot(spool), US_ASCII));
            assertEquals(11, spool.total());
            assertEquals(0, spool.dropped());
        }
    }

    @Test
    void exactlyAtCapacityThenOneMore() throws IOException {
        try (SpoolFile spool = new SpoolFile(dir.resolve("spool"), 10)) {
            write(spool, "0123456789");
            assertEquals("0123456789", new String(snapshot(spool), US_ASCII));
            assertEquals(0, spool.dropped());
            write(spool, "a");
            assertEquals("123456789a", new String(snapshot(spool), US_ASCII));
            assertEquals(1, spool.dropped());
            assertEquals(11, spool.total());
        }
        try (SpoolFile spool = new SpoolFile(dir.resolve("spool2"), 10)) {
            write(spool, "01234");
            write(spool, "56789");
            assertEquals("0123456789", new String(snapshot(spool), US_ASCII));
            write(spool, "abcdefghij");
            assertEquals("abcdefghij", new String(snapshot(spool), US_ASCII));
            assertEquals(10, spool.dropped());
        }
    }

    @Test
    void aWriteLargerThanTheCapacityKeepsItsTail() throws IOException {
        try (SpoolFile spool = new SpoolFile(dir.resolve("spool"), 4)) {
            write(spool, "ab");
            write(spool, "0123456789");
            assertEquals("6789", new String(snapshot(spool), US_ASCII));
            assertEquals(8, spool.dropped());
        }
    }

    @Test
    void honoursOffsetAndLength() throws IOException {
        byte[] source = "xxABCDEFyy".getBytes(US_ASCII);
        try (SpoolFile spool = new SpoolFile(dir.resolve("spool"), 4)) {
            spool.write(source, 2, 3);
            assertEquals("ABC", new String(snapshot(spool), US_ASCII));
            spool.write(source, 2, 6);
            assertEquals("CDEF", new String(snapshot(spool), US_ASCII));
            spool.write(source, 0, 0);
            assertEquals("CDEF", new String(snapshot(spool), US_ASCII));
        }
    }

    @Test
    void wrapAroundKeepsExactlyTheNewestBytesInOrder() throws IOException {
        Random random = new Random(20261127);
        int[] sizes = {0, 1, 2, 3, 7, 64, 999, 1000, 1001, 1023, 2500, 4096, 10_000};
        for (int capacity : new int[] {1, 7, 1000, 4096}) {
            ByteArrayOutputStream everything = new ByteArrayOutputStream();
            try (SpoolFile spool = new SpoolFile(dir.resolve("spool-" + capacity), capacity)) {
                for (int i = 0; i < 120; i++) {
                    byte[] chunk = new byte[sizes[random.nextInt(sizes.length)]];
                    random.nextBytes(chunk);
                    spool.write(chunk, 0, chunk.length);
                    everything.write(chunk);
                    byte[] all = everything.toByteArray();
                    assertEquals(all.length, spool.total());
                    assertEquals(Math.max(0, all.length - capacity), spool.dropped());
                    if (i % 7 == 0 || i == 119) {
                        byte[] expected = Arrays.copyOfRange(all, Math.max(0, all.length - capacity), all.length);
                        assertArrayEquals(expected, snapshot(spool), "capacity " + capacity + ", write " + i);
                    }
                }
            }
            assertTrue(Files.size(dir.resolve("spool-" + capacity)) <= capacity, "the spool file grew past its capacity");
        }
    }

    @Test
    void theSpoolFileNeverGrowsPastItsCapacity() throws IOException {
        Path path = dir.resolve("spool");
        try (SpoolFile spool = new SpoolFile(path, 100)) {
            byte[] chunk = new byte[77];
            for (int i = 0; i < 50; i++) {
                spool.write(chunk, 0, chunk.length);
            }
            assertEquals(100, Files.size(path));
        }
    }

    @Test
    void anExistingFileIsTruncated() throws IOException {
        Path path = Files.write(dir.resolve("spool"), "stale bytes from before".getBytes(US_ASCII));
        try (SpoolFile spool = new SpoolFile(path, 100)) {
            write(spool, "new");
            assertEquals("new", new String(snapshot(spool), US_ASCII));
        }
    }

    @Test
    void deleteRemovesTheFile() throws IOException {
        Path path = dir.resolve("spool");
        SpoolFile spool = new SpoolFile(path, 100);
        write(spool, "x");
        spool.delete();
        assertEquals(false, Files.exists(path));
    }

    @Test
    void capacityMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new SpoolFile(dir.resolve("spool"), 0));
    }
}
