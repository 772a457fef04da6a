package dev.lifeboat.lifecycle;

import dev.lifeboat.ship.Manifest;
import dev.lifeboat.ship.ShipItem;
import dev.lifeboat.ship.Shipper;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/**
 * The shipping side of a run, the one way every run ends: the uploader, made ready ahead of need, and
 * the shipper. Built once the child runs (for {@code lifeboat upload}, at once), so that nothing of it
 * delays the child's start.
 */
public final class Shutdown {
    private final UploaderService uploaders;
    private final Shipper shipper;

    @Inject
    Shutdown(UploaderService uploaders, Shipper shipper) {
        this.uploaders = uploaders;
        this.shipper = shipper;
    }

    /** While the child runs: create and check the uploader, load what shipping needs. */
    void prepare() {
        uploaders.warmUp();
        shipper.prepare();
    }

    /** Ships, writes the manifest and closes the uploader, within the started budget. */
    Shipper.Outcome ship(List<ShipItem> captured, Map<String, Long> droppedBytes, Manifest.Ending ending)
            throws InterruptedException {
        try {
            return shipper.ship(uploaders, captured, droppedBytes, ending);
        } finally {
            uploaders.close();
        }
    }
}
