package dev.rfork.worker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeFilesTest {
    @TempDir
    Path dir;

    @Test
    void aFileThatIsHereWithItsSizeMatchesAndOthersAreToldApart() throws Exception {
        Path same = Files.writeString(dir.resolve("same.txt"), "12345");
        Path bigger = Files.writeString(dir.resolve("bigger.txt"), "1234567890");

        NodeFiles.Answer answer = NodeFiles.check(List.of(
                new NodeFiles.Held(same.toString(), 5),
                new NodeFiles.Held(bigger.toString(), 5),
                new NodeFiles.Held(dir.resolve("absent.txt").toString(), 1),
                new NodeFiles.Held("relative.txt", 1),
                new NodeFiles.Held(dir + "/../" + dir.getFileName() + "/same.txt", 5),
                new NodeFiles.Held(dir.toString(), 0)));

        assertThat(answer.matches()).isFalse();
        assertThat(answer.differ()).containsExactly(new NodeFiles.Differs(bigger.toString(), 5, 10));
        // Only absolute, normal paths of regular files are looked at: nothing else is told.
        assertThat(answer.missing())
                .containsExactly(
                        dir.resolve("absent.txt").toString(),
                        "relative.txt",
                        dir + "/../" + dir.getFileName() + "/same.txt",
                        dir.toString());
        assertThat(NodeFiles.check(List.of(new NodeFiles.Held(same.toString(), 5)))
                        .matches())
                .isTrue();
    }
}
