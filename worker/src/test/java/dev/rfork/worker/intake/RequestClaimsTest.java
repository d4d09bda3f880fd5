package dev.rfork.worker.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestClaimsTest {
    @TempDir
    Path dir;

    @Test
    void anIdBelongsToTheFirstMessageAndToItsRedeliveries() throws Exception {
        RequestClaims claims = new RequestClaims(dir);
        UUID id = UUID.randomUUID();

        assertThat(claims.claim(id, "message-1")).isTrue();
        assertThat(claims.claim(id, "message-1")).as("a redelivery").isTrue();
        assertThat(claims.claim(id, "message-2")).as("another message").isFalse();
        assertThat(Files.readString(dir.resolve(id.toString()))).isEqualTo("message-1");
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).hasSize(1);
        }
    }

    @Test
    void withoutAMessageIdNothingCanBeToldApartSoItPasses() throws Exception {
        RequestClaims claims = new RequestClaims(dir);
        UUID id = UUID.randomUUID();
        claims.claim(id, "message-1");

        assertThat(claims.claim(id, null)).isTrue();
    }

    @Test
    void oldClaimsAndDraftsAreForgotten() throws Exception {
        RequestClaims claims = new RequestClaims(dir);
        UUID old = UUID.randomUUID();
        claims.claim(old, "message-1");
        Files.setLastModifiedTime(
                dir.resolve(old.toString()),
                FileTime.from(Instant.now().minus(RequestClaims.RETENTION).minusSeconds(60)));
        Path draft = Files.writeString(dir.resolve(".claim-123.tmp"), "");

        claims.prune(Instant.now().minus(RequestClaims.RETENTION));

        assertThat(dir.resolve(old.toString())).doesNotExist();
        assertThat(draft).doesNotExist();
        assertThat(claims.claim(old, "message-2")).isTrue();
    }
}
