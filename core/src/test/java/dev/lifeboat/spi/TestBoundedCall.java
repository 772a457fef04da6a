package dev.lifeboat.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class TestBoundedCall {
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-worker");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() {
        workers.shutdownNow();
    }

    /** Runs a call from a thread of its own; {@code outcome} gets its result or what it threw. */
    private Thread inBackground(UploadControl control, AtomicReference<Object> outcome, BoundedCall.Body<?> body) {
        Thread caller = new Thread(() -> {
            try {
                outcome.set(BoundedCall.run(control, workers, body));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        caller.start();
        return caller;
    }

    private static UploadControl in(long millis) {
        return UploadControl.withTimeout(Duration.ofMillis(millis));
    }

    @Test
    void returnsWhatTheBodyReturnsFromAWorkerThread() throws Exception {
        Thread caller = Thread.currentThread();
        String where = BoundedCall.run(in(10_000), workers, call -> Thread.currentThread().getName());
        assertEquals("test-worker", where);
        assertFalse(caller.isInterrupted());
    }

    @Test
    void theBodysFailuresArriveUnwrapped() {
        IOException io = new IOException("disk on fire");
        assertSame(io, assertThrows(IOException.class, () -> BoundedCall.run(in(10_000), workers, call -> {
            throw io;
        })));
        IllegalStateException runtime = new IllegalStateException("bug");
        assertSame(runtime, assertThrows(IllegalStateException.class, () -> BoundedCall.run(in(10_000), workers, call -> {
            throw runtime;
        })));
        InterruptedException interrupted = new InterruptedException("stop");
        assertSame(interrupted, assertThrows(InterruptedException.class,
                () -> BoundedCall.run(in(10_000), workers, call -> {
                    throw interrupted;
                })));
        AssertionError error = new AssertionError("boom");
        assertSame(error, assertThrows(AssertionError.class, () -> BoundedCall.run(in(10_000), workers, call -> {
            throw error;
        })));
    }

    @Test
    void atTheDeadlineItGivesUpPromptlyAbortsAndInterruptsTheWorker() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        AtomicBoolean aborted = new AtomicBoolean();
        long start = System.nanoTime();
        UploadCancelledException e = assertThrows(UploadCancelledException.class,
                () -> BoundedCall.run(in(300), workers, () -> aborted.set(true), call -> {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException ie) {
                        interrupted.countDown();
                        throw ie;
                    }
                    return null;
                }));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("deadline reached", e.getMessage());
        assertTrue(tookMillis >= 250 && tookMillis < 3_000, "gave up at the deadline: " + tookMillis + " ms");
        assertTrue(aborted.get(), "the give-up action ran");
        assertTrue(interrupted.await(5, TimeUnit.SECONDS), "the worker was interrupted");
    }

    @Test
    void aCancellationGivesUpAtOnceEvenIfTheWorkerIgnoresInterrupts() throws Exception {
        UploadControl control = in(60_000);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread caller = inBackground(control, outcome, call -> {
            started.countDown();
            while (true) {
                try {
                    release.await(); // a library that swallows interrupts
                    return "late";
                } catch (InterruptedException ignored) {
                    // keeps blocking
                }
            }
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        long start = System.nanoTime();
        control.cancel();
        caller.join(5_000);
        assertFalse(caller.isAlive(), "the caller returned");
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2_000);
        assertTrue(outcome.get() instanceof UploadCancelledException, String.valueOf(outcome.get()));
        assertEquals("upload cancelled", ((Throwable) outcome.get()).getMessage());
        release.countDown();
    }

    @Test
    void anAlreadyCancelledOrExpiredControlRunsNothing() {
        AtomicBoolean ran = new AtomicBoolean();
        UploadControl cancelled = in(60_000);
        cancelled.cancel();
        assertThrows(UploadCancelledException.class, () -> BoundedCall.run(cancelled, workers, call -> ran.getAndSet(true)));
        assertThrows(UploadCancelledException.class, () -> BoundedCall.run(in(-1), workers, call -> ran.getAndSet(true)));
        assertFalse(ran.get());
    }

    @Test
    void aClosedExecutorIsAnIOException() {
        workers.shutdown();
        IOException e = assertThrows(IOException.class, () -> BoundedCall.run(in(10_000), workers, call -> "x"));
        assertEquals("the uploader is closed", e.getMessage());
    }

    @Test
    void aCommittingCallOutlivesACancellationButNotTheDeadline() throws Exception {
        UploadControl control = in(60_000);
        CountDownLatch committed = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread caller = inBackground(control, outcome, call -> {
            assertTrue(call.commit());
            assertTrue(call.commit(), "commit is idempotent");
            committed.countDown();
            finish.await();
            return "renamed, interrupted: " + Thread.currentThread().isInterrupted();
        });
        assertTrue(committed.await(5, TimeUnit.SECONDS));
        control.cancel();
        caller.join(300);
        assertTrue(caller.isAlive(), "a committing call is waited for after a cancellation");
        finish.countDown();
        caller.join(5_000);
        assertEquals("renamed, interrupted: false", outcome.get());

        UploadCancelledException e = assertThrows(UploadCancelledException.class,
                () -> BoundedCall.run(in(300), workers, call -> {
                    call.commit();
                    Thread.sleep(60_000);
                    return null;
                }));
        assertTrue(e.getMessage().startsWith("deadline reached"), e.getMessage());
    }

    @Test
    void aCommitWithAGraceIsGivenUpThatLongAfterACancellation() throws Exception {
        UploadControl control = in(60_000);
        CountDownLatch committed = new CountDownLatch(1);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread caller = inBackground(control, outcome, call -> {
            call.commit(Duration.ofMillis(400));
            committed.countDown();
            Thread.sleep(60_000); // an answer that never comes
            return null;
        });
        assertTrue(committed.await(5, TimeUnit.SECONDS));
        Thread.sleep(200); // the caller is waiting by now
        long start = System.nanoTime();
        control.cancel();
        caller.join(200);
        assertTrue(caller.isAlive(), "waited for during the grace");
        caller.join(5_000);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMillis >= 350 && tookMillis < 3_000, "given up after the grace: " + tookMillis + " ms");
        assertEquals("upload cancelled during the last step of the upload", ((Throwable) outcome.get()).getMessage());
    }

    @Test
    void aGivenUpCallCannotCommitAndItsBodySeesIt() throws Exception {
        UploadControl control = in(60_000);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch seen = new CountDownLatch(1);
        AtomicReference<String> body = new AtomicReference<>();
        workers.execute(() -> {
            try {
                BoundedCall.run(control, workers, call -> {
                    started.countDown();
                    while (!call.isGivenUp()) {
                        Thread.onSpinWait();
                    }
                    call.detach();
                    boolean interruptedAfterDetach = Thread.currentThread().isInterrupted();
                    body.set("commit " + call.commit() + ", interrupted " + interruptedAfterDetach + ", checkpoint "
                            + assertThrows(UploadCancelledException.class, call::checkpoint).getMessage());
                    seen.countDown();
                    return null;
                });
            } catch (Exception e) {
                // the caller's side: cancelled
            }
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        control.cancel();
        assertTrue(seen.await(5, TimeUnit.SECONDS));
        assertEquals("commit false, interrupted false, checkpoint upload cancelled", body.get());
    }

    @Test
    void anInterruptedCallerGivesTheCallUp() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch workerInterrupted = new CountDownLatch(1);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread caller = inBackground(in(60_000), outcome, call -> {
            started.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                workerInterrupted.countDown();
            }
            return null;
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        caller.interrupt();
        caller.join(5_000);
        assertTrue(outcome.get() instanceof InterruptedException, String.valueOf(outcome.get()));
        assertTrue(workerInterrupted.await(5, TimeUnit.SECONDS));
    }
}
