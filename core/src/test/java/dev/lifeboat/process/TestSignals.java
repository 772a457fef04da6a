package dev.lifeboat.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TestSignals {
    @Test
    void usr2IsForwardedOnlyWhenTheJvmSuspendsThreadsWithAnotherSignal() {
        assertFalse(Signals.forwarded(null).contains("USR2"));
        assertFalse(Signals.forwarded("").contains("USR2"));
        assertFalse(Signals.forwarded("12").contains("USR2"));
        assertTrue(Signals.forwarded("39").contains("USR2"));
    }

    @Test
    void theJvmsOwnAndUncatchableSignalsAreNeverForwarded() {
        for (String name : new String[] {"KILL", "STOP", "QUIT", "SEGV", "ILL", "FPE", "BUS", "TRAP", "ABRT",
            "PIPE", "XFSZ", "CHLD", "TTIN", "TTOU"}) {
            assertFalse(Signals.forwarded("39").contains(name), name);
        }
        assertTrue(Signals.forwarded(null).containsAll(java.util.List.of("HUP", "INT", "TERM", "USR1", "WINCH", "SYS")));
    }

    @Test
    void namesAndNumbers() {
        assertEquals(15, Signals.number("TERM"));
        assertEquals(15, Signals.number("sigterm"));
        assertEquals("SIGUSR2", Signals.name(12));
        assertEquals(40, Signals.number("40"));
        assertEquals("signal 40", Signals.name(40));
    }
}
