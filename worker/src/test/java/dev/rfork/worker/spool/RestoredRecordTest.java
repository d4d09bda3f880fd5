package dev.rfork.worker.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RestoredRecordTest {
    @TempDir
    Path inbox;

    @Test
    void aWrittenRecordReadsBack() throws Exception {
        Path file = inbox.resolve("r.restored");

        new RestoredRecord(31337, 31330).write(file);

        assertThat(file).hasContent("31337 31330\n");
        assertThat(RestoredRecord.read(file)).contains(new RestoredRecord(31337, 31330));
        assertThat(inbox.resolve("r.restored.partial")).doesNotExist();
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"31337 31330", "31337 31330\n", "2 1", "4194304 4194304"})
    void recordsAsTheWorkerWritesThemAreRead(String text) throws Exception {
        Path file = Files.writeString(inbox.resolve("r.restored"), text);

        assertThat(RestoredRecord.read(file)).isPresent();
        assertThat(file).exists();
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(
            strings = {
                "", // what the probe planted
                "\n",
                "restored", // text
                "31337", // one PID only
                "31337 31330 1", // three
                "-5 31330", // negative
                "0 1", // not a PID
                "31337 0",
                "4194305 1", // above PID_MAX_LIMIT
                "99999999999999999999 1", // beyond a long
                "31337 31330\n1 2\n", // several lines
                "31337 31330\n\n",
                " 31337 31330", // padded
                "31337  31330",
                "31337\t31330",
                "+31337 31330",
                "0x7a69 31330",
                "031337 31330", // leading zero: never written so
                "\u0663\u0661 31330", // digits, but not ASCII ones
            })
    void anUnreadableRecordIsNotTrustedAndIsRemoved(String text) throws Exception {
        Path file = Files.writeString(inbox.resolve("r.restored"), text);

        assertThat(RestoredRecord.read(file)).isEmpty();
        assertThat(file).doesNotExist();
    }

    @Test
    void aHugeRecordIsNotReadWholeAndIsRemoved() throws Exception {
        Path file = Files.writeString(inbox.resolve("r.restored"), "1".repeat(10 << 20) + " 2\n");

        assertThat(RestoredRecord.read(file)).isEmpty();
        assertThat(file).doesNotExist();
    }

    @Test
    void aDirectoryOrALinkInPlaceOfARecordIsNotTrustedAndIsRemoved() throws Exception {
        Path dir = Files.createDirectories(inbox.resolve("d.restored").resolve("inside"));
        Path target = Files.writeString(inbox.resolve("elsewhere"), "31337 31330\n");
        Path link = Files.createSymbolicLink(inbox.resolve("l.restored"), target);

        assertThat(RestoredRecord.read(dir.getParent())).isEmpty();
        assertThat(RestoredRecord.read(link)).isEmpty();
        assertThat(dir.getParent()).doesNotExist();
        assertThat(link).doesNotExist();
        assertThat(target).exists();
    }

    @Test
    void noRecordIsNoCopy() {
        assertThat(RestoredRecord.read(inbox.resolve("none.restored"))).isEmpty();
    }
}
