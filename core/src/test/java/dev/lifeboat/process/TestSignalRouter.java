package dev.lifeboat.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TestSignalRouter {
    private record Seen(int signal, long arrivedNanos) {}

    @Test
    void signalsBeforeTheHandlerAreReplayedInOrderWithTheirArrivalTimes() throws Exception {
        SignalRouter router = SignalRouter.detached();
        long before = System.nanoTime();
        router.deliver(Signals.SIGHUP);
        Thread.sleep(5);
        router.deliver(Signals.SIGTERM);
        long attachedAt = System.nanoTime();
        List<Seen> seen = new ArrayList<>();
        router.attach((signal, arrived) -> seen.add(new Seen(signal, arrived)));
        router.deliver(Signals.SIGINT);

        assertEquals(List.of(Signals.SIGHUP, Signals.SIGTERM, Signals.SIGINT), seen.stream().map(Seen::signal).toList());
        assertTrue(seen.get(0).arrivedNanos() - before >= 0 && seen.get(0).arrivedNanos() - attachedAt < 0,
                "a queued signal keeps the moment it arrived");
        assertTrue(seen.get(1).arrivedNanos() - seen.get(0).arrivedNanos() > 0);
        assertTrue(seen.get(2).arrivedNanos() - attachedAt >= 0);
    }
}
