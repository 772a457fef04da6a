package dev.lifeboat.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.lifeboat.spi.Keys;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys of real files whose names are not valid UTF-8, created with those raw bytes. */
class TestFileKeys {
    @TempDir
    Path tmp;

    /** A file in {@code dir} whose name is the raw bytes {@code rawName} (percent-escaped as in a URI). */
    private static Path create(Path dir, String rawName, String content) throws Exception {
        Path p = Path.of(new URI(dir.toUri() + rawName));
        return Files.writeString(p, content);
    }

    @Test
    void namesThatAreNotUtf8GetDistinctKeysThatMapBackToTheSameBytes() throws Exception {
        Path base = tmp.toRealPath();
        Path ff = create(base, "x-%FF.log", "ff\n");
        Path fe = create(base, "x-%FE.log", "fe\n");
        Path literal = Files.writeString(base.resolve("x-%FF.log"), "literal\n");
        Path replacement = Files.writeString(base.resolve("x-\uFFFD.log"), "replacement\n");
        Path accented = Files.writeString(base.resolve("caf\u00e9 log.txt"), "utf-8\n");

        Collector.Result collected = new Collector(false, base).collect(List.of(base + "/*"));
        assertEquals(5, collected.items().size(), "all five files are collected: " + collected.skipped());
        Set<String> keys = collected.items().stream().map(ShipItem::key).collect(Collectors.toCollection(TreeSet::new));
        String prefix = "files" + base + "/";
        assertEquals(new TreeSet<>(Set.of(prefix + "x-%FF.log", prefix + "x-%FE.log", prefix + "x-%25FF.log",
                prefix + "x-\uFFFD.log", prefix + "caf\u00e9 log.txt")), keys, "five names, five keys");

        // each key maps back to a path with the name's very bytes: fetch writes the file it was
        Path out = Files.createDirectories(tmp.resolve("fetched"));
        for (Path original : List.of(ff, fe, literal, replacement, accented)) {
            String key = FileKeys.keyFor(original);
            Keys.check(key);
            Path back = FileKeys.pathIn(out, key);
            assertEquals(out.toAbsolutePath().toUri() + "files" + original.toUri().getRawPath(), back.toUri().toString(),
                    key);
            Files.createDirectories(back.getParent());
            Files.copy(original, back);
        }
        assertEquals("ff\n", Files.readString(Path.of(new URI(out.resolve("files" + base).toUri() + "x-%FF.log"))));
        assertEquals("fe\n", Files.readString(Path.of(new URI(out.resolve("files" + base).toUri() + "x-%FE.log"))));
        assertEquals("literal\n", Files.readString(out.resolve("files" + base).resolve("x-%FF.log")));
    }

    @Test
    void controlBytesAndPercentAreEscapedEverythingElseKept() {
        assertEquals("a%0Ab%25c%7F", FileKeys.encode("a\nb%c\u007f".getBytes(StandardCharsets.UTF_8)));
        assertEquals("\u00e9\u4e2d %FF%C3", FileKeys.encode(new byte[] {(byte) 0xc3, (byte) 0xa9, (byte) 0xe4, (byte) 0xb8,
                (byte) 0xad, ' ', (byte) 0xff, (byte) 0xc3}));
        assertArrayEquals(new byte[] {'a', (byte) 0xff, '%', 'b'}, FileKeys.decode("a%FF%25b"));
        assertNotEquals(FileKeys.encode(new byte[] {(byte) 0xff}), FileKeys.encode(new byte[] {(byte) 0xfe}));
    }
}
