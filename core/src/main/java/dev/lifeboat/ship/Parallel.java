package dev.lifeboat.ship;

import dev.lifeboat.base.Budget;
import dev.lifeboat.spi.UploadControl;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs one task per item on up to {@code concurrency} daemon threads, under one control: it returns when
 * every task is done, or when the control's deadline passes or it is cancelled; then the tasks still
 * running are cancelled and get {@link Budget#CANCEL_GRACE} to return before they are abandoned.
 */
final class Parallel {
    private Parallel() {}

    /** Called once if the deadline or a cancellation cuts the tasks short, before they are cancelled. */
    interface OnCut {
        void cut(int unfinished);
    }

    /** The outcome of each task that finished, by item; the others are missing. */
    static <T, R> Map<T, R> run(String threadName, List<T> items, int concurrency, UploadControl all,
            Function<T, R> task, OnCut onCut) throws InterruptedException {
        Map<T, R> outcomes = new ConcurrentHashMap<>();
        if (items.isEmpty()) {
            return outcomes;
        }
        AtomicInteger threadNumber = new AtomicInteger();
        AtomicInteger left = new AtomicInteger(items.size());
        CompletableFuture<Void> over = new CompletableFuture<>();
        all.onCancel(() -> over.complete(null));
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(concurrency, items.size())), r -> {
            Thread t = new Thread(r, threadName + "-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            for (T item : items) {
                pool.execute(() -> {
                    try {
                        outcomes.put(item, task.apply(item));
                    } finally {
                        if (left.decrementAndGet() == 0) {
                            over.complete(null);
                        }
                    }
                });
            }
            pool.shutdown();
            try {
                over.get(Math.max(0, all.deadlineNanos() - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // the deadline: cut below
            }
            if (left.get() > 0) {
                onCut.cut(left.get());
                all.cancel();
                pool.shutdownNow();
                pool.awaitTermination(Budget.CANCEL_GRACE.toNanos(), TimeUnit.NANOSECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return outcomes;
    }
}
