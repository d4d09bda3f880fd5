package dev.rfork.worker.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.worker.spool.Spool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InboxPrunerTest {
    @TempDir
    Path root;

    @Test
    void oldRestoresArePrunedButNotWhileTheirCopyRunsAndNotRecentOnes() throws Exception {
        Spool spool = new Spool(root).create();
        Path oldEnded = request(
                spool,
                "11111111-1111-1111-1111-111111111111",
                999_999_999L,
                Instant.now().minusSeconds(7200));
        Path oldRunning = request(
                spool,
                "22222222-2222-2222-2222-222222222222",
                ProcessHandle.current().pid(),
                Instant.now().minusSeconds(7200));
        Path recent = request(spool, "33333333-3333-3333-3333-333333333333", 999_999_999L, Instant.now());

        InboxPruner.prune(spool, Duration.ofHours(1));

        assertThat(oldEnded).doesNotExist();
        assertThat(oldEnded.resolveSibling(oldEnded.getFileName() + ".out")).doesNotExist();
        assertThat(oldRunning).exists();
        assertThat(recent).exists();
    }

    @Test
    void anUploadThatWasNeverRestoredIsPrunedOnceOld() throws Exception {
        Spool spool = new Spool(root).create();
        Path upload = Files.createDirectories(spool.inbox().resolve("44444444-4444-4444-4444-444444444444"));
        Path image = Files.writeString(upload.resolve("pages-1.img"), "memory");
        for (Path file : new Path[] {image, upload}) {
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(7200)));
        }

        InboxPruner.prune(spool, Duration.ofHours(1));

        assertThat(upload).doesNotExist();
    }

    /** Anyone who could write into the inbox could plant one (issue 12: through the FTP server). */
    @Test
    void anUnreadableRecordDoesNotStopPruningAndIsRemoved() throws Exception {
        Spool spool = new Spool(root).create();
        Path old = Files.writeString(spool.inbox().resolve("44444444-4444-4444-4444-444444444444.restored"), "");
        Path recent = Files.writeString(spool.inbox().resolve("55555555-5555-5555-5555-555555555555.restored"), "x 1");
        Files.setLastModifiedTime(old, FileTime.from(Instant.parse("2000-01-01T00:00:00Z")));

        InboxPruner.prune(spool, Duration.ofHours(1));

        assertThat(old).doesNotExist();
        assertThat(recent).doesNotExist();
    }

    private static Path request(Spool spool, String id, long copyPid, Instant time) throws Exception {
        Path dir = Files.createDirectories(spool.inbox().resolve(id));
        Path[] files = {
            dir,
            Files.writeString(spool.inbox().resolve(id + ".out"), "tick 1\n"),
            Files.writeString(spool.inbox().resolve(id + ".restored"), copyPid + " 1")
        };
        for (Path file : files) {
            Files.setLastModifiedTime(file, FileTime.from(time));
        }
        return dir;
    }
}
