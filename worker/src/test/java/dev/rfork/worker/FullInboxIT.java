package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.ftp.client.SmallFilesBundle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiving side runs out of space: the node's inbox (where its FTP server writes what
 * arrives) is a tmpfs too small for the images, and the node forks to itself over FTP, so the
 * dump fits in the outbox and the upload does not fit in the inbox. Needs root (mount).
 */
class FullInboxIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path home;

    @TempDir
    Path work;

    @Test
    void aForkWhoseImagesDoNotFitOnTheTargetFailsAndLeavesItRoomForTheNext() throws Exception {
        Path spool = home.resolve("spool");
        try (Tmpfs inbox = Tmpfs.mount(spool.resolve("inbox"), "16m");
                TestNode node =
                        TestNode.start(home.resolve("node"), Map.of("spool", spool.toString(), "ship.local", "ftp"));
                TestProcesses processes = new TestProcesses(work);
                RforkClient client = node.client()) {
            Path output = work.resolve("large.out");
            long large = processes.start(TestProcesses.holding(32), output);
            TestProcesses.awaitTicks(output, 2);

            Outcome failed = client.forkAndWait(ForkRequest.of(large, "127.0.0.1", Mode.FORK), WAIT, event -> {});

            assertThat(failed.status()).as("%s", failed).isEqualTo(Outcome.FAILED);
            // Redelivered until the attempts ran out: the target might have made room meanwhile.
            assertThat(failed.reason()).isEqualTo(Reason.SHIP_FAILED);
            // Which upload meets the full disk first is a race: the memory file, another one, or
            // the bundle of small files; the detail names it.
            assertThat(failed.detail()).containsPattern("\\.img|" + Pattern.quote(SmallFilesBundle.NAME));
            assertThat(failed.events().get(failed.events().size() - 1).evidence())
                    .containsEntry("attempt", "3");
            TestProcesses.awaitTicks(output, TestProcesses.lastTick(output) + 3);
            assertThat(TestProcesses.state(large)).isIn("S", "R");
            Leftovers.assertNone(spool, failed.requestId());
            assertThat(Leftovers.entries(inbox.dir())).as("the target's inbox").isEmpty();

            processes.assertTheNextForkIsServed(client, "127.0.0.1");
        }
    }
}
