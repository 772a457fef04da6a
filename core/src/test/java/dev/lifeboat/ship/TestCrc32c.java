package dev.lifeboat.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class TestCrc32c {
    private static long crc(byte[] bytes, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, from, to - from);
        return crc.getValue();
    }

    @Test
    void combiningThePartsGivesTheCrcOfTheWhole() {
        Random random = new Random(7);
        byte[] bytes = new byte[3 * 1024 * 1024 + 17];
        random.nextBytes(bytes);
        for (int split : new int[] {0, 1, 7, 4096, 1 << 20, bytes.length - 1, bytes.length}) {
            long combined = Crc32c.combine(crc(bytes, 0, split), crc(bytes, split, bytes.length), bytes.length - split);
            assertEquals(crc(bytes, 0, bytes.length), combined, "split at " + split);
        }
    }

    @Test
    void manyPiecesInOrder() {
        Random random = new Random(11);
        byte[] bytes = new byte[200_000];
        random.nextBytes(bytes);
        long running = 0;
        int at = 0;
        while (at < bytes.length) {
            int n = Math.min(bytes.length - at, 1 + random.nextInt(20_000));
            running = Crc32c.combine(running, crc(bytes, at, at + n), n);
            at += n;
        }
        assertEquals(crc(bytes, 0, bytes.length), running);
    }
}
