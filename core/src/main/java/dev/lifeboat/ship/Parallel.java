package dev.lifeboat.ship;

import dev.lifeboat.base.Budget;
import dev.lifeboat.spi.UploadControl;
import java.util.ArrayDeque;
import java.util.Deque;
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
 *
 * <p>The items are taken in their order, except by the first {@code fromTheBack} threads, which take
 * them from the back of the list: given files smallest first, one thread ships the largest ones from
 * the start, so that the largest does not start last and set the time of the whole, while the other
 * threads ship the most files if the deadline cuts them short.
 */
final class Parallel {
    private Parallel() {}

    /** Called once if the deadline or a cancellation cuts the tasks short, before they are cancelled. */
    interface OnCut {
        void cut(int unfinished);
    }

    /** As {@link #run(String, List, int, int, UploadControl, Function, OnCut)}, every thread in the list's order. */
    static <T, R> Map<T, R> run(String threadName, List<T> items, int concurrency, UploadControl all,
            Function<T, R> task, OnCut onCut) throws InterruptedException {
        return run(threadName, items, concurrency, 0, all, task, onCut);
    }

    /** The outcome of each task that finished, by item; the others are missing. */
    static <T, R> Map<T, R> run(String threadName, List<T> items, int concurrency, int fromTheBack, UploadControl all,
            Function<T, R> task, OnCut onCut) throws InterruptedException {
        Map<T, R> outcomes = new ConcurrentHashMap<>();
        if (items.isEmpty()) {
            return outcomes;
        }
        int threads = Math.max(1, Math.min(concurrency, items.size()));
        Deque<T> queue = new ArrayDeque<>(items);
        AtomicInteger threadNumber = new AtomicInteger();
        AtomicInteger left = new AtomicInteger(items.size());
        CompletableFuture<Void> over = new CompletableFuture<>();
        all.onCancel(() -> over.complete(null));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, threadName + "-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            for (int i = 0; i < threads; i++) {
                boolean back = i < fromTheBack && threads > 1;
                pool.execute(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        T item;
                        synchronized (queue) {
                            item = back ? queue.pollLast() : queue.pollFirst();
                        }
                        if (item == null) {
                            return;
                        }
                        try {
                            outcomes.put(item, task.apply(item));
                        } catch (RuntimeException | Error e) {
                            // the item goes without an outcome; the thread takes the next
                        } finally {
                            if (left.decrementAndGet() == 0) {
                                over.complete(null);
                            }
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
