package dev.lifeboat.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TestRedact {
    @Test
    void theUserInfoOfEveryUriIsHidden() {
        assertEquals("hdfs://***@nn:8020/logs", Redact.text("hdfs://u:PASSWORD@nn:8020/logs"));
        assertEquals("cannot ship to s3://***@bucket/p: denied", Redact.text("cannot ship to s3://AKIA:PASSWORD@bucket/p: denied"));
        assertEquals("gs://***@bucket", Redact.text("gs://PASSWORD@bucket"));
        assertEquals("file://***@/archive", Redact.text("file://u:PASSWORD@/archive"));
        assertEquals("'webdav://***@dav.example:8080/x' and 'http://***@h/'",
                Redact.text("'webdav://u:PASS@WORD@dav.example:8080/x' and 'http://a:b@h/'"));
        assertEquals("{\"location\":\"hdfs://***@nn/r/stdout.log\"}",
                Redact.text("{\"location\":\"hdfs://u:PASSWORD@nn/r/stdout.log\"}"));
    }

    @Test
    void aRememberedDestinationsSecretIsHiddenWhereverItIsQuoted() {
        Redact.remember(java.net.URI.create("gs://u:S3cretPart@bucket/p"));
        assertEquals("'***@bucket' is not a valid bucket name; *** again",
                Redact.text("'u:S3cretPart@bucket' is not a valid bucket name; S3cretPart again"));
    }

    @Test
    void whatHasNoUserInfoIsLeftAsItIs() {
        for (String s : new String[] {"s3://bucket/a@b.log", "mail me@example.com", "file:///var/log/x@2", "gs://b/p?x=@",
                "hdfs://nn:8020/logs", null}) {
            assertEquals(s, Redact.text(s));
        }
    }

    @Test
    void logLinesAndDebugStackTracesHideIt() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Log log = new Log(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, false);
        log.info("destination hdfs://u:PASSWORD@nn/x is ready");
        log.error("cannot ship", new IOException("connect to webdav://u:PASSWORD@dav/x failed",
                new IllegalStateException("s3://k:PASSWORD@b")));
        log.debug("gs://PASSWORD@bucket");
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("PASSWORD"), out);
        assertTrue(out.contains("hdfs://***@nn/x") && out.contains("webdav://***@dav/x") && out.contains("at dev.lifeboat"),
                out);
    }
}
