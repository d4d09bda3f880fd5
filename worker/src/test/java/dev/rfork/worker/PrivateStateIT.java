package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everything a node keeps (secrets, the broker's journal, who asked for what, process images)
 * is its owner's only: directories 700, files 600, from a home that did not exist before.
 */
class PrivateStateIT {
    @TempDir
    Path parent;

    @Test
    void theHomeAndEveryDirectoryAndRecordInItAreOwnerOnly() throws Exception {
        Path home = parent.resolve("home");
        Outcome outcome;
        try (TestNode node = TestNode.start(home)) {
            try (RforkClient client = node.client()) {
                outcome = client.forkAndWait(
                        ForkRequest.of(4_000_000, "127.0.0.1", Mode.FORK), Duration.ofSeconds(30), event -> {});
            }
            assertThat(outcome.reason()).isEqualTo(Reason.NO_SUCH_PROCESS);
            assertThat(node.recorded(outcome.requestId()).status()).isEqualTo(Outcome.FAILED);

            for (String dir : List.of(
                    "",
                    "requests",
                    "claims",
                    "broker",
                    "broker/journal",
                    "broker/bindings",
                    "broker/paging",
                    "broker/large-messages",
                    "spool",
                    "spool/inbox",
                    "spool/outbox",
                    "spool/held")) {
                assertThat(mode(home.resolve(dir))).as("mode of HOME/" + dir).isEqualTo("rwx------");
            }
            for (String file : List.of(
                    "secrets.properties",
                    "requests/" + outcome.requestId() + ".jsonl",
                    "claims/" + outcome.requestId())) {
                assertThat(mode(home.resolve(file))).as("mode of HOME/" + file).isEqualTo("rw-------");
            }
        }
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
