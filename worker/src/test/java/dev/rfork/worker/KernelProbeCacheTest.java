package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelProbeCacheTest {
    @TempDir
    Path dir;

    @Test
    void saysWhetherCriuKeepsItsKernelProbeByTheMountInEffectOnRun() throws Exception {
        Path kept = Files.writeString(
                dir.resolve("kept"),
                "overlay / overlay rw 0 0\n/dev/sda1 /run ext4 rw 0 0\ntmpfs /run tmpfs rw,nosuid 0 0\n");
        Path notKept =
                Files.writeString(dir.resolve("not-kept"), "overlay / overlay rw 0 0\ntmpfs /dev/shm tmpfs rw 0 0\n");

        Preflight.Check yes = Preflight.kernelProbeCache(kept);
        Preflight.Check no = Preflight.kernelProbeCache(notKept);
        Preflight.Check unknown = Preflight.kernelProbeCache(dir.resolve("missing"));

        assertThat(yes.ok()).isTrue();
        assertThat(yes.detail()).startsWith("kept in /run/criu.kdat");
        assertThat(no.ok()).as("advice, not a failure").isTrue();
        assertThat(no.detail()).startsWith("not kept: /run is not a tmpfs (none)");
        assertThat(unknown.ok()).isTrue();
        assertThat(unknown.detail()).startsWith("unknown: cannot read");
    }
}
