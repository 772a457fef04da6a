package dev.lifeboat.examples.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files in {@code examples/docker} a user copies: they parse, their pieces agree with each other (grace
 * periods under the runtimes' timeouts, exec form, the stop signal), and the options they give Lifeboat are
 * accepted by the real fat jar's {@code check}. Runs everywhere: no container runtime needed.
 */
@Timeout(120)
class ExampleFilesTest {
    static final Path EXAMPLES = Path.of(System.getProperty("lifeboat.examples.dir", "../docker")).toAbsolutePath().normalize();
    private static final Set<String> INSTRUCTIONS = Set.of("FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY",
            "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();
    /** The recommended launch: the distribution's script, as the image lifeboat:VERSION holds it. */
    private static final String LAUNCHER = "/opt/lifeboat/bin/lifeboat";
    private static final String VERSION = System.getProperty("lifeboat.version", "0.1.0-SNAPSHOT");
    /** A concrete image to copy Lifeboat from (prose may say lifeboat:VERSION). */
    private static final Pattern IMAGE_REFERENCE = Pattern.compile("--from=(lifeboat:\\d[^\\s`]*)");

    @TempDir
    Path tmp;

    @Test
    void dockerfileIsExecFormWithAnEntrypointEndingInDoubleDash() throws IOException {
        Map<String, String> dockerfile = dockerfile();
        assertEquals("debian:bookworm-slim", dockerfile.get("FROM"), "a glibc base without Java");
        assertEquals("SIGTERM", dockerfile.get("STOPSIGNAL"));
        List<String> entrypoint = execForm(dockerfile, "ENTRYPOINT");
        List<String> cmd = execForm(dockerfile, "CMD");
        assertEquals(LAUNCHER, entrypoint.get(0), "ENTRYPOINT is the distribution's launch script, which execs the JVM as PID 1");
        assertEquals("--", entrypoint.get(entrypoint.size() - 1), "ENTRYPOINT ends with --, so CMD is the child's command");
        assertEquals(List.of("/app/run.sh"), cmd);
        assertTrue(dockerfile.get("COPY").lines().anyMatch(("--from=lifeboat:" + VERSION + " /opt/lifeboat /opt/lifeboat")::equals),
                "COPY takes the whole distribution from this version's image: " + dockerfile.get("COPY"));
        assertTrue(Files.isExecutable(EXAMPLES.resolve("run.sh")), "run.sh, which COPY keeps as is, must be executable");
    }

    @Test
    void everyImageTheDocsCopyFromIsThisVersion() throws IOException {
        Path readme = EXAMPLES.resolve("../../README.md").normalize();
        Path examplesReadme = EXAMPLES.resolve("../README.md").normalize();
        List<String> found = new ArrayList<>();
        for (Path file : List.of(EXAMPLES.resolve("Dockerfile"), examplesReadme, readme)) {
            Matcher m = IMAGE_REFERENCE.matcher(Files.readString(file));
            while (m.find()) {
                found.add(m.group(1));
                assertEquals("lifeboat:" + VERSION, m.group(1), "the image " + file + " copies Lifeboat from");
            }
        }
        assertTrue(found.size() >= 3, "COPY --from=lifeboat:VERSION in the Dockerfile and both READMEs: " + found);
    }

    @Test
    void entrypointOptionsAreAcceptedByTheFatJar() throws Exception {
        List<String> options = lifeboatOptions(execForm(dockerfile(), "ENTRYPOINT"));
        Path archive = Files.createDirectories(tmp.resolve("archive"));
        replaceValue(options, "--destination", archive.toUri().toString());

        Podman.Result check = lifeboatCheck(options, Map.of());

        assertEquals(0, check.exit(), "lifeboat check " + options + ": " + check.out() + check.stderr());
        assertTrue(check.out().startsWith("ok: "), check.out());
    }

    @Test
    void composeFileParsesAndLeavesLifeboatItsGracePeriod() throws IOException {
        JsonNode compose = YAML.readTree(EXAMPLES.resolve("docker-compose.yml").toFile());
        JsonNode app = compose.at("/services/app");
        assertFalse(app.isMissingNode(), "services.app");
        assertEquals(".", required(app, "build"), "builds examples/docker/Dockerfile");
        Map<String, String> dockerfile = dockerfile();
        assertEquals(dockerfile.get("STOPSIGNAL"), required(app, "stop_signal"), "stop_signal");
        Duration stopGrace = duration(required(app, "stop_grace_period"));
        Duration lifeboatGrace = duration(value(lifeboatOptions(execForm(dockerfile, "ENTRYPOINT")), "--grace-period"));
        assertTrue(lifeboatGrace.plusSeconds(1).compareTo(stopGrace) <= 0,
                "--grace-period " + lifeboatGrace + " must stay under stop_grace_period " + stopGrace);
        assertTrue(app.get("volumes").toString().contains(":/archive"), "the file:// destination is a volume");
    }

    @Test
    void composeFileIsValidForDockerCompose() throws Exception {
        String dockerCompose = Podman.onPath("docker-compose");
        if (dockerCompose == null) {
            String why = "docker-compose is not installed (bash .ci/container-runtime.sh installs it): only the YAML parse ran";
            System.out.println("SKIPPED: " + why);
            Assumptions.abort(why);
        }
        Process process = new ProcessBuilder(dockerCompose, "--project-directory", EXAMPLES.toString(),
                "-f", EXAMPLES.resolve("docker-compose.yml").toString(), "config", "-q")
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "docker-compose config did not finish");
        assertEquals(0, process.exitValue(), "docker-compose config: " + output);
    }

    @Test
    void podManifestParsesAndLeavesLifeboatItsGracePeriod() throws IOException {
        Map<String, JsonNode> byKind = kubernetesObjects();
        JsonNode account = byKind.get("ServiceAccount");
        JsonNode pod = byKind.get("Pod");
        assertNotNull(account, "a ServiceAccount");
        assertNotNull(pod, "a Pod");
        assertEquals("v1", pod.get("apiVersion").asText());
        assertEquals(account.at("/metadata/name").asText(), pod.at("/spec/serviceAccountName").asText(), "the pod runs as the ServiceAccount");
        assertTrue(account.at("/metadata/annotations/eks.amazonaws.com~1role-arn").asText().startsWith("arn:aws:iam::"),
                "the ServiceAccount names an IAM role (IRSA)");

        JsonNode container = pod.at("/spec/containers/0");
        assertTrue(container.at("/lifecycle/preStop").isMissingNode(), "no preStop hook: Lifeboat handles SIGTERM itself");
        List<String> command = strings(container.get("command"));
        assertEquals(LAUNCHER, command.get(0), "exec form: the launch script, which execs the JVM as PID 1");
        assertEquals("--", command.get(command.size() - 1), "command ends with --, args is the child's command");
        assertEquals(List.of("/app/run.sh"), strings(container.get("args")));
        assertTrue(value(lifeboatOptions(command), "--destination").startsWith("s3://"), "an S3 destination");

        int termination = pod.at("/spec/terminationGracePeriodSeconds").asInt(-1);
        Duration lifeboatGrace = duration(value(lifeboatOptions(command), "--grace-period"));
        assertTrue(lifeboatGrace.plusSeconds(2).compareTo(Duration.ofSeconds(termination)) <= 0,
                "--grace-period " + lifeboatGrace + " must stay under terminationGracePeriodSeconds " + termination);
        assertEquals(container.at("/volumeMounts/0/name").asText(), pod.at("/spec/volumes/0/name").asText(), "the log volume");
    }

    @Test
    void podOptionsAreAcceptedByTheFatJar() throws Exception {
        JsonNode container = kubernetesObjects().get("Pod").at("/spec/containers/0");
        List<String> options = lifeboatOptions(strings(container.get("command")));
        // No S3 here: point the same options at a closed local port. Exit 1 ("the destination fails the
        // check") means every option was accepted; a configuration error would be exit 2.
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        options.addAll(List.of("--set", "s3.endpoint=http://127.0.0.1:" + closedPort));
        Map<String, String> env = Map.of("POD_NAME", "my-app", "POD_NAMESPACE", "default",
                "AWS_ACCESS_KEY_ID", "example-key-id", "AWS_SECRET_ACCESS_KEY", "example-secret", "AWS_EC2_METADATA_DISABLED", "true");

        Podman.Result check = lifeboatCheck(options, env);

        assertEquals(1, check.exit(), "lifeboat check " + options + ": " + check.out() + check.stderr());
        assertTrue(check.stderr().contains("cannot connect to http://127.0.0.1:" + closedPort), check.stderr());
    }

    /** Instructions by keyword, continuation lines joined, comments left out; repeated keywords joined by newlines. */
    static Map<String, String> dockerfile() throws IOException {
        Map<String, String> instructions = new LinkedHashMap<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(EXAMPLES.resolve("Dockerfile"))) {
            String trimmed = line.strip();
            if (current.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            String[] parts = current.toString().split("\\s+", 2);
            String keyword = parts[0].toUpperCase(Locale.ROOT);
            assertTrue(INSTRUCTIONS.contains(keyword), "not a Dockerfile instruction: " + current);
            instructions.merge(keyword, parts.length > 1 ? parts[1] : "", (a, b) -> a + "\n" + b);
            current.setLength(0);
        }
        assertTrue(current.isEmpty(), "the Dockerfile ends inside a continued line");
        return instructions;
    }

    /** The JSON array of an exec-form instruction; the shell form is an error here. */
    static List<String> execForm(Map<String, String> dockerfile, String keyword) throws IOException {
        String value = dockerfile.get(keyword);
        assertNotNull(value, "no " + keyword);
        assertTrue(value.startsWith("["), keyword + " is in shell form, which leaves /bin/sh -c as PID 1: " + value);
        return strings(JSON.readTree(value));
    }

    /** Lifeboat's options in a command line: what follows the launch script, up to "--". */
    static List<String> lifeboatOptions(List<String> command) {
        int launcher = command.indexOf(LAUNCHER);
        int end = command.lastIndexOf("--");
        assertTrue(launcher >= 0 && end > launcher, LAUNCHER + " [options] -- in " + command);
        return new ArrayList<>(command.subList(launcher + 1, end));
    }

    private Map<String, JsonNode> kubernetesObjects() throws IOException {
        Map<String, JsonNode> byKind = new LinkedHashMap<>();
        try (var parser = new YAMLFactory().createParser(EXAMPLES.resolve("pod.yaml").toFile())) {
            var documents = YAML.readValues(parser, JsonNode.class);
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                assertNull(byKind.put(document.get("kind").asText(), document), "two objects of kind " + document.get("kind"));
            }
        }
        return byKind;
    }

    private Podman.Result lifeboatCheck(List<String> options, Map<String, String> env) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Podman.JAR.toString(), "check"));
        command.addAll(options);
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(tmp.resolve("check.out").toFile()).redirectError(tmp.resolve("check.err").toFile());
        builder.environment().putAll(env);
        long start = System.nanoTime();
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("lifeboat check did not finish within 60 s");
        }
        return new Podman.Result(command, process.exitValue(), Files.readAllBytes(tmp.resolve("check.out")),
                Files.readString(tmp.resolve("check.err")), Duration.ofNanos(System.nanoTime() - start));
    }

    private static String required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        assertNotNull(value, "no " + field + " in " + node);
        return value.asText();
    }

    private static List<String> strings(JsonNode array) {
        assertTrue(array != null && array.isArray(), "expected a list of strings: " + array);
        List<String> values = new ArrayList<>();
        array.forEach(v -> {
            assertTrue(v.isTextual(), "not a string: " + v + " in " + array);
            values.add(v.asText());
        });
        return values;
    }

    private static String value(List<String> options, String option) {
        int i = options.indexOf(option);
        assertTrue(i >= 0 && i + 1 < options.size(), option + " in " + options);
        return options.get(i + 1);
    }

    private static void replaceValue(List<String> options, String option, String value) {
        options.set(options.indexOf(option) + 1, value);
    }

    /** 10s, 1m30s, 500ms: the forms the examples use. */
    static Duration duration(String text) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            end = m.end();
        }
        assertTrue(end == text.length() && end > 0, "not a duration: " + text);
        return total;
    }
}
