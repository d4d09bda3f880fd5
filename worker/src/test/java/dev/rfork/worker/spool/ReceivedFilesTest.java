package dev.rfork.worker.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReceivedFilesTest {
    private static final String DIGEST = "a".repeat(64);

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong();

    private Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static long crc(Path file) throws IOException {
        return ReceivedFiles.crc32c(file);
    }

    @Test
    void aFileChangedWhileItWasWrittenIsNotHandedOut() throws IOException {
        ReceivedFiles received = new ReceivedFiles();
        Path file = file("pages-1.img", "12345");
        long arrived = crc(file);
        long generation = received.writing(file);
        // Another writer changes a byte already written; the stamp at close includes the change.
        Files.writeString(file, "12X45");

        received.written(file, generation, 5, DIGEST, arrived);

        assertThat(received.take(file)).isNull();
    }

    @Test
    void aFinishedWriteIsHandedOutOnce() throws IOException {
        ReceivedFiles received = new ReceivedFiles();
        Path file = file("pages-1.img", "12345");

        received.written(file, received.writing(file), 5, DIGEST, crc(file));

        assertThat(received.peek(file)).isEqualTo(DIGEST);
        assertThat(received.take(file)).isEqualTo(DIGEST);
        assertThat(received.take(file)).isNull();
        assertThat(received.size()).isZero();
    }

    @Test
    void theKeyIsTheNormalizedAbsolutePath() throws IOException {
        ReceivedFiles received = new ReceivedFiles();
        Path file = file("core-1.img", "x");

        received.written(dir.resolve("sub/../core-1.img"), received.writing(file), 1, DIGEST, crc(file));

        assertThat(received.take(file.toAbsolutePath())).isEqualTo(DIGEST);
    }

    @Test
    void aWriteThatBeganAfterAnotherOneVoidsBoth() throws IOException {
        ReceivedFiles received = new ReceivedFiles();
        Path file = file("pages-1.img", "12345");
        long first = received.writing(file);
        long second = received.writing(file);

        received.written(file, first, 5, DIGEST, crc(file));
        received.written(file, second, 5, DIGEST, crc(file));

        assertThat(received.take(file)).isNull();
    }

    @Test
    void writingAgainVoidsWhatWasRecorded() throws IOException {
        ReceivedFiles received = new ReceivedFiles();
        Path file = file("pages-1.img", "12345");
        received.written(file, received.writing(file), 5, DIGEST, crc(file));

        received.writing(file);

        assertThat(received.take(file)).isNull();
    }

    @Test
    void aSizeOtherThanTheOneOnDiskIsNotRecorded() throws IOException {
        ReceivedFiles received = new ReceivedFiles();
        Path file = file("pages-1.img", "12345");

        received.written(file, received.writing(file), 4, DIGEST, crc(file));

        assertThat(received.take(file)).isNull();
    }

    @Test
    void aFileChangedSinceItWasRecordedIsNotHandedOut() throws IOException {
        ReceivedFiles received = new ReceivedFiles();
        Path file = file("pages-1.img", "12345");
        received.written(file, received.writing(file), 5, DIGEST, crc(file));

        Files.writeString(file, "123456");

        assertThat(received.take(file)).isNull();
    }

    @Test
    void forgottenAndMissingFilesHaveNoDigest() throws IOException {
        ReceivedFiles received = new ReceivedFiles();
        Path file = file("pages-1.img", "12345");
        received.written(file, received.writing(file), 5, DIGEST, crc(file));

        received.forget(file);

        assertThat(received.take(file)).isNull();
        assertThat(received.take(dir.resolve("never-written.img"))).isNull();
    }

    @Test
    void entriesExpire() throws IOException {
        ReceivedFiles received = new ReceivedFiles(Duration.ofMinutes(1), 100, clock::get);
        Path file = file("pages-1.img", "12345");
        received.written(file, received.writing(file), 5, DIGEST, crc(file));

        clock.addAndGet(Duration.ofMinutes(2).toNanos());

        assertThat(received.take(file)).isNull();
    }

    @Test
    void memoryStaysBoundedByExpiryAndCount() throws IOException {
        ReceivedFiles received = new ReceivedFiles(Duration.ofMinutes(1), 8, clock::get);
        for (int i = 0; i < 100; i++) {
            Path file = file("file-" + i + ".img", "x");
            received.written(file, received.writing(file), 1, DIGEST, crc(file));
            clock.incrementAndGet();
        }
        assertThat(received.size()).isLessThanOrEqualTo(8);
        assertThat(received.peek(dir.resolve("file-99.img")))
                .as("the newest stays")
                .isEqualTo(DIGEST);

        clock.addAndGet(Duration.ofMinutes(2).toNanos());
        Path late = file("late.img", "x");
        for (int i = 0; i < 8; i++) {
            received.writing(dir.resolve("pending-" + i + ".img"));
        }
        received.written(late, received.writing(late), 1, DIGEST, crc(late));
        assertThat(received.peek(dir.resolve("file-99.img"))).as("expired").isNull();
        assertThat(received.peek(late)).isEqualTo(DIGEST);
    }
}
