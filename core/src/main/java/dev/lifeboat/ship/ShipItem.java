package dev.lifeboat.ship;

import java.nio.file.Path;

/**
 * One file to ship: its local path, the key under the run's folder, and what it is for the manifest.
 *
 * @param source the local file
 * @param key the key relative to the run's folder, e.g. {@code files/var/log/app/app.log}
 * @param origin the path the user knows it by (the matched path, or "stdout" / "stderr")
 * @param size the length measured at collection; exactly this many bytes are shipped
 */
public record ShipItem(Path source, String key, String origin, long size) {}
