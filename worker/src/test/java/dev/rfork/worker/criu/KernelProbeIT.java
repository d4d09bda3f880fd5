package dev.rfork.worker.criu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.worker.config.WorkerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real CRIU probes the kernel in a namespace of its own; the worker keeps what it found. */
class KernelProbeIT {
    @TempDir
    Path dir;

    @Test
    void whereRunIsNoTmpfsTheWorkerKeepsCriusProbeUntilItStops() throws Exception {
        Path mounts = Files.writeString(dir.resolve("mounts"), "overlay / overlay rw 0 0\n/dev/vda /run ext4 rw 0 0\n");
        List<String> criu = List.of(WorkerConfig.defaultCriu());

        try (KernelProbe probe = KernelProbe.keep(criu, mounts, dir)) {
            assertThat(probe.made(Duration.ofSeconds(60))).isTrue();
            assertThat(KernelProbe.FILE).isRegularFile();
            assertThat(Files.size(KernelProbe.FILE)).as("CRIU's kerndat").isGreaterThan(100);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(KernelProbe.FILE)))
                    .isEqualTo("rw-------");
            assertThat(dir)
                    .isDirectoryNotContaining(
                            file -> file.getFileName().toString().startsWith("criu.kdat"));
            // CRIU takes it: a check loads it instead of probing (its log says so at -v4).
            CommandResult check = CriuProcess.run(List.of(criu.get(0), "check", "-v4"), Duration.ofSeconds(60));
            assertThat(check.output()).contains("Loaded kdat cache from " + KernelProbe.FILE);
        }
        assertThat(KernelProbe.FILE).as("removed when the worker stops").doesNotExist();
    }

    @Test
    void whereRunIsATmpfsCriuKeepsItItselfAndAProbeThatFailsChangesNothing() throws Exception {
        Path tmpfs = Files.writeString(dir.resolve("tmpfs"), "tmpfs /run tmpfs rw,nosuid 0 0\n");
        Path ext4 = Files.writeString(dir.resolve("ext4"), "/dev/vda /run ext4 rw 0 0\n");

        try (KernelProbe probe = KernelProbe.keep(List.of("/nonexistent/criu"), tmpfs, dir)) {
            assertThat(probe.made(Duration.ofSeconds(60))).isFalse();
        }
        try (KernelProbe probe = KernelProbe.keep(List.of("/nonexistent/criu"), ext4, dir)) {
            assertThat(probe.made(Duration.ofSeconds(60)))
                    .as("no CRIU to probe with")
                    .isFalse();
        }
    }
}
