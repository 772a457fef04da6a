package dev.lifeboat.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import dev.lifeboat.uploader.file.FileUploaderFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestPluginLoading {
    private static final ClassLoader LIFEBOAT = TestPluginLoading.class.getClassLoader();

    @TempDir
    Path work;

    Path plugins;

    @BeforeEach
    void createPluginDirectory() throws IOException {
        plugins = Files.createDirectories(work.resolve("plugins"));
    }

    // ---- loading and isolation -------------------------------------------------------------------

    /** Plugin A: one jar with a library class, Lib "1", and a class named like Lifeboat's own Guice. */
    private Path pluginA(Path jar) throws IOException {
        return PluginJars.in(work)
                .source("com.example.shared.Lib", "package com.example.shared; public final class Lib {"
                        + " public static String version() { return \"1\"; } }")
                .source("com.google.inject.Guice", "package com.google.inject; public final class Guice {"
                        + " public static String origin() { return \"the plugin's own\"; } }")
                .source("com.example.a.AlphaFactory", PluginJars.factorySource("com.example.a", "AlphaFactory", "alpha",
                        "com.example.shared.Lib.version() + \"|guice=\" + com.google.inject.Guice.origin()", "", false))
                .factory("com.example.a.AlphaFactory")
                .version("1.2.3")
                .writeTo(jar);
    }

    /** Plugin B: a folder of two jars, the factory and the library (Lib "2"), without a version. */
    private Path pluginB(Path folder) throws IOException {
        PluginJars.in(work)
                .source("com.example.b.Reflect", "package com.example.b; public final class Reflect {"
                        + " public static String call(String type) { try {"
                        + " return (String) Class.forName(type).getMethod(\"version\").invoke(null);"
                        + " } catch (ReflectiveOperationException e) { throw new IllegalStateException(e); } } }")
                .source("com.example.b.BetaFactory", PluginJars.factorySource("com.example.b", "BetaFactory", "beta",
                        "Reflect.call(\"com.example.shared.Lib\")", "", false))
                .factory("com.example.b.BetaFactory")
                .writeTo(folder.resolve("beta-uploader.jar"));
        PluginJars.in(work)
                .source("com.example.shared.Lib", "package com.example.shared; public final class Lib {"
                        + " public static String version() { return \"2\"; } }")
                .writeTo(folder.resolve("shared-lib-2.jar"));
        return folder;
    }

    private String uploadThrough(UploaderFactory factory) throws Exception {
        Path file = Files.writeString(work.resolve("x.log"), "x\n");
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try (Uploader uploader = factory.create(URI.create(factory.scheme() + ":/x"), Map.of(), context())) {
            UploadResult result = uploader.upload(new SourceFile(file, 2), "x.log",
                    UploadControl.withTimeout(Duration.ofSeconds(10)));
            assertSame(before, Thread.currentThread().getContextClassLoader(), "the caller's TCCL is restored");
            return result.location();
        }
    }

    private UploaderContext context() {
        return new UploaderContext(work, Map.of(), System.getLogger("test"));
    }

    @Test
    void twoPluginsWithConflictingVersionsOfALibraryWorkSideBySide() throws Exception {
        pluginA(plugins.resolve("alpha.jar"));
        pluginB(Files.createDirectories(plugins.resolve("beta")));

        UploaderRegistry registry = UploaderRegistry.load(LIFEBOAT, plugins);

        assertEquals(List.of("alpha", "beta", "file"), registry.schemes());
        assertEquals("1|guice=the plugin's own|create-tccl=true|upload-tccl=true", uploadThrough(registry.find("alpha")));
        assertEquals("2|create-tccl=true|upload-tccl=true", uploadThrough(registry.find("beta")));
    }

    @Test
    void aPluginSeesTheSpiAndTheJdkButNotLifeboatsInternals() throws Exception {
        pluginA(plugins.resolve("alpha.jar"));
        UploaderRegistry registry = UploaderRegistry.load(LIFEBOAT, plugins);
        ClassLoader loader = ((PluginUploaderFactory) registry.find("alpha")).plugin().loader();

        for (String internal : List.of("dev.lifeboat.config.ConfigLoader", "dev.lifeboat.plugin.UploaderRegistry",
                "dev.lifeboat.uploader.file.FileUploaderFactory", "com.google.inject.Injector",
                "com.fasterxml.jackson.databind.ObjectMapper", "org.junit.jupiter.api.Test")) {
            assertNotNull(Class.forName(internal, false, LIFEBOAT), internal + " is on Lifeboat's class path");
            assertThrows(ClassNotFoundException.class, () -> Class.forName(internal, false, loader), internal);
        }
        assertSame(UploaderFactory.class, Class.forName("dev.lifeboat.spi.UploaderFactory", false, loader));
        assertSame(UploadControl.class, Class.forName("dev.lifeboat.spi.UploadControl", false, loader));
        assertNotNull(Class.forName("java.net.http.HttpClient", false, loader), "JDK modules are visible");
        assertNotNull(Class.forName("java.sql.Connection", false, loader), "platform modules are visible");
        // the plugin's own class wins over Lifeboat's of the same name
        assertSame(loader, Class.forName("com.google.inject.Guice", false, loader).getClassLoader());
        assertFalse(Class.forName("com.google.inject.Guice", false, LIFEBOAT).getClassLoader() == loader);
        // Lifeboat's own services file is invisible to the plugin
        List<URL> services = Collections.list(loader.getResources("META-INF/services/" + UploaderFactory.class.getName()));
        assertEquals(1, services.size(), services.toString());
        assertTrue(services.get(0).toString().contains("alpha.jar"), services.toString());
        assertEquals(null, loader.getResource("dev/lifeboat/config/ConfigLoader.class"));
    }

    @Test
    void everyCallIntoAPluginRunsWithItsClassLoaderAsContextClassLoader() throws Exception {
        String probe = "String.valueOf(Thread.currentThread().getContextClassLoader() == TcclFactory.class.getClassLoader())";
        PluginJars.in(work)
                .source("com.example.t.TcclFactory", "package com.example.t;\n"
                        + "import dev.lifeboat.spi.*; import java.net.URI; import java.util.*;\n"
                        + "public final class TcclFactory implements UploaderFactory {\n"
                        + "  static void ensure(String where) { if (!Boolean.parseBoolean(" + probe + "))"
                        + "    throw new IllegalStateException(\"wrong TCCL in \" + where); }\n"
                        + "  public String scheme() { ensure(\"scheme\"); return \"tccl\"; }\n"
                        + "  public String description() { ensure(\"description\"); return \"d\"; }\n"
                        + "  public Set<String> optionKeys() { ensure(\"optionKeys\"); return Set.of(\"k\"); }\n"
                        + "  public void validate(URI d, Map<String, String> o) { ensure(\"validate\"); }\n"
                        + "  public boolean checkBeforeChild() { ensure(\"checkBeforeChild\"); return true; }\n"
                        + "  public Uploader create(URI d, Map<String, String> o, UploaderContext c) {\n"
                        + "    ensure(\"create\");\n"
                        + "    return new Uploader() {\n"
                        + "      public void check(UploadControl control) { ensure(\"check\"); }\n"
                        + "      public UploadResult upload(SourceFile s, String key, UploadControl control) {\n"
                        + "        ensure(\"upload\"); return UploadResult.unverified(key, s.size()); }\n"
                        + "      public void close() { ensure(\"close\"); }\n"
                        + "    };\n"
                        + "  }\n"
                        + "}\n")
                .factory("com.example.t.TcclFactory")
                .writeTo(plugins.resolve("tccl.jar"));
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        UploaderFactory factory = UploaderRegistry.load(LIFEBOAT, plugins).find("tccl");
        assertEquals("tccl", factory.scheme());
        assertEquals("d", factory.description());
        assertEquals(java.util.Set.of("k"), factory.optionKeys());
        factory.validate(URI.create("tccl:/x"), Map.of());
        assertTrue(factory.checkBeforeChild());
        Path file = Files.writeString(work.resolve("t.log"), "t");
        try (Uploader uploader = factory.create(URI.create("tccl:/x"), Map.of(), context())) {
            uploader.check(UploadControl.withTimeout(Duration.ofSeconds(5)));
            assertEquals("k.log", uploader.upload(new SourceFile(file, 1), "k.log",
                    UploadControl.withTimeout(Duration.ofSeconds(5))).location());
        }
        assertSame(before, Thread.currentThread().getContextClassLoader());
    }

    @Test
    void aMissingDirectoryHoldsNoPlugins() throws Exception {
        UploaderRegistry registry = UploaderRegistry.load(LIFEBOAT, work.resolve("does-not-exist"));
        assertEquals(List.of("file"), registry.schemes());
        assertInstanceOf(FileUploaderFactory.class, registry.find("file"));
    }

    @Test
    void aFileInsteadOfADirectoryIsAnError() throws Exception {
        Path file = Files.writeString(work.resolve("plugins.txt"), "x");
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, file));
        assertEquals("plugin directory " + file + " is not a directory", e.getMessage());
    }

    @Test
    void otherFilesAndHiddenEntriesAreIgnored() throws Exception {
        Files.writeString(plugins.resolve("README.txt"), "plugins go here");
        Files.writeString(plugins.resolve(".hidden.jar"), "not a jar");
        Files.createDirectories(plugins.resolve(".cache"));
        assertEquals(List.of("file"), UploaderRegistry.load(LIFEBOAT, plugins).schemes());
    }

    @Test
    void theListingNamesJarsAndVersions() throws Exception {
        Path alpha = pluginA(plugins.resolve("alpha.jar"));
        Path beta = pluginB(Files.createDirectories(plugins.resolve("beta")));

        List<UploaderRegistry.Entry> entries = UploaderRegistry.load(LIFEBOAT, plugins).entries();

        assertEquals(3, entries.size(), entries.toString());
        assertEquals(new UploaderRegistry.Entry("alpha", "com.example.a.AlphaFactory", alpha.toString(), "1.2.3",
                alpha.toString()), entries.get(0));
        assertEquals(new UploaderRegistry.Entry("beta", "com.example.b.BetaFactory",
                beta.resolve("beta-uploader.jar").toString(), "unknown", beta.toString()), entries.get(1));
        UploaderRegistry.Entry file = entries.get(2);
        assertEquals("file", file.scheme());
        assertEquals(FileUploaderFactory.class.getName(), file.className());
        assertEquals(UploaderRegistry.BUILT_IN, file.origin());
        assertEquals(UploaderRegistry.location(FileUploaderFactory.class), file.jar());
    }

    // ---- errors ----------------------------------------------------------------------------------

    private Path schemeJar(Path jar, String pkg, String scheme) throws IOException {
        return PluginJars.in(work)
                .source(pkg + ".F", PluginJars.factorySource(pkg, "F", scheme, "\"x\"", "", false))
                .factory(pkg + ".F")
                .writeTo(jar);
    }

    @Test
    void aPluginClaimingABuiltInSchemeIsAnErrorNamingBothJars() throws Exception {
        Path jar = schemeJar(plugins.resolve("my-file.jar"), "com.example.file", "file");
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertEquals("two uploaders claim the scheme 'file': " + FileUploaderFactory.class.getName() + " ("
                + UploaderRegistry.location(FileUploaderFactory.class) + ") and com.example.file.F (plugin " + jar + ")",
                e.getMessage());
    }

    @Test
    void twoPluginsClaimingOneSchemeIsAnErrorNamingBothJars() throws Exception {
        Path one = schemeJar(plugins.resolve("one.jar"), "com.example.one", "dup");
        Path two = schemeJar(plugins.resolve("two.jar"), "com.example.two", "dup");
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertEquals("two uploaders claim the scheme 'dup': com.example.one.F (plugin " + one
                + ") and com.example.two.F (plugin " + two + ")", e.getMessage());
    }

    @Test
    void theSameJarTwiceIsAnErrorToo() throws Exception {
        Path one = schemeJar(plugins.resolve("a.jar"), "com.example.same", "same");
        Path two = Files.copy(one, plugins.resolve("b.jar"));
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertTrue(e.getMessage().startsWith("two uploaders claim the scheme 'same': "), e.getMessage());
        assertTrue(e.getMessage().contains(one.toString()) && e.getMessage().contains(two.toString()), e.getMessage());
    }

    @Test
    void aCorruptJarIsAnErrorNamingTheJarAndTheCause() throws Exception {
        Path bad = Files.writeString(plugins.resolve("bad.jar"), "this is not a zip file");
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertTrue(e.getMessage().startsWith("plugin " + bad + " cannot be loaded: not a readable jar: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void aTruncatedJarIsAnError() throws Exception {
        Path good = schemeJar(work.resolve("good.jar"), "com.example.trunc", "trunc");
        byte[] bytes = Files.readAllBytes(good);
        Path bad = Files.write(plugins.resolve("truncated.jar"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertTrue(e.getMessage().startsWith("plugin " + bad + " cannot be loaded: "), e.getMessage());
    }

    @Test
    void aJarWithoutAFactoryIsAnError() throws Exception {
        Path jar = PluginJars.in(work)
                .source("com.example.lib.Util", "package com.example.lib; public final class Util {}")
                .writeTo(plugins.resolve("just-a-library.jar"));
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertEquals("plugin " + jar + " has no dev.lifeboat.spi.UploaderFactory in META-INF/services", e.getMessage());
    }

    @Test
    void aFolderWithoutAFactoryIsAnError() throws Exception {
        Path folder = Files.createDirectories(plugins.resolve("empty-plugin"));
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertEquals("plugin " + folder + " has no dev.lifeboat.spi.UploaderFactory in META-INF/services", e.getMessage());
    }

    @Test
    void aListedFactoryThatIsMissingIsAnError() throws Exception {
        Path jar = PluginJars.in(work)
                .source("com.example.m.Other", "package com.example.m; public final class Other {}")
                .factory("com.example.m.MissingFactory")
                .writeTo(plugins.resolve("missing.jar"));
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertTrue(e.getMessage().startsWith("plugin " + jar + " cannot be loaded: "), e.getMessage());
        assertTrue(e.getMessage().contains("com.example.m.MissingFactory"), e.getMessage());
    }

    @Test
    void aFactoryWhoseConstructorThrowsIsAnError() throws Exception {
        Path jar = PluginJars.in(work)
                .source("com.example.c.F", PluginJars.factorySource("com.example.c", "F", "ctor", "\"x\"", "", false)
                        .replace("public final class F implements UploaderFactory {",
                                "public final class F implements UploaderFactory {\n"
                                        + "  public F() { throw new IllegalStateException(\"no licence key\"); }"))
                .factory("com.example.c.F")
                .writeTo(plugins.resolve("ctor.jar"));
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertTrue(e.getMessage().startsWith("plugin " + jar + " cannot be loaded: "), e.getMessage());
        assertTrue(e.getMessage().contains("com.example.c.F"), e.getMessage());
    }

    @Test
    void aSchemeThatIsNotALowerCaseUriSchemeIsAnError() throws Exception {
        Path jar = schemeJar(plugins.resolve("upper.jar"), "com.example.u", "Web_Dav");
        PluginException e = assertThrows(PluginException.class, () -> UploaderRegistry.load(LIFEBOAT, plugins));
        assertTrue(e.getMessage().startsWith("plugin " + jar + ": com.example.u.F claims the scheme 'Web_Dav'"),
                e.getMessage());
    }

    @Test
    void aFactoryThatThrowsInCreateFailsWithOneLineNamingThePlugin() throws Exception {
        Path jar = PluginJars.in(work)
                .source("com.example.x.F", PluginJars.factorySource("com.example.x", "F", "boom", "\"x\"",
                        "if (true) throw new IllegalStateException(\"cannot reach the licence server\\nat line 2\");",
                        true))
                .factory("com.example.x.F")
                .writeTo(plugins.resolve("boom.jar"));
        UploaderFactory factory = UploaderRegistry.load(LIFEBOAT, plugins).find("boom");
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        IOException e = assertThrows(IOException.class, () -> factory.create(URI.create("boom:/x"), Map.of(), context()));
        assertEquals("plugin " + jar + ": cannot reach the licence server", e.getMessage());
        assertSame(before, Thread.currentThread().getContextClassLoader(), "the caller's TCCL is restored");
    }

    @Test
    void aPluginThatReachesForLifeboatsLibrariesFailsWithOneLineNamingThePlugin() throws Exception {
        // compiled against a stand-in of Guice left out of the jar, as if the plugin relied on Lifeboat's copy
        Path jar = PluginJars.in(work)
                .source("com.google.inject.Injector", "package com.google.inject; public interface Injector {}")
                .source("com.example.g.F", PluginJars.factorySource("com.example.g", "F", "guice", "\"x\"",
                        "com.google.inject.Injector.class.getName();", false))
                .factory("com.example.g.F")
                .omit("com/google/")
                .writeTo(plugins.resolve("guice.jar"));
        UploaderFactory factory = UploaderRegistry.load(LIFEBOAT, plugins).find("guice");
        IOException e = assertThrows(IOException.class, () -> factory.create(URI.create("guice:/x"), Map.of(), context()));
        assertEquals("plugin " + jar + ": NoClassDefFoundError: com/google/inject/Injector", e.getMessage());
    }

    @Test
    void describeNamesThePlugin() throws Exception {
        Path jar = schemeJar(plugins.resolve("d.jar"), "com.example.d", "desc");
        UploaderFactory factory = UploaderRegistry.load(LIFEBOAT, plugins).find("desc");
        assertEquals("com.example.d.F (plugin " + jar + ")", UploaderRegistry.describe(factory));
        assertEquals("com.example.d.F", UploaderRegistry.implementation(factory).getName());
    }
}
