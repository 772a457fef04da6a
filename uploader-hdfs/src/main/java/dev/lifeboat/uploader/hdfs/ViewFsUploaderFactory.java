package dev.lifeboat.uploader.hdfs;

/**
 * The {@code viewfs://} uploader: a Hadoop mount table ({@code fs.viewfs.mounttable.*} in the configuration)
 * over HDFS. Same options as {@code hdfs}, under the same {@code hdfs.} prefix. Replacing an existing file is
 * a delete followed by a rename, because ViewFs offers no atomic overwriting rename.
 */
public final class ViewFsUploaderFactory extends AbstractHadoopUploaderFactory {
    public ViewFsUploaderFactory() {
        super("viewfs");
    }

    @Override
    public String description() {
        return "a Hadoop ViewFs mount table over HDFS";
    }
}
