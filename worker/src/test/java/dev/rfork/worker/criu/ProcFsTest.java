package dev.rfork.worker.criu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcFsTest {
    @Test
    void fieldsAfterACommandNameWithSpacesAndParentheses() {
        String stat = "4242 (my (odd) app) S 17 4242 4100 0 -1 4194560 93 0 0 0";

        String[] fields = ProcFs.fieldsAfterName(stat);

        assertThat(fields[0]).isEqualTo("S");
        assertThat(fields[1]).isEqualTo("17");
        assertThat(fields[2]).isEqualTo("4242");
        assertThat(fields[3]).isEqualTo("4100");
    }

    @Test
    void aProcessStartedWithSetsidLeadsItsOwnSession() throws Exception {
        Process process = new ProcessBuilder("setsid", "sleep", "30")
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        try {
            long deadline = System.currentTimeMillis() + 5_000;
            // setsid(1) calls setsid() and then execs sleep: wait for both (in between, the
            // command line is setsid's, or empty while the exec replaces the process's memory).
            while ((ProcFs.sessionId(process.pid()).orElse(-1) != process.pid()
                            || !ProcFs.commandLine(process.pid()).equals(List.of("sleep", "30")))
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertThat(ProcFs.sessionId(process.pid())).hasValue(process.pid());
            assertThat(ProcFs.commandLine(process.pid())).containsExactly("sleep", "30");
            assertThat(ProcFs.tracerPid(process.pid())).hasValue(0);
            assertThat(ProcFs.state(process.pid())).isIn("S", "R");
        } finally {
            process.destroyForcibly().waitFor();
        }
        assertThat(ProcFs.sessionId(process.pid())).isEmpty();
    }

    @Test
    void aThreadOtherThanTheMainOneBelongsToItsProcessNotToItself() throws Exception {
        long pid = ProcessHandle.current().pid();
        long tid;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            tid = tasks.map(task -> Long.parseLong(task.getFileName().toString()))
                    .filter(id -> id != pid)
                    .findFirst()
                    .orElseThrow();
        }

        assertThat(ProcFs.threadGroup(pid)).hasValue(pid);
        assertThat(ProcFs.exists(tid)).as("/proc shows the thread too").isTrue();
        assertThat(ProcFs.threadGroup(tid)).hasValue(pid);
    }
}
