package dev.lifeboat.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Expands the run-id template: {@code {hostname}}, {@code {start}} (UTC, e.g. 20261127T103000Z),
 * {@code {start-ms}} (epoch milliseconds), {@code {pid}}, {@code {random}} (6 random characters of
 * {@code [a-z0-9]}, new for every run), {@code {env:NAME}}. The result is a relative '/'-separated path;
 * characters outside {@code [A-Za-z0-9._-]} become '_'.
 *
 * <p>A run never takes a folder another run has: when the expanded id's folder is taken (in the spool, or
 * by a claim at the destination), the run takes {@link #suffixed} ids, {@code ID-2}, {@code ID-3}, ..., until
 * one is free.
 */
public final class RunId {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
    private static final DateTimeFormatter START = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private RunId() {}

    /** Checks the template: known placeholders, set environment variables. */
    public static void validate(String template, Map<String, String> env) {
        expand(template, env, Instant.EPOCH, "host", 1);
    }

    public static String expand(String template, Map<String, String> env, Instant start, String hostname, long pid) {
        return expand(template, env, start, hostname, pid, random());
    }

    /** Six random characters of {@code [a-z0-9]}. */
    static String random() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        return Long.toString(r.nextLong(36L * 36 * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36 * 36), 36);
    }

    /** The id a run takes when {@code runId}'s folder is taken, for the {@code n}th try (n from 2). */
    public static String suffixed(String runId, int n) {
        return runId + "-" + n;
    }

    static String expand(String template, Map<String, String> env, Instant start, String hostname, long pid,
            String random) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String value;
            if (name.equals("hostname")) {
                value = hostname;
            } else if (name.equals("start")) {
                value = START.format(start);
            } else if (name.equals("start-ms")) {
                value = Long.toString(start.toEpochMilli());
            } else if (name.equals("pid")) {
                value = Long.toString(pid);
            } else if (name.equals("random")) {
                value = random;
            } else if (name.startsWith("env:")) {
                value = env.get(name.substring(4));
                if (value == null || value.isEmpty()) {
                    throw new IllegalArgumentException("'" + template + "' uses {" + name + "} but " + name.substring(4)
                            + " is not set");
                }
            } else {
                throw new IllegalArgumentException("'" + template + "' has the unknown placeholder {" + name
                        + "}; known: {hostname}, {start}, {start-ms}, {pid}, {random}, {env:NAME}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        StringBuilder safe = new StringBuilder();
        for (String segment : out.toString().split("/")) {
            String s = segment.replaceAll("[^A-Za-z0-9._-]", "_");
            if (s.isEmpty() || s.equals(".") || s.equals("..")) {
                continue;
            }
            if (safe.length() > 0) {
                safe.append('/');
            }
            safe.append(s);
        }
        if (safe.length() == 0) {
            throw new IllegalArgumentException("'" + template + "' expands to an empty path");
        }
        return safe.toString();
    }

    /** The host name as the container sees it: $HOSTNAME, /etc/hostname, then the resolver. */
    public static String hostname(Map<String, String> env) {
        String h = env.get("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h.trim();
        }
        try {
            String fromFile = java.nio.file.Files.readString(java.nio.file.Path.of("/etc/hostname")).trim();
            if (!fromFile.isEmpty()) {
                return fromFile;
            }
        } catch (java.io.IOException e) {
            // fall through
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
