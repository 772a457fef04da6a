package dev.lifeboat.uploader.hdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.lifeboat.spi.UploaderContext;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kerberos switched on where Java has no krb5.conf: one line at create(), not Hadoop's realm lookup failure. */
class TestHdfsKerberosWithoutKrb5Conf {
    @TempDir
    Path dir;

    @Test
    void saysWhatIsMissing() {
        assumeFalse(Files.exists(Path.of("/etc/krb5.conf")) || System.getProperty("java.security.krb5.conf") != null,
                "this machine has a Kerberos configuration");
        URI dest = URI.create("hdfs://127.0.0.1:9/logs");
        Map<String, String> options = Map.of("conf.hadoop.security.authentication", "kerberos");
        IOException e = assertThrows(IOException.class, () -> new HdfsUploaderFactory()
                .create(dest, options, new UploaderContext(dir, Map.of(), System.getLogger("test"))).close());
        assertEquals("Kerberos is enabled but Java finds no Kerberos configuration (no default realm): provide "
                + "/etc/krb5.conf or start Java with -Djava.security.krb5.conf=<file>", e.getMessage());
    }
}
