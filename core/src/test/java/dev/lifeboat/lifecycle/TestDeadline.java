package dev.lifeboat.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TestDeadline {
    @Test
    void startsUnset() {
        Deadline d = new Deadline();
        assertFalse(d.isSet());
        assertEquals(Long.MAX_VALUE, d.exitAtNanos());
        assertEquals(Long.MAX_VALUE, d.remainingNanos());
    }

    @Test
    void tightenOnlyMovesEarlier() {
        Deadline d = new Deadline();
        long now = System.nanoTime();
        long in10 = now + TimeUnit.SECONDS.toNanos(10);
        assertEquals(in10, d.tighten(in10));
        assertTrue(d.isSet());
        assertEquals(in10, d.tighten(now + TimeUnit.SECONDS.toNanos(20)), "a later deadline is ignored");
        assertEquals(in10, d.exitAtNanos());
        long in5 = now + TimeUnit.SECONDS.toNanos(5);
        assertEquals(in5, d.tighten(in5));
        assertEquals(in5, d.tighten(in10));
        assertEquals(in5, d.exitAtNanos());
        assertTrue(d.remainingNanos() <= TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void comparesOnTheNanoTimeClockAcrossItsSign() {
        // System.nanoTime() may be negative: compare by difference, never by value
        Deadline d = new Deadline();
        assertEquals(-200L, d.tighten(-200));
        assertEquals(-300L, d.tighten(-300));
        assertEquals(-300L, d.tighten(-100));
        Deadline nearWrap = new Deadline();
        long late = Long.MAX_VALUE - 10;
        assertEquals(late, nearWrap.tighten(late));
        assertEquals(late, nearWrap.tighten(Long.MIN_VALUE + 10), "just past the wrap is later, not earlier");
    }

    @Test
    void remainingIsNeverNegative() {
        Deadline d = new Deadline();
        d.tighten(System.nanoTime() - TimeUnit.SECONDS.toNanos(1));
        assertEquals(0, d.remainingNanos());
        assertEquals(Duration.ZERO, d.remaining());
    }

    @Test
    void awaitChangeWakesWhenTheDeadlineTightens() throws Exception {
        Deadline d = new Deadline();
        CountDownLatch waiting = new CountDownLatch(1);
        long[] woke = new long[1];
        Thread waiter = new Thread(() -> {
            try {
                waiting.countDown();
                d.awaitChange(TimeUnit.SECONDS.toNanos(120));
                woke[0] = System.nanoTime();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long start = System.nanoTime();
        waiter.start();
        assertTrue(waiting.await(30, TimeUnit.SECONDS));
        // keep tightening until the waiter has seen one (it may not be waiting yet at the first)
        long target = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (waiter.isAlive() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(60)) {
            d.tighten(target--);
            waiter.join(50);
        }
        assertFalse(waiter.isAlive(), "awaitChange did not return after the deadline tightened");
        assertTrue(woke[0] - start < TimeUnit.SECONDS.toNanos(60));
    }

    @Test
    void safetyMarginIsTenPercentBetween500msAnd2s() {
        assertEquals(Duration.ofMillis(500), Deadline.safetyMargin(Duration.ofSeconds(1)));
        assertEquals(Duration.ofMillis(500), Deadline.safetyMargin(Duration.ofSeconds(5)));
        assertEquals(Duration.ofMillis(600), Deadline.safetyMargin(Duration.ofSeconds(6)));
        assertEquals(Duration.ofMillis(1000), Deadline.safetyMargin(Duration.ofSeconds(10)));
        assertEquals(Duration.ofMillis(2000), Deadline.safetyMargin(Duration.ofSeconds(20)));
        assertEquals(Duration.ofMillis(2000), Deadline.safetyMargin(Duration.ofSeconds(30)));
        assertEquals(Duration.ofMillis(2000), Deadline.safetyMargin(Duration.ofMinutes(10)));
        assertEquals(Duration.ofMillis(500), Deadline.safetyMargin(Duration.ZERO));
    }
}
