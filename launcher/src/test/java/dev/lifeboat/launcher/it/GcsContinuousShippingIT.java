package dev.lifeboat.launcher.it;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import dev.lifeboat.uploader.gcs.testserver.GcsTestServer;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Continuous shipping to {@code gs://} against the GCS JSON API test server in this JVM (pieces sealed by
 * compose); objects listed and read with the google-cloud-storage client.
 */
class GcsContinuousShippingIT extends AbstractContinuousShippingIT {
    private static final String BUCKET = "lifeboat-continuous";

    @RegisterExtension
    static final ClassServer<Gcs> GCS = new ClassServer<>(() -> Gcs.start(BUCKET));

    /** The test server with a bucket, and a client of it. */
    record Gcs(GcsTestServer server, Storage storage) implements AutoCloseable {
        static Gcs start(String bucket) throws Exception {
            GcsTestServer server = GcsTestServer.start();
            Storage storage = server.client();
            storage.create(BucketInfo.of(bucket));
            return new Gcs(server, storage);
        }

        @Override
        public void close() throws Exception {
            try {
                storage.close();
            } finally {
                server.close();
            }
        }
    }

    @Override
    protected String destination(String name) {
        return "gs://" + BUCKET + "/" + name;
    }

    @Override
    protected List<String> backendOptions() {
        return List.of("--set", GcsEndToEndIT.OPTION + "endpoint=" + GCS.get().server().endpoint(),
                "--set", GcsEndToEndIT.OPTION + "project=test");
    }

    @Override
    protected Set<String> keys() {
        Set<String> keys = new TreeSet<>();
        for (Blob blob : GCS.get().storage().list(BUCKET, Storage.BlobListOption.prefix(runFolder())).iterateAll()) {
            keys.add(blob.getName().substring(runFolder().length()));
        }
        return keys;
    }

    @Override
    protected byte[] read(String key) {
        BlobId id = BlobId.of(BUCKET, runFolder() + key);
        Storage storage = GCS.get().storage();
        return storage.get(id) == null ? null : storage.readAllBytes(id);
    }
}
