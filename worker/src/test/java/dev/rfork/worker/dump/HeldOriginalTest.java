package dev.rfork.worker.dump;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeldOriginalTest {
    @TempDir
    Path spool;

    @Test
    void theMarkerTellsARestartedWorkerWhetherTheRequestWasHandedOff() throws Exception {
        Process process = new ProcessBuilder("sleep", "30").start();
        try {
            Path marker = spool.resolve("request");
            HeldOriginal held = HeldOriginal.mark(marker, process.pid());

            assertThat(HeldOriginal.read(marker).pids()).containsExactly(process.pid());
            assertThat(HeldOriginal.read(marker).handedOffTo()).isEmpty();

            held.handedOff("127.0.0.2");

            assertThat(HeldOriginal.read(marker).pids()).containsExactly(process.pid());
            assertThat(HeldOriginal.read(marker).handedOffTo()).contains("127.0.0.2");
            held.resume();
            assertThat(marker).doesNotExist();
        } finally {
            process.destroyForcibly().waitFor();
        }
    }

    @Test
    void aMarkerOfAnEarlierVersionStillNamesItsProcesses() throws Exception {
        Path marker = Files.writeString(spool.resolve("old"), "41 42");

        assertThat(HeldOriginal.read(marker).pids()).containsExactly(41L, 42L);
        assertThat(HeldOriginal.read(marker).handedOffTo()).isEmpty();
    }
}
