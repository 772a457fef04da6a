package dev.lifeboat.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TestProcessExit {
    private static final String RUN = "java -Xrs -XX:+UseSerialGC -jar /opt/lifeboat/lifeboat.jar --destination s3://b/p -- app";

    @Test
    void aPlainRunEndsAtOnce() {
        assertFalse(ProcessExit.jvmWorkAtExit(RUN, Map.of()));
        assertFalse(ProcessExit.jvmWorkAtExit(RUN, Map.of("JAVA_TOOL_OPTIONS", "-Xmx64m")));
    }

    @Test
    void aClassDataSharingTrainingRunExitsTheJvmsWaySoThatTheArchiveIsWritten() {
        assertTrue(ProcessExit.jvmWorkAtExit(RUN.replace("-Xrs", "-Xrs -XX:ArchiveClassesAtExit=/opt/lifeboat/lib/lifeboat.jsa"),
                Map.of()));
        assertTrue(ProcessExit.jvmWorkAtExit(RUN, Map.of("JAVA_TOOL_OPTIONS", "-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=a.jsa")));
    }

    @Test
    void aRecordingOrAnAgentGetsTheJvmsExitWhereverItWasAskedFor() {
        assertTrue(ProcessExit.jvmWorkAtExit(RUN.replace("-Xrs", "-XX:StartFlightRecording=filename=stop.jfr"), Map.of()));
        assertTrue(ProcessExit.jvmWorkAtExit(RUN, Map.of("JDK_JAVA_OPTIONS", "-javaagent:/agent.jar")));
        assertTrue(ProcessExit.jvmWorkAtExit(RUN, Map.of("_JAVA_OPTIONS", "-agentlib:jdwp=transport=dt_socket")));
    }
}
