package dev.rfork.worker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.message.Messages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeInfoTest {
    @TempDir
    Path dir;

    @Test
    void theFlagsAreThoseOfTheFirstProcessorSorted() throws Exception {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.writeString(cpuinfo, """
                processor    : 0
                flags        : sse2 fpu avx2  sse
                processor    : 1
                flags        : fpu
                """);

        assertThat(NodeInfo.cpuFlags(cpuinfo)).containsExactly("avx2", "fpu", "sse", "sse2");
        assertThat(NodeInfo.cpuFlags(dir.resolve("absent"))).isEmpty();
    }

    @Test
    void aPeerLacksTheFeaturesThisNodeHasAndItDoesNot() {
        NodeInfo here = new NodeInfo("10.0.0.4", "Version: 4.2", "6.1", List.of("avx2", "avx512f", "fpu"));
        NodeInfo older = new NodeInfo("10.0.0.5", "Version: 4.2", "6.1", List.of("avx2", "fpu", "sse"));

        assertThat(here.missingOn(older)).containsExactly("avx512f");
        assertThat(older.missingOn(here)).containsExactly("sse");
        assertThat(here.missingOn(here)).isEmpty();
    }

    @Test
    void itTravelsAsJson() throws Exception {
        NodeInfo here = NodeInfo.of("10.0.0.4", "Version: 4.2");

        assertThat(Messages.mapper().readValue(Messages.toJson(here), NodeInfo.class))
                .isEqualTo(here);
        assertThat(here.cpuFlags()).as("this machine's /proc/cpuinfo").isNotEmpty();
    }
}
