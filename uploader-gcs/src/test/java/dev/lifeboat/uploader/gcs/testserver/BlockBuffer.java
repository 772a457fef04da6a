package dev.lifeboat.uploader.gcs.testserver;

import java.util.ArrayList;
import java.util.List;

/** A growable byte store in 1 MiB blocks (no copying as it grows), truncatable, for resumable sessions. */
final class BlockBuffer {
    private static final int BLOCK = 1 << 20;
    private final List<byte[]> blocks = new ArrayList<>();
    private long size;

    long size() {
        return size;
    }

    void write(byte[] b, int off, int len) {
        while (len > 0) {
            int index = (int) (size / BLOCK);
            int at = (int) (size % BLOCK);
            if (index == blocks.size()) {
                blocks.add(new byte[BLOCK]);
            }
            int n = Math.min(len, BLOCK - at);
            System.arraycopy(b, off, blocks.get(index), at, n);
            off += n;
            len -= n;
            size += n;
        }
    }

    void truncate(long newSize) {
        if (newSize < size) {
            size = newSize;
            int keep = (int) ((size + BLOCK - 1) / BLOCK);
            while (blocks.size() > keep) {
                blocks.remove(blocks.size() - 1);
            }
        }
    }

    byte[] toByteArray() {
        byte[] out = new byte[Math.toIntExact(size)];
        long left = size;
        int pos = 0;
        for (byte[] block : blocks) {
            int n = (int) Math.min(BLOCK, left);
            System.arraycopy(block, 0, out, pos, n);
            pos += n;
            left -= n;
            if (left == 0) {
                break;
            }
        }
        return out;
    }
}
