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

        Path probe = dir.resolve("criu.kdat");
        Preflight.Check yes = Preflight.kernelProbeCache(kept, probe);
        Preflight.Check no = Preflight.kernelProbeCache(notKept, probe);
        Preflight.Check unknown = Preflight.kernelProbeCache(dir.resolve("missing"), probe);
        Files.write(probe, new byte[] {1});
        Preflight.Check made = Preflight.kernelProbeCache(notKept, probe);

        assertThat(yes.ok()).isTrue();
        assertThat(yes.detail()).isEqualTo("kept in " + probe + " (/run is a tmpfs)");
        assertThat(no.ok()).as("advice, not a failure").isTrue();
        assertThat(no.detail()).startsWith("not kept yet: /run is not a tmpfs (none)");
        assertThat(made.detail()).isEqualTo("kept in " + probe + " (/run: none, not a tmpfs: the worker made it)");
        assertThat(unknown.ok()).isTrue();
        assertThat(unknown.detail()).startsWith("unknown: cannot read");
    }
}
