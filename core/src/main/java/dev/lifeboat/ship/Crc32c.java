package dev.lifeboat.ship;

/**
 * CRC32C of a concatenation from the CRC32Cs of its parts, as zlib's {@code crc32_combine} does for
 * CRC-32: the first part's CRC is advanced over as many zero bits as the second part is long, by
 * repeated squaring of the operator that appends one zero bit, then the second's is added.
 */
final class Crc32c {
    /** The Castagnoli polynomial, reflected. */
    private static final long POLYNOMIAL = 0x82F63B78L;

    private Crc32c() {}

    /** The CRC32C of A followed by B, given A's CRC, B's CRC and B's length. */
    static long combine(long crcA, long crcB, long lengthB) {
        if (lengthB <= 0) {
            return crcA;
        }
        long[] even = new long[32];
        long[] odd = new long[32];
        odd[0] = POLYNOMIAL;
        long row = 1;
        for (int n = 1; n < 32; n++) {
            odd[n] = row;
            row <<= 1;
        }
        square(even, odd); // two zero bits
        square(odd, even); // four zero bits
        long crc = crcA;
        long length = lengthB;
        do {
            // one zero byte, then two, four, ...
            square(even, odd);
            if ((length & 1) != 0) {
                crc = times(even, crc);
            }
            length >>>= 1;
            if (length == 0) {
                break;
            }
            square(odd, even);
            if ((length & 1) != 0) {
                crc = times(odd, crc);
            }
            length >>>= 1;
        } while (length != 0);
        return crc ^ crcB;
    }

    private static long times(long[] matrix, long vector) {
        long sum = 0;
        for (int i = 0; vector != 0; i++, vector >>>= 1) {
            if ((vector & 1) != 0) {
                sum ^= matrix[i];
            }
        }
        return sum;
    }

    private static void square(long[] square, long[] matrix) {
        for (int n = 0; n < 32; n++) {
            square[n] = times(matrix, matrix[n]);
        }
    }
}
