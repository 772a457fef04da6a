package dev.lifeboat.uploader.hdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kerberos misconfigurations end in one clear line. No KDC runs here: these are the failures that happen
 * before one is needed. (Hadoop's security mode is per JVM, hence a class of its own.)
 */
class TestHdfsKerberosErrors {
    @TempDir
    static Path krb5;

    @TempDir
    Path dir;

    /** A realm whose KDC does not exist: enough for Java to know a default realm. */
    @BeforeAll
    static void krb5Conf() throws IOException {
        Path conf = Files.writeString(krb5.resolve("krb5.conf"), String.join("\n",
                "[libdefaults]",
                "  default_realm = EXAMPLE.COM",
                "  default_ccache_name = FILE:" + krb5.resolve("no-such-ccache"),
                "[realms]",
                "  EXAMPLE.COM = {",
                "    kdc = 127.0.0.1:9",
                "  }",
                ""));
        System.setProperty("java.security.krb5.conf", conf.toString());
    }

    private UploaderContext context() {
        return new UploaderContext(dir, Map.of(), System.getLogger("test"));
    }

    @Test
    void kerberosWithoutCredentials() throws Exception {
        URI dest = URI.create("hdfs://127.0.0.1:9/logs");
        Map<String, String> options = Map.of("conf.hadoop.security.authentication", "kerberos");
        HdfsUploaderFactory factory = new HdfsUploaderFactory();
        factory.validate(dest, options);
        IOException e;
        try (Uploader u = factory.create(dest, options, context())) {
            e = assertThrows(IOException.class, () -> u.check(UploadControl.withTimeout(Duration.ofSeconds(30))));
        }
        System.out.println("without credentials: " + e.getMessage());
        assertEquals("no Kerberos credentials for hdfs://127.0.0.1:9/logs: set hdfs.kerberos-principal and "
                + "hdfs.kerberos-keytab, or provide a ticket cache (kinit)", e.getMessage());
    }

    @Test
    void aUserOptionWithKerberosIsRefused() throws Exception {
        URI dest = URI.create("hdfs://127.0.0.1:9/logs");
        Map<String, String> options = Map.of("conf.hadoop.security.authentication", "kerberos", "user", "alice");
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> new HdfsUploaderFactory().create(dest, options, context()).close());
        assertEquals("user", e.key());
    }

    @Test
    void aKeytabThatDoesNotHoldThePrincipal() throws Exception {
        Path keytab = Files.write(dir.resolve("bogus.keytab"), new byte[] {5, 2, 0, 0, 0, 0});
        URI dest = URI.create("hdfs://127.0.0.1:9/logs");
        Map<String, String> options = Map.of("kerberos-principal", "lifeboat@EXAMPLE.COM",
                "kerberos-keytab", keytab.toString());
        HdfsUploaderFactory factory = new HdfsUploaderFactory();
        factory.validate(dest, options);
        IOException e = assertThrows(IOException.class, () -> factory.create(dest, options, context()).close());
        System.out.println("bad keytab: " + e.getMessage());
        assertEquals("Kerberos login as lifeboat@EXAMPLE.COM with keytab " + keytab + " failed: the keytab holds no "
                + "usable key for this principal", e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
