package dev.lifeboat.uploader.hdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.UploaderFactory;
import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every option's default and parsing, the client tuning, and the order in which configuration applies. */
class TestHdfsOptions {
    @TempDir
    Path dir;

    private static HdfsOptions parse(Map<String, String> options) throws InvalidOptionException {
        return HdfsOptions.parse(options);
    }

    private static void assertInvalid(String key, Map<String, String> options, String messagePart) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> parse(options), options.toString());
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    @Test
    void keys() {
        assertEquals(Set.of("config-dir", "conf.", "user", "kerberos-principal", "kerberos-keytab", "replication",
                "block-size", "permission", "dir-permission"), new HdfsUploaderFactory().optionKeys());
        assertEquals(new HdfsUploaderFactory().optionKeys(), new ViewFsUploaderFactory().optionKeys());
        assertEquals("hdfs", new HdfsUploaderFactory().scheme());
        assertEquals("viewfs", new ViewFsUploaderFactory().scheme());
    }

    @Test
    void defaults() throws Exception {
        HdfsOptions o = parse(Map.of());
        assertEquals(Optional.empty(), o.configDir, "HADOOP_CONF_DIR is read when the uploader is created");
        assertEquals(Map.of(), o.conf);
        assertEquals(Optional.empty(), o.user, "the process's Hadoop user (HADOOP_USER_NAME or the OS user)");
        assertEquals(Optional.empty(), o.kerberosPrincipal);
        assertEquals(Optional.empty(), o.kerberosKeytab);
        assertEquals(Optional.empty(), o.replication, "dfs.replication of the configuration");
        assertEquals(Optional.empty(), o.blockSize, "dfs.blocksize of the configuration");
        assertEquals(Optional.empty(), o.permission, "0666 less fs.permissions.umask-mode");
        assertEquals(Optional.empty(), o.dirPermission, "0777 less fs.permissions.umask-mode");
    }

    @Test
    void explicitValues() throws Exception {
        Path keytab = Files.writeString(dir.resolve("lifeboat.keytab"), "not really a keytab");
        Map<String, String> options = new HashMap<>();
        options.put("config-dir", dir.toString());
        options.put("conf.dfs.client.socket-timeout", "30000");
        options.put("conf.dfs.checksum.type", "crc32c");
        options.put("kerberos-principal", "lifeboat/_HOST@EXAMPLE.COM");
        options.put("kerberos-keytab", keytab.toString());
        options.put("replication", "3");
        options.put("block-size", "256MiB");
        options.put("permission", "0640");
        HdfsOptions o = parse(options);
        assertEquals(Optional.of(dir), o.configDir);
        assertEquals(Map.of("dfs.client.socket-timeout", "30000", "dfs.checksum.type", "crc32c"), o.conf);
        assertEquals(Optional.of("lifeboat/_HOST@EXAMPLE.COM"), o.kerberosPrincipal);
        assertEquals(Optional.of(keytab), o.kerberosKeytab);
        assertEquals(Optional.of((short) 3), o.replication);
        assertEquals(Optional.of(256L << 20), o.blockSize);
        assertEquals(Optional.of((short) 0640), o.permission);
        assertEquals(Optional.of((short) 0750), o.dirPermission);
        assertEquals(Optional.of("alice"), parse(Map.of("user", " alice ")).user);
    }

    @Test
    void blockSizes() throws Exception {
        Map<String, Long> good = new LinkedHashMap<>();
        good.put("134217728", 134217728L);
        good.put("128MiB", 128L << 20);
        good.put("128 mib", 128L << 20);
        good.put("1GiB", 1L << 30);
        good.put("512KiB", 512L << 10);
        good.put("1024", 1024L);
        good.put("10MiB", 10_485_760L);
        good.put("64MB", 64_000_000L);
        for (var e : good.entrySet()) {
            assertEquals(Optional.of(e.getValue()), parse(Map.of("block-size", e.getKey())).blockSize, e.getKey());
        }
        for (String bad : new String[] {"abc", "0", "-1", "1.5MiB", "1000", "99999999999999999999"}) {
            assertInvalid("block-size", Map.of("block-size", bad), bad.equals("1000") ? "multiple of 512" : "expected a positive size");
        }
        assertInvalid("block-size", Map.of("block-size", "10MB"), "multiple of 512 bytes (the checksum chunk), got 10000000");
    }

    @Test
    void blockSizeUnitsAreSiOrIecAndABareUnitLetterIsRefused() {
        for (String ambiguous : new String[] {"10M", "128m", "1g", "512k"}) {
            assertInvalid("block-size", Map.of("block-size", ambiguous), "'" + ambiguous + "' is ambiguous: write ");
        }
        assertInvalid("block-size", Map.of("block-size", "10M"),
                "'10M' is ambiguous: write 10MiB (2^20 bytes each) or 10MB (10^6 bytes each)");
    }

    @Test
    void replication() {
        for (String bad : new String[] {"abc", "0", "-1", "513", "1.0"}) {
            assertInvalid("replication", Map.of("replication", bad), "expected a whole number from 1 to 512");
        }
    }

    @Test
    void permissions() throws Exception {
        assertEquals(Optional.of((short) 0755), parse(Map.of("permission", "644")).dirPermission);
        assertEquals(Optional.of((short) 0700), parse(Map.of("permission", "600")).dirPermission);
        assertEquals(Optional.of((short) 0751), parse(Map.of("permission", "644", "dir-permission", "751")).dirPermission);
        assertEquals(Optional.of((short) 0711), parse(Map.of("dir-permission", "711")).dirPermission);
        assertEquals(Optional.empty(), parse(Map.of("dir-permission", "711")).permission);
        assertEquals((short) 01755, HdfsOptions.directoryMode((short) 01644));
        for (String bad : new String[] {"999", "64", "abc", "rw-r--r--", "08644", "17777"}) {
            assertInvalid("permission", Map.of("permission", bad), "expected an octal mode such as 644");
        }
        assertInvalid("dir-permission", Map.of("dir-permission", "8"), "octal");
    }

    @Test
    void kerberos() throws Exception {
        assertInvalid("kerberos-keytab", Map.of("kerberos-principal", "a@B"), "required with kerberos-principal");
        Path keytab = Files.writeString(dir.resolve("k.keytab"), "x");
        assertInvalid("kerberos-principal", Map.of("kerberos-keytab", keytab.toString()), "required with kerberos-keytab");
        assertInvalid("kerberos-keytab", Map.of("kerberos-principal", "a@B", "kerberos-keytab",
                dir.resolve("missing.keytab").toString()), "no such file: ");
        assertInvalid("kerberos-principal", Map.of("kerberos-principal", "a b@C", "kerberos-keytab", keytab.toString()),
                "no spaces");
        assertInvalid("user", Map.of("user", "alice", "kerberos-principal", "a@B", "kerberos-keytab", keytab.toString()),
                "cannot be combined with kerberos-principal");
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads every file");
        Files.setPosixFilePermissions(keytab, PosixFilePermissions.fromString("---------"));
        assertInvalid("kerberos-keytab", Map.of("kerberos-principal", "a@B", "kerberos-keytab", keytab.toString()),
                "not readable");
    }

    @Test
    void otherOptions() throws Exception {
        assertInvalid("config-dir", Map.of("config-dir", dir.resolve("nope").toString()), "not a directory");
        Path file = Files.writeString(dir.resolve("core-site.xml"), "<configuration/>");
        assertInvalid("config-dir", Map.of("config-dir", file.toString()), "not a directory");
        assertInvalid("user", Map.of("user", "two words"), "without spaces");
        assertInvalid("conf.", Map.of("conf.", "x"), "name a Hadoop property");
        assertInvalid("conf.dfs.checksum.type", Map.of("conf.dfs.checksum.type", "CRC32"), "CRC32C");
        assertInvalid("conf.dfs.checksum.combine.mode", Map.of("conf.dfs.checksum.combine.mode", "MD5MD5CRC"),
                "COMPOSITE_CRC");
        assertInvalid("no-such-option", Map.of("no-such-option", "1"), "unknown option");
        assertEquals(Optional.empty(), parse(Map.of("replication", " ")).replication, "a blank value is unset");
    }

    @Test
    void destinations() throws Exception {
        UploaderFactory hdfs = new HdfsUploaderFactory();
        for (String good : new String[] {"hdfs://nn:8020/logs", "hdfs://nameservice/logs/app", "hdfs:///logs",
                "hdfs://nn/", "HDFS://nn/logs"}) {
            hdfs.validate(URI.create(good), Map.of());
        }
        for (String bad : new String[] {"hdfs:logs", "hdfs://nn", "hdfs://nn/logs?x=1", "hdfs://nn/logs#f",
                "hdfs://nn/a/../b", "hdfs://nn/a:b", "s3://bucket/logs", "viewfs://cluster/logs"}) {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> hdfs.validate(URI.create(bad), Map.of()), bad);
            assertEquals(null, e.key(), "the destination, not an option, is at fault: " + bad);
        }
        new ViewFsUploaderFactory().validate(URI.create("viewfs://cluster/logs"), Map.of());
    }

    @Test
    void tuningDefaults() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("ipc.client.connect.timeout", "5000");
        expected.put("ipc.client.connect.max.retries", "1");
        expected.put("ipc.client.connect.retry.interval", "250");
        expected.put("ipc.client.connect.max.retries.on.timeouts", "1");
        expected.put("ipc.client.rpc-timeout.ms", "20000");
        expected.put("dfs.client.retry.policy.enabled", "false");
        expected.put("dfs.client.failover.max.attempts", "4");
        expected.put("dfs.client.failover.sleep.base.millis", "100");
        expected.put("dfs.client.failover.sleep.max.millis", "1000");
        expected.put("dfs.client.failover.connection.retries", "0");
        expected.put("dfs.client.failover.connection.retries.on.timeouts", "0");
        expected.put("dfs.client.socket-timeout", "15000");
        expected.put("dfs.datanode.socket.write.timeout", "15000");
        expected.put("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "20");
        expected.put("dfs.client.block.write.locateFollowingBlock.max.delay.ms", "1000");
        expected.put("dfs.client.block.write.locateFollowingBlock.retries", "10");
        expected.put("dfs.client.block.write.replace-datanode-on-failure.best-effort", "true");
        expected.put("fs.automatic.close", "false");
        assertEquals(expected, HdfsClientTuning.DEFAULTS);
        assertEquals(Map.of("dfs.checksum.combine.mode", "COMPOSITE_CRC", "dfs.checksum.type", "CRC32C"),
                HdfsClientTuning.FORCED);
    }

    @Test
    void configurationPrecedence() throws Exception {
        Path confDir = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(confDir.resolve("core-site.xml"), "<configuration>"
                + "<property><name>ipc.client.connect.max.retries</name><value>50</value></property>"
                + "<property><name>site.only</name><value>core</value></property>"
                + "<property><name>dfs.client.socket-timeout</name><value>120000</value></property>"
                + "</configuration>");
        Files.writeString(confDir.resolve("hdfs-site.xml"), "<configuration>"
                + "<property><name>dfs.replication</name><value>2</value></property>"
                + "</configuration>");
        Configuration conf = HdfsUploader.configuration(parse(Map.of("config-dir", confDir.toString(),
                "conf.dfs.client.socket-timeout", "30000")), Map.of());
        assertEquals("core", conf.get("site.only"), "site files are read");
        assertEquals("2", conf.get("dfs.replication"), "hdfs-site.xml is read");
        assertEquals("1", conf.get("ipc.client.connect.max.retries"), "the tuning overrides site files");
        assertEquals("30000", conf.get("dfs.client.socket-timeout"), "conf.* overrides the tuning");
        assertEquals("COMPOSITE_CRC", conf.get("dfs.checksum.combine.mode"));
        assertEquals("false", conf.get("fs.automatic.close"));

        Configuration fromEnv = HdfsUploader.configuration(parse(Map.of()), Map.of("HADOOP_CONF_DIR", confDir.toString()));
        assertEquals("core", fromEnv.get("site.only"), "HADOOP_CONF_DIR is the default config-dir");
        Path other = Files.createDirectories(dir.resolve("other"));
        Configuration explicit = HdfsUploader.configuration(parse(Map.of("config-dir", other.toString())),
                Map.of("HADOOP_CONF_DIR", confDir.toString()));
        assertEquals(null, explicit.get("site.only"), "config-dir wins over HADOOP_CONF_DIR");

        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> HdfsUploader.configuration(
                parse(Map.of()), Map.of("HADOOP_CONF_DIR", dir.resolve("absent").toString())));
        assertEquals("config-dir", e.key());
        Files.writeString(other.resolve("core-site.xml"), "<configuration><property>");
        e = assertThrows(InvalidOptionException.class, () -> HdfsUploader.configuration(
                parse(Map.of("config-dir", other.toString())), Map.of()));
        assertEquals("config-dir", e.key());
        assertTrue(e.getMessage().startsWith("cannot read the Hadoop configuration in " + other), e.getMessage());
        assertEquals("kerberos", HdfsUploader.configuration(parse(Map.of("kerberos-principal", "a@B",
                "kerberos-keytab", Files.writeString(dir.resolve("kt"), "x").toString())), Map.of())
                .get("hadoop.security.authentication"));
    }

    /** Lifeboat loads every factory before the child starts: no Hadoop class may load until create(). */
    @Test
    void theFactoryLoadsNoHadoopClass() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(new File(entry).toURI().toURL());
        }
        List<String> hadoop = new ArrayList<>();
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.startsWith("org.apache.hadoop.")) {
                    hadoop.add(name);
                }
                return super.loadClass(name, resolve);
            }
        }) {
            for (String name : new String[] {HdfsUploaderFactory.class.getName(), ViewFsUploaderFactory.class.getName()}) {
                Class<?> factoryClass = loader.loadClass(UploaderFactory.class.getName());
                Object factory = Class.forName(name, true, loader).getConstructor().newInstance();
                factoryClass.getMethod("scheme").invoke(factory);
                factoryClass.getMethod("description").invoke(factory);
                factoryClass.getMethod("optionKeys").invoke(factory);
                factoryClass.getMethod("checkBeforeChild").invoke(factory);
                String scheme = (String) factoryClass.getMethod("scheme").invoke(factory);
                factoryClass.getMethod("validate", URI.class, Map.class).invoke(factory,
                        URI.create(scheme + "://nn:8020/logs"), Map.of("replication", "2", "permission", "644",
                                "conf.dfs.client.socket-timeout", "1000"));
            }
        }
        assertEquals(List.of(), hadoop);
        assertFalse(new HdfsUploaderFactory().checkBeforeChild(), "check() talks to the namenode");
    }
}
