package dev.rfork.worker.criu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PerfDataTest {
    @ParameterizedTest
    @ValueSource(strings = {"/tmp/hsperfdata_root/1234", "/tmp/hsperfdata_app-user/42"})
    void onlyJvmPerfDataPathsAreWritten(String path) {
        assertThat(PerfData.isPerfDataPath(Path.of(path))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/etc/passwd",
                "/tmp/hsperfdata_root/../../etc/passwd",
                "/tmp/hsperfdata_root/x",
                "/tmp/other/1234",
                "tmp/hsperfdata_root/1234",
                "/tmp/hsperfdata_root/1234/5",
                "/var/tmp/hsperfdata_root/1"
            })
    void anyOtherPathIsRefused(String path) {
        assertThat(PerfData.isPerfDataPath(Path.of(path))).isFalse();
    }
}
