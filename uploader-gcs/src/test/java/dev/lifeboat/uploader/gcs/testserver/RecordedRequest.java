package dev.lifeboat.uploader.gcs.testserver;

import java.util.Locale;
import java.util.Map;

/**
 * A request as the test server saw it before reading its body: what fault rules and tests match on.
 *
 * @param method the HTTP method
 * @param path the decoded path, e.g. {@code /storage/v1/b/bucket/o/a/b.log}
 * @param query the decoded query parameters (first value of each)
 * @param headers the request headers, names in lower case (first value of each)
 */
public record RecordedRequest(String method, String path, Map<String, String> query, Map<String, String> headers) {

    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The {@code uploadType} parameter of an upload request, or null. */
    public String uploadType() {
        return query.get("uploadType");
    }

    /** A PUT into a resumable session that carries bytes (not a status query {@code bytes *}{@code /...}). */
    public boolean isResumableChunk() {
        String range = header("Content-Range");
        return "PUT".equals(method) && query.containsKey("upload_id") && range != null && !range.startsWith("bytes */");
    }

    /** A PUT into a resumable session whose Content-Range names the total size. */
    public boolean isFinalChunk() {
        String range = header("Content-Range");
        return "PUT".equals(method) && query.containsKey("upload_id") && range != null && !range.endsWith("/*");
    }

    /** The start of a resumable session. */
    public boolean isResumableStart() {
        return "POST".equals(method) && "resumable".equals(uploadType());
    }

    /** A compose request ({@code POST .../o/{object}/compose}). */
    public boolean isCompose() {
        return "POST".equals(method) && path.startsWith("/storage/v1/b/") && path.endsWith("/compose");
    }

    /** A compose request whose destination is the object {@code name}. */
    public boolean isComposeInto(String name) {
        return isCompose() && path.endsWith("/o/" + name + "/compose");
    }

    /** A media download ({@code alt=media}). */
    public boolean isMediaDownload() {
        return "GET".equals(method) && "media".equals(query.get("alt"));
    }

    /** Any request that writes object bytes: single-request uploads, session starts and session PUTs. */
    public boolean isUpload() {
        return path.startsWith("/upload/");
    }

    @Override
    public String toString() {
        String range = header("Content-Range");
        return method + " " + path + (query.isEmpty() ? "" : " " + query) + (range == null ? "" : " [" + range + "]");
    }
}
