package dev.lifeboat.uploader.hdfs;

/**
 * The {@code hdfs://} uploader: {@code hdfs://namenode:8020/logs}, {@code hdfs://nameservice/logs} (HA,
 * resolved through the Hadoop configuration) or {@code hdfs:///logs} ({@code fs.defaultFS}). Options are
 * described in {@code docs/uploader-hdfs.md}.
 */
public final class HdfsUploaderFactory extends AbstractHadoopUploaderFactory {
    public HdfsUploaderFactory() {
        super("hdfs");
    }

    @Override
    public String description() {
        return "HDFS through Hadoop's client (Kerberos, HA nameservices, COMPOSITE_CRC verification)";
    }
}
