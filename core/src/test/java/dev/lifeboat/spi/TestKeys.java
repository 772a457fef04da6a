package dev.lifeboat.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class TestKeys {
    @Test
    void acceptsPathsWithSpacesPunctuationAndUnicode() throws InvalidKeyException {
        for (String key : new String[] {"a", "run-1/stdout.log", "files/var/log/app 1.log", "a/b/c/d/e.txt",
                "weird/#%&+=,;:@!$'()[]{}~`^\\*?\"<>|.log", "ünïcødé/日本語.log", "emoji/\uD83D\uDE80.log",
                "...", "a/..b/c..", ".hidden/.x", "a/-/_"}) {
            assertSame(key, Keys.check(key), key);
        }
    }

    @Test
    void refusesEachBrokenRuleWithOneLineNamingTheKeyAndWhy() {
        assertRefused(null, "invalid key 'null': no key");
        assertRefused("", "invalid key '': empty");
        assertRefused("/abs.log", "invalid key '/abs.log': leading '/'");
        assertRefused("/", "invalid key '/': leading '/'");
        assertRefused("dir/", "invalid key 'dir/': trailing '/'");
        assertRefused("a//b.log", "invalid key 'a//b.log': empty segment");
        assertRefused("a/./b", "invalid key 'a/./b': '.' segment");
        assertRefused(".", "invalid key '.': '.' segment");
        assertRefused("../escape.log", "invalid key '../escape.log': '..' segment");
        assertRefused("a/../../escape.log", "invalid key 'a/../../escape.log': '..' segment");
        assertRefused("a/..", "invalid key 'a/..': '..' segment");
    }

    @Test
    void refusesControlCharactersAndShowsThemEscaped() {
        assertRefused("a\0b", "invalid key 'a\\u0000b': control character U+0000");
        assertRefused("line\nbreak", "invalid key 'line\\u000Abreak': control character U+000A");
        assertRefused("tab\there", "invalid key 'tab\\u0009here': control character U+0009");
        assertRefused("x\u001f", "invalid key 'x\\u001F': control character U+001F");
        assertRefused("del\u007f", "invalid key 'del\\u007F': control character U+007F");
        assertRefused("bad\uD800surrogate", "invalid key 'bad\\uD800surrogate': unpaired surrogate U+D800");
        assertRefused("\uDC00", "invalid key '\\uDC00': unpaired surrogate U+DC00");
    }

    @Test
    void theLimitIs1024BytesOfUtf8NotCharacters() throws InvalidKeyException {
        String ascii = "a".repeat(1024);
        assertSame(ascii, Keys.check(ascii));
        String twoByte = "é".repeat(512); // 512 characters, 1024 bytes
        assertSame(twoByte, Keys.check(twoByte));
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> Keys.check(twoByte + "x"));
        assertTrue(e.getMessage().endsWith("': 1025 bytes in UTF-8, more than 1024"), e.getMessage());
        assertTrue(e.getMessage().contains("... (513 characters)"), "a long key is cut in the message: " + e.getMessage());
        assertThrows(InvalidKeyException.class, () -> Keys.check("a".repeat(1025)));
    }

    @Test
    void theExceptionIsAnIOExceptionCarryingTheKeyAndTheReason() {
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> Keys.check("a//b"));
        assertTrue(e instanceof IOException);
        assertEquals("a//b", e.key());
        assertEquals("empty segment", e.reason());
        assertNull(assertThrows(InvalidKeyException.class, () -> Keys.check(null)).key());
    }

    private static void assertRefused(String key, String message) {
        InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> Keys.check(key), String.valueOf(key));
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
