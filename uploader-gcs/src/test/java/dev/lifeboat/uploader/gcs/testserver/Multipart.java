package dev.lifeboat.uploader.gcs.testserver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Parses a {@code multipart/related} body as the JSON API's multipart upload sends it. */
final class Multipart {
    private Multipart() {}

    static List<GcsTestServer.Part> parse(String contentType, byte[] body) {
        String boundary = boundary(contentType);
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        List<GcsTestServer.Part> parts = new ArrayList<>();
        int pos = indexOf(body, delimiter, 0);
        if (pos < 0) {
            throw new GcsTestServer.ApiError(400, "Multipart body without its boundary");
        }
        while (true) {
            pos += delimiter.length;
            if (pos + 1 < body.length && body[pos] == '-' && body[pos + 1] == '-') {
                return parts; // closing delimiter
            }
            pos = skipLineEnd(body, pos);
            int headerEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), pos);
            Map<String, String> headers = new LinkedHashMap<>();
            int contentStart;
            if (headerEnd < 0) {
                throw new GcsTestServer.ApiError(400, "Multipart part without a header end");
            }
            String head = new String(body, pos, headerEnd - pos, StandardCharsets.ISO_8859_1);
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
                }
            }
            contentStart = headerEnd + 4;
            byte[] next = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            int end = indexOf(body, next, contentStart);
            if (end < 0) {
                throw new GcsTestServer.ApiError(400, "Multipart part without its closing boundary");
            }
            byte[] content = Arrays.copyOfRange(body, contentStart, end);
            if ("base64".equalsIgnoreCase(headers.get("content-transfer-encoding"))) {
                content = Base64.getMimeDecoder().decode(content);
            }
            parts.add(new GcsTestServer.Part(headers, content));
            pos = end + 2;
        }
    }

    private static String boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/related")) {
            throw new GcsTestServer.ApiError(400, "Expected multipart/related, got " + contentType);
        }
        for (String param : contentType.split(";")) {
            String p = param.trim();
            if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                String b = p.substring("boundary=".length());
                if (b.startsWith("\"") && b.endsWith("\"") && b.length() >= 2) {
                    b = b.substring(1, b.length() - 1);
                }
                return b;
            }
        }
        throw new GcsTestServer.ApiError(400, "multipart/related without a boundary");
    }

    private static int skipLineEnd(byte[] body, int pos) {
        while (pos < body.length && (body[pos] == ' ' || body[pos] == '\t')) {
            pos++;
        }
        if (pos + 1 < body.length && body[pos] == '\r' && body[pos + 1] == '\n') {
            return pos + 2;
        }
        if (pos < body.length && body[pos] == '\n') {
            return pos + 1;
        }
        return pos;
    }

    static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = Math.max(0, from); i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
