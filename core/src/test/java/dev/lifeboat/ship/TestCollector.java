package dev.lifeboat.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestCollector {
    @TempDir
    Path tmp;

    /** The real path: a temporary directory reached through a symbolic link would confuse the base checks. */
    private Path base;

    @BeforeEach
    void realBase() throws IOException {
        base = tmp.toRealPath();
    }

    private Path file(String relative, String content) throws IOException {
        Path p = base.resolve(relative);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, content);
    }

    private Collector.Result collect(boolean followSymlinks, String... globs) {
        return new Collector(followSymlinks, base).collect(List.of(globs));
    }

    private Collector.Result collect(String... globs) {
        return collect(false, globs);
    }

    private static Set<Path> sources(Collector.Result r) {
        return r.items().stream().map(ShipItem::source).collect(Collectors.toCollection(TreeSet::new));
    }

    private Set<Path> paths(String... relative) {
        Set<Path> set = new TreeSet<>();
        for (String r : relative) {
            set.add(base.resolve(r));
        }
        return set;
    }

    private static Skipped only(Collector.Result r, Skipped.Reason reason) {
        List<Skipped> found = r.skipped().stream().filter(s -> s.reason() == reason).toList();
        assertEquals(1, found.size(), "one " + reason + " in " + r.skipped());
        return found.get(0);
    }

    @Test
    void starMatchesInOneDirectory() throws IOException {
        file("logs/a.log", "a");
        file("logs/b.log", "bb");
        file("logs/c.txt", "c");
        file("logs/sub/d.log", "d");
        Collector.Result r = collect(base + "/logs/*.log");
        assertEquals(paths("logs/a.log", "logs/b.log"), sources(r));
        assertEquals(List.of(), r.skipped());
    }

    @Test
    void doubleStarRecursesIncludingZeroDirectories() throws IOException {
        file("a.log", "a");
        file("x/b.log", "b");
        file("x/y/z/c.log", "c");
        file("x/y/z/c.txt", "not this");
        Collector.Result r = collect(base + "/**/*.log");
        assertEquals(paths("a.log", "x/b.log", "x/y/z/c.log"), sources(r));
    }

    @Test
    void twoDoubleStarsEachMayMatchNoDirectory() throws IOException {
        file("app/a.log", "1");
        file("x/app/b.log", "2");
        file("app/y/c.log", "3");
        file("x/app/y/d.log", "4");
        file("other/e.log", "5");
        Collector.Result r = collect(base + "/**/app/**/*.log");
        assertEquals(paths("app/a.log", "x/app/b.log", "app/y/c.log", "x/app/y/d.log"), sources(r));
    }

    @Test
    void aLiteralPath() throws IOException {
        Path f = file("var/log/app.log", "hello");
        Collector.Result r = collect(f.toString());
        assertEquals(1, r.items().size());
        ShipItem item = r.items().get(0);
        assertEquals(f, item.source());
        assertEquals(5, item.size());
        assertEquals(f.toString(), item.origin());
        assertEquals(List.of(), r.skipped());
    }

    @Test
    void keysAreFilesAndTheAbsolutePathWithoutItsLeadingSlash() throws IOException {
        Path f = file("var/log/app.log", "x");
        ShipItem item = collect(f.toString()).items().get(0);
        assertEquals("files/" + f.toString().substring(1), item.key());
        assertEquals("files/var/log/x.log", Collector.keyFor(Path.of("/var/log/x.log")));
        assertEquals("files/var/x.log", Collector.keyFor(Path.of("/var/log/../x.log")));
    }

    @Test
    void theSameFileFromTwoGlobsIsCollectedOnce() throws IOException {
        file("logs/a.log", "a");
        file("logs/b.log", "b");
        Collector.Result r = collect(base + "/logs/*.log", base + "/logs/a.log", base + "/**/b.log");
        assertEquals(2, r.items().size());
        assertEquals(paths("logs/a.log", "logs/b.log"), sources(r));
        // the later globs matched files, already collected: that is not "matched nothing"
        assertEquals(List.of(), r.skipped());
    }

    @Test
    void aGlobMatchingNothing() throws IOException {
        file("logs/a.log", "a");
        Collector.Result r = collect(base + "/logs/*.txt", base + "/missing/*.log", base + "/missing.log");
        assertEquals(List.of(), r.items());
        assertEquals(3, r.skipped().size());
        for (Skipped s : r.skipped()) {
            assertEquals(Skipped.Reason.NO_MATCH, s.reason(), s.toString());
        }
        assertEquals(base + "/logs/*.txt", r.skipped().get(0).path());
    }

    @Test
    void aDirectoryIsIgnoredByAWildcardButNamedWhenGivenLiterally() throws IOException {
        file("logs/a.log", "a");
        Files.createDirectories(base.resolve("logs/dir.log"));
        Collector.Result r = collect(base + "/logs/*.log");
        assertEquals(paths("logs/a.log"), sources(r));
        assertEquals(List.of(), r.skipped());

        r = collect(base.resolve("logs/dir.log").toString());
        assertEquals(List.of(), r.items());
        Skipped s = only(r, Skipped.Reason.NOT_REGULAR_FILE);
        assertEquals(base.resolve("logs/dir.log").toString(), s.path());
    }

    @Test
    void aFifoIsNotARegularFile() throws Exception {
        Path fifo = base.resolve("logs/pipe.log");
        Files.createDirectories(fifo.getParent());
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(mkfifo.waitFor(30, TimeUnit.SECONDS));
        // the exit code is not asserted: where another test's reaper runs in this JVM it may read 0
        assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "mkfifo made " + fifo);
        file("logs/a.log", "a");

        Collector.Result r = collect(base + "/logs/*.log");
        assertEquals(paths("logs/a.log"), sources(r));
        Skipped s = only(r, Skipped.Reason.NOT_REGULAR_FILE);
        assertEquals(fifo.toString(), s.path());
        assertEquals("files" + fifo, s.key());

        r = collect(fifo.toString());
        only(r, Skipped.Reason.NOT_REGULAR_FILE);
    }

    @Test
    void aSymlinkInsideTheBaseIsCollected() throws IOException {
        Path target = file("logs/real/app.log", "12345");
        Path link = Files.createSymbolicLink(base.resolve("logs/link.log"), target);
        Collector.Result r = collect(base + "/logs/*.log");
        assertEquals(Set.of(link), sources(r));
        assertEquals(5, r.items().get(0).size(), "the size of the target, not of the link");
        assertEquals(List.of(), r.skipped());
    }

    @Test
    void aSymlinkOutsideTheBaseIsSkippedUnlessFollowed() throws IOException {
        Path outside = file("secret/shadow", "not a log");
        file("logs/a.log", "a");
        Path link = Files.createSymbolicLink(base.resolve("logs/evil.log"), outside);

        Collector.Result r = collect(base + "/logs/*.log");
        assertEquals(paths("logs/a.log"), sources(r));
        Skipped s = only(r, Skipped.Reason.SYMLINK_OUTSIDE_BASE);
        assertEquals(link.toString(), s.path());
        assertTrue(s.detail().contains(outside.toString()), s.detail());

        r = collect(true, base + "/logs/*.log");
        assertEquals(Set.of(base.resolve("logs/a.log"), link), sources(r));
        assertEquals(List.of(), r.skipped());
    }

    @Test
    void aSymlinkedDirectoryOutsideTheBaseIsOnlyWalkedWhenFollowed() throws IOException {
        file("elsewhere/x.log", "x");
        file("logs/a.log", "a");
        Files.createSymbolicLink(base.resolve("logs/sub"), base.resolve("elsewhere"));
        assertEquals(paths("logs/a.log"), sources(collect(base + "/logs/**/*.log")));
        assertEquals(paths("logs/a.log", "logs/sub/x.log"), sources(collect(true, base + "/logs/**/*.log")));
    }

    @Test
    void aLiteralSymlinkIsShipped() throws IOException {
        Path outside = file("elsewhere/x.log", "x");
        Path link = Files.createSymbolicLink(base.resolve("named.log"), outside);
        assertEquals(Set.of(link), sources(collect(link.toString())));
    }

    @Test
    void relativeGlobsResolveAgainstTheWorkingDirectory() throws IOException {
        file("work/logs/a.log", "a");
        file("work/b.log", "b");
        Collector c = new Collector(false, base.resolve("work"));
        Collector.Result r = c.collect(List.of("logs/*.log", "b.log", "./logs/../b.log"));
        assertEquals(paths("work/logs/a.log", "work/b.log"), sources(r));
        assertEquals("files" + base.resolve("work/logs/a.log"), r.items().get(0).key());
        assertEquals(List.of(), r.skipped());
    }

    @Test
    void anInvalidGlobIsReportedNotThrown() throws IOException {
        file("logs/a.log", "a");
        Collector.Result r = collect(base + "/logs/[a.log", base + "/logs/*.log");
        assertEquals(paths("logs/a.log"), sources(r));
        Skipped s = only(r, Skipped.Reason.NO_MATCH);
        assertEquals(base + "/logs/[a.log", s.path());
        assertTrue(s.detail().contains("not a valid glob"), s.detail());
    }

    @Test
    void aLiteralPathIsNotReadAsAGlob() throws IOException {
        Path odd = file("logs/odd\\", "x");
        assertEquals(Set.of(odd), sources(collect(odd.toString())));
    }

    @Test
    void sizesAreMeasuredAtCollection() throws IOException {
        file("logs/a.log", "12345");
        Collector.Result r = collect(base + "/logs/*.log");
        assertEquals(5, r.items().get(0).size());
    }
}
