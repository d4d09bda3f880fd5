package dev.rfork.worker.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestLogTest {
    @TempDir
    Path home;

    @Test
    void keepsEachRequestsEventsInTheirOrder() throws Exception {
        RequestLog log = new RequestLog(home).open();
        UUID id = UUID.randomUUID();

        log.append(Event.of(id, EventType.ACCEPTED, Mode.FORK, "127.0.0.1").withPid(42L));
        log.append(Event.of(id, EventType.RESTORED, Mode.FORK, "127.0.0.2").withChild("127.0.0.2", 7L));

        assertThat(log.events(id)).extracting(Event::type).containsExactly(EventType.ACCEPTED, EventType.RESTORED);
        assertThat(log.events(id).get(1).childPid()).isEqualTo(7L);
        assertThat(log.events(UUID.randomUUID())).isEmpty();
    }

    @Test
    void aLineCutShortIsSkippedNotFatal() throws Exception {
        RequestLog log = new RequestLog(home).open();
        UUID id = UUID.randomUUID();
        log.append(Event.of(id, EventType.ACCEPTED, Mode.FORK, "127.0.0.1"));
        Files.writeString(
                log.dir().resolve(id + ".jsonl"), "{\"version\":1,\"requestId\":\"", StandardOpenOption.APPEND);

        assertThat(log.events(id)).extracting(Event::type).containsExactly(EventType.ACCEPTED);
    }

    @Test
    void anEventWithoutRequestIdIsNotKept() throws Exception {
        RequestLog log = new RequestLog(home).open();

        log.append(Event.of(null, EventType.FAILED, null, "127.0.0.1"));

        try (var files = Files.list(log.dir())) {
            assertThat(files.toList()).isEmpty();
        }
    }

    @Test
    void listsTheNewestFirstAndPrunesWhatIsOlderThanItsRetention() throws Exception {
        RequestLog log = new RequestLog(home).open();
        UUID old = UUID.randomUUID();
        UUID recent = UUID.randomUUID();
        log.append(Event.of(old, EventType.ACCEPTED, Mode.FORK, "127.0.0.1"));
        log.append(Event.of(recent, EventType.ACCEPTED, Mode.FORK, "127.0.0.1"));
        Path oldFile = log.dir().resolve(old + ".jsonl");
        Files.setLastModifiedTime(
                oldFile, FileTime.from(Instant.now().minus(RequestLog.RETENTION).minusSeconds(60)));
        Files.setLastModifiedTime(
                log.dir().resolve(recent + ".jsonl"),
                FileTime.from(Instant.now().minus(Duration.ofDays(1))));

        assertThat(log.recent(10)).containsExactly(recent, old);
        assertThat(log.recent(1)).containsExactly(recent);

        new RequestLog(home).open();

        assertThat(oldFile).doesNotExist();
        assertThat(log.recent(10)).containsExactly(recent);
    }
}
