package dev.lifeboat.ship;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The one rule that turns a local file's path into its key, and a key back into a path: {@code files/}
 * and the absolute path without its leading slash, each name taken as the raw bytes the file system holds
 * (not as the JVM decoded them, which depends on the locale and turns every byte that is not UTF-8 into
 * U+FFFD). Bytes that are valid UTF-8 stay as they are; each byte that is not, each control byte
 * (0x00 to 0x1F, 0x7F) and {@code %} itself are written {@code %XX} (upper-case hex). So two names never
 * share a key: {@code x-\xff.log} is {@code x-%FF.log}, {@code x-\xfe.log} is {@code x-%FE.log}, and a file
 * really named {@code x-%FF.log} is {@code x-%25FF.log}.
 */
public final class FileKeys {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private FileKeys() {}

    /** {@code files/<absolute path without the leading slash>}, encoded as above. */
    public static String keyFor(Path absolute) {
        Path p = absolute.toAbsolutePath().normalize();
        String s = p.toString();
        if (plain(s)) {
            return "files/" + s.substring(1);
        }
        StringBuilder key = new StringBuilder("files");
        for (String raw : p.toUri().getRawPath().split("/")) {
            if (!raw.isEmpty()) {
                key.append('/').append(encode(unescape(raw)));
            }
        }
        return key.toString();
    }

    /** Printable ASCII without {@code %}, starting with '/': the path's bytes are these characters. */
    private static boolean plain(String s) {
        if (!s.startsWith("/")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '%') {
                return false;
            }
        }
        return true;
    }

    /** One name's raw bytes as a key segment. */
    static String encode(byte[] name) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(name);
        CharBuffer chars = CharBuffer.allocate(name.length);
        StringBuilder out = new StringBuilder();
        while (in.hasRemaining()) {
            CoderResult result = utf8.decode(in, chars, true);
            chars.flip();
            while (chars.hasRemaining()) {
                char c = chars.get();
                if (c < 0x20 || c == 0x7f || c == '%') {
                    escape(out, (byte) c);
                } else {
                    out.append(c);
                }
            }
            chars.clear();
            if (result.isError()) {
                for (int i = 0; i < result.length(); i++) {
                    escape(out, in.get());
                }
            }
        }
        return out.toString();
    }

    private static void escape(StringBuilder out, byte b) {
        out.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
    }

    /** A key segment's raw bytes: the UTF-8 of its characters, each {@code %XX} the byte it stands for. */
    static byte[] decode(String segment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < segment.length()) {
            int pct = segment.indexOf('%', i);
            int end = pct < 0 ? segment.length() : pct;
            out.writeBytes(segment.substring(i, end).getBytes(StandardCharsets.UTF_8));
            if (pct < 0) {
                break;
            }
            int hi = pct + 2 < segment.length() ? Character.digit(segment.charAt(pct + 1), 16) : -1;
            int lo = hi < 0 ? -1 : Character.digit(segment.charAt(pct + 2), 16);
            if (lo < 0) {
                out.write('%'); // not an escape this rule writes: kept as it is
                i = pct + 1;
            } else {
                out.write(hi << 4 | lo);
                i = pct + 3;
            }
        }
        return out.toByteArray();
    }

    /**
     * The path under {@code dir} for {@code key}, each segment decoded to the raw bytes of its name.
     *
     * @throws InvalidPathException when a name cannot be a path (a NUL byte)
     */
    public static Path pathIn(Path dir, String key) {
        StringBuilder uri = new StringBuilder(dir.toAbsolutePath().normalize().toUri().getRawPath());
        if (uri.charAt(uri.length() - 1) != '/') {
            uri.append('/');
        }
        String[] segments = key.split("/");
        for (int s = 0; s < segments.length; s++) {
            byte[] raw = decode(segments[s]);
            for (byte b : raw) {
                if (b == 0) {
                    throw new InvalidPathException(key, "a name with a NUL byte");
                }
                if (isUnreserved(b)) {
                    uri.append((char) b);
                } else {
                    escape(uri, b);
                }
            }
            if (s < segments.length - 1) {
                uri.append('/');
            }
        }
        try {
            return Path.of(new URI("file://" + uri));
        } catch (URISyntaxException e) {
            throw new InvalidPathException(key, e.getMessage());
        }
    }

    private static boolean isUnreserved(byte b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '.'
                || b == '_' || b == '~';
    }

    /** The bytes a URI's raw path segment stands for. */
    private static byte[] unescape(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                out.write(Character.digit(raw.charAt(i + 1), 16) << 4 | Character.digit(raw.charAt(i + 2), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }
}
