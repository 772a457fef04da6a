package dev.lifeboat.plugin;

import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Builds small plugin jars for tests: Java sources compiled against the SPI alone, packed with a services file. */
final class PluginJars {
    private final Path work;
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final List<String> factories = new ArrayList<>();
    private final List<String> omitted = new ArrayList<>();
    private String version;

    private PluginJars(Path work) {
        this.work = work;
    }

    /** A new jar built in a fresh folder under {@code work}. */
    static PluginJars in(Path work) {
        return new PluginJars(work);
    }

    /** Adds a class; {@code className} is the fully qualified name. */
    PluginJars source(String className, String code) {
        sources.put(className, code);
        return this;
    }

    /** Lists {@code className} in META-INF/services/dev.lifeboat.spi.UploaderFactory. */
    PluginJars factory(String className) {
        factories.add(className);
        return this;
    }

    /** Sets the manifest's Implementation-Version. */
    PluginJars version(String value) {
        version = value;
        return this;
    }

    /** Compiles the classes under {@code prefix} (e.g. {@code "com/google/"}) but leaves them out of the jar. */
    PluginJars omit(String prefix) {
        omitted.add(prefix);
        return this;
    }

    /** Compiles the sources and writes the jar to {@code jar}. */
    Path writeTo(Path jar) throws IOException {
        Path build = Files.createTempDirectory(work, "build");
        Path src = build.resolve("src");
        Path classes = Files.createDirectories(build.resolve("classes"));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-proc:none", "-d", classes.toString(),
                "-classpath", spiClassPath()));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            args.add(file.toString());
        }
        if (!sources.isEmpty()) {
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            if (javac.run(null, null, null, args.toArray(new String[0])) != 0) {
                throw new IllegalStateException("test plugin sources do not compile: " + sources.keySet());
            }
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (version != null) {
            manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        }
        Files.createDirectories(jar.toAbsolutePath().getParent());
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            if (!factories.isEmpty()) {
                out.putNextEntry(new JarEntry("META-INF/services/" + UploaderFactory.class.getName()));
                out.write((String.join("\n", factories) + "\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(classes)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path file : files) {
                String name = classes.relativize(file).toString().replace('\\', '/');
                if (omitted.stream().anyMatch(name::startsWith)) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                try (OutputStream entry = new NonClosing(out)) {
                    Files.copy(file, entry);
                }
                out.closeEntry();
            }
        }
        return jar;
    }

    private static String spiClassPath() {
        try {
            return Path.of(UploaderFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- sources of typical test plugins -----------------------------------------------------------

    /**
     * A factory for {@code scheme} in package {@code pkg} whose uploader reports, as the location of
     * every upload, {@code <body>} evaluated inside the plugin (a Java expression of type String).
     */
    static String factorySource(String pkg, String simpleName, String scheme, String body, String createBody,
            boolean checkBeforeChild) {
        return "package " + pkg + ";\n"
                + "import dev.lifeboat.spi.*;\n"
                + "import java.net.URI;\n"
                + "import java.util.*;\n"
                + "public final class " + simpleName + " implements UploaderFactory {\n"
                + "  public String scheme() { return \"" + scheme + "\"; }\n"
                + "  public Set<String> optionKeys() { return Set.of(); }\n"
                + "  public boolean checkBeforeChild() { return " + checkBeforeChild + "; }\n"
                + "  public Uploader create(URI destination, Map<String, String> options, UploaderContext context) {\n"
                + "    " + createBody + "\n"
                + "    final boolean tcclAtCreate = Thread.currentThread().getContextClassLoader() == "
                + simpleName + ".class.getClassLoader();\n"
                + "    return new Uploader() {\n"
                + "      public void check(UploadControl control) {}\n"
                + "      public UploadResult upload(SourceFile source, String key, UploadControl control) {\n"
                + "        boolean tccl = Thread.currentThread().getContextClassLoader() == "
                + simpleName + ".class.getClassLoader();\n"
                + "        return UploadResult.unverified(" + body + " + \"|create-tccl=\" + tcclAtCreate"
                + " + \"|upload-tccl=\" + tccl, source.size());\n"
                + "      }\n"
                + "      public void close() {}\n"
                + "    };\n"
                + "  }\n"
                + "}\n";
    }

    /** An {@link OutputStream} whose close() leaves the jar stream open. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
