package dev.lifeboat.uploader.gcs.testserver;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Fault injection switches of a {@link GcsTestServer}. Rules apply in the order they were added; each
 * rule matches requests by a predicate on the request line and headers.
 */
public final class Faults {
    private final List<FailRule> failures = new ArrayList<>();
    private final List<DropRule> drops = new ArrayList<>();
    private volatile Predicate<RecordedRequest> stall;
    private volatile CountDownLatch stallLatch = new CountDownLatch(1);
    private final AtomicInteger stalled = new AtomicInteger();
    private final AtomicInteger injected = new AtomicInteger();

    /** Answers the next {@code n} requests with {@code status} (e.g. 503) and a GCS error body. */
    public Faults failNext(int n, int status) {
        return failNext(n, status, r -> true);
    }

    /** Answers the next {@code n} requests that match {@code which} with {@code status}. */
    public synchronized Faults failNext(int n, int status, Predicate<RecordedRequest> which) {
        failures.add(new FailRule(new AtomicInteger(n), status, which));
        return this;
    }

    /**
     * Closes the connection of the next resumable chunk PUT after reading {@code afterBytes} of its body,
     * without answering. The session keeps the bytes read, rounded down to a multiple of 256 KiB, as GCS does.
     */
    public Faults dropNextChunk(long afterBytes) {
        return dropNext(1, afterBytes, RecordedRequest::isResumableChunk);
    }

    /** Closes the connection of the next {@code n} matching requests after reading {@code afterBytes} of the body. */
    public synchronized Faults dropNext(int n, long afterBytes, Predicate<RecordedRequest> which) {
        drops.add(new DropRule(new AtomicInteger(n), afterBytes, which));
        return this;
    }

    /** Holds every matching request without answering until {@link #release()} or the server stops. */
    public synchronized Faults stall(Predicate<RecordedRequest> which) {
        if (stallLatch.getCount() == 0) {
            stallLatch = new CountDownLatch(1);
        }
        stall = which;
        return this;
    }

    /** Holds every request from now on. */
    public Faults stallEverything() {
        return stall(r -> true);
    }

    /** Lets stalled requests go on and stops stalling new ones. */
    public synchronized void release() {
        stall = null;
        stallLatch.countDown();
    }

    /** Removes every rule and releases stalled requests. */
    public synchronized void clear() {
        failures.clear();
        drops.clear();
        release();
    }

    /** How many requests are being held right now. */
    public int stalledNow() {
        return stalled.get();
    }

    /** How many faults (failures and drops) were injected so far. */
    public int injected() {
        return injected.get();
    }

    // ---- used by the server --------------------------------------------------------------------

    synchronized Integer failureFor(RecordedRequest request) {
        for (Iterator<FailRule> it = failures.iterator(); it.hasNext(); ) {
            FailRule rule = it.next();
            if (rule.which.test(request)) {
                if (rule.left.decrementAndGet() <= 0) {
                    it.remove();
                }
                injected.incrementAndGet();
                return rule.status;
            }
        }
        return null;
    }

    synchronized Long dropFor(RecordedRequest request) {
        for (Iterator<DropRule> it = drops.iterator(); it.hasNext(); ) {
            DropRule rule = it.next();
            if (rule.which.test(request)) {
                if (rule.left.decrementAndGet() <= 0) {
                    it.remove();
                }
                injected.incrementAndGet();
                return rule.afterBytes;
            }
        }
        return null;
    }

    /** Blocks while {@code request} matches the stall rule; returns false if interrupted. */
    boolean holdIfStalled(RecordedRequest request) {
        CountDownLatch latch;
        synchronized (this) {
            Predicate<RecordedRequest> s = stall;
            if (s == null || !s.test(request)) {
                return true;
            }
            latch = stallLatch;
        }
        stalled.incrementAndGet();
        try {
            while (!latch.await(100, TimeUnit.MILLISECONDS)) {
                // keep holding
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            stalled.decrementAndGet();
        }
    }

    private record FailRule(AtomicInteger left, int status, Predicate<RecordedRequest> which) {}

    private record DropRule(AtomicInteger left, long afterBytes, Predicate<RecordedRequest> which) {}
}
