package dev.lifeboat.ship;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.base.RunInfo;
import dev.lifeboat.config.RunId;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.Uploader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * No run writes into another run's folder, in the spool or at the destination, whatever the run-id
 * template: a run takes its folders by creating them (the spool folder with mkdir, the destination's with
 * {@value #FILE} created conditionally), and when one is taken it takes the name with the next suffix
 * ({@link RunId#suffixed}: {@code ID-2}, {@code ID-3}, ...): its spool folder's name, or at the
 * destination its run id.
 *
 * <p>At the destination the claim is as strong as the uploader allows: a conditional create where it has
 * one ({@link Uploader#supportsUploadIfAbsent}), else a look for the claim first where it can read
 * (two runs starting at the very same instant could both pass), else none (then the random part of the
 * default template is what keeps runs apart).
 */
public final class RunClaim {
    /** The claim at the destination: {@code <run-id>/claim.json}, naming the run that holds the folder. */
    public static final String FILE = "claim.json";
    /** How many suffixes a run tries before it gives up claiming (and ships unclaimed, saying so). */
    static final int MAX_TRIES = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunClaim() {}

    /**
     * Creates {@code run}'s own folder under {@code spool}: {@code <run-id with '/' as '_'>}, or with the next
     * suffix while that is taken (the run's id is not changed by it: only the destination decides that).
     */
    public static Path spool(Path spool, RunInfo run) throws IOException {
        Files.createDirectories(spool);
        String name = run.runId().replace('/', '_');
        for (int n = 1; ; n++) {
            Path folder = spool.resolve(n == 1 ? name : RunId.suffixed(name, n));
            try {
                return Files.createDirectory(folder);
            } catch (FileAlreadyExistsException e) {
                if (n >= MAX_TRIES) {
                    throw new IOException("every run folder from " + name + " to " + folder.getFileName()
                            + " is taken in " + spool);
                }
            }
        }
    }

    /** What claiming at the destination came to. */
    public record AtDestination(RunInfo run, String how) {}

    /**
     * Claims {@code run}'s folder at the destination, under the next suffixed id while it is taken.
     *
     * @param local where to write the claim's bytes before shipping them (the run's spool folder)
     * @param token tells this run's claims from every other's, the same for each call of one run: a claim whose
     *     call was cut short (the stop cuts one made while the child runs) may still have landed, and is then
     *     found again as this run's own
     * @return the run as claimed, and how ("created" conditionally, "checked", or "unchecked")
     */
    public static AtDestination atDestination(Uploader uploader, RunInfo run, Path local, String token,
            UploadControl control) throws IOException, InterruptedException {
        Files.createDirectories(local);
        Path file = local.resolve(FILE);
        for (int n = 1; n <= MAX_TRIES; n++) {
            control.checkCancelled();
            RunInfo candidate = n == 1 ? run : withId(run, RunId.suffixed(run.runId(), n));
            Map<String, Object> claim = new LinkedHashMap<>();
            claim.put("runId", candidate.runId());
            claim.put("hostname", candidate.hostname());
            claim.put("started", candidate.started().toString());
            claim.put("token", token);
            Files.write(file, JSON.writeValueAsBytes(claim));
            SourceFile source = new SourceFile(file, Files.size(file));
            String key = candidate.runId() + "/" + FILE;
            if (uploader.supportsUploadIfAbsent()) {
                if (uploader.uploadIfAbsent(source, key, control.child(control.deadlineNanos()))) {
                    return new AtDestination(candidate, "created");
                }
                if (uploader.supportsRead() && Boolean.TRUE.equals(holder(uploader, key, token, control))) {
                    return new AtDestination(candidate, "created before");
                }
            } else if (uploader.supportsRead()) {
                Boolean ours = holder(uploader, key, token, control);
                if (ours == null) {
                    uploader.upload(source, key, control.child(control.deadlineNanos()));
                    return new AtDestination(candidate, "checked");
                }
                if (ours) {
                    return new AtDestination(candidate, "checked before");
                }
            } else {
                return new AtDestination(candidate, "unchecked");
            }
        }
        throw new IOException("every run folder from " + run.runId() + " to "
                + RunId.suffixed(run.runId(), MAX_TRIES) + " is taken");
    }

    /** Null when there is no claim at {@code key}; else whether it is the one of the run with {@code token}. */
    private static Boolean holder(Uploader uploader, String key, String token, UploadControl control)
            throws IOException, InterruptedException {
        byte[] bytes;
        try (InputStream in = uploader.open(key, control.child(control.deadlineNanos()))) {
            bytes = in.readNBytes(64 * 1024);
        } catch (NoSuchFileException e) {
            return null;
        }
        try {
            return token.equals(JSON.readTree(bytes).path("token").asText(null));
        } catch (IOException e) {
            return false; // not a claim of this version's: another run's
        }
    }

    static RunInfo withId(RunInfo run, String runId) {
        return new RunInfo(runId, run.started(), run.hostname(), run.command());
    }
}
