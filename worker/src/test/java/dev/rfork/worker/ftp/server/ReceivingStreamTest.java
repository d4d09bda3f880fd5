package dev.rfork.worker.ftp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rfork.worker.spool.ReceivedFiles;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upload that meets a full disk: its file is closed all the same, so deleting it gives the
 * space back. (A channel left open kept a deleted file's blocks: a target's inbox stayed full
 * after a failed upload, and the next request failed too, FullInboxIT once in CI.) Needs root
 * (mount): a test that cannot mount fails, it is not skipped.
 */
class ReceivingStreamTest {
    @TempDir
    Path dir;

    @Test
    void aFileThatDoesNotFitIsClosedAllTheSameAndItsSpaceComesBackOnceDeleted() throws Exception {
        Path small = dir.resolve("small");
        Files.createDirectories(small);
        run("mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", small.toString());
        try {
            Path file = small.resolve("pages-1.img");
            ReceivingStream out = ReceivingStream.open(new ReceivedFiles(), file, 0);
            // Less than a block: it is written out only as the stream closes, and does not fit.
            out.write(new byte[200 << 10], 0, 200 << 10);

            assertThatThrownBy(out::close).isInstanceOf(IOException.class);

            Files.delete(file);
            FileStore store = Files.getFileStore(small);
            assertThat(store.getUnallocatedSpace()).isEqualTo(store.getTotalSpace());
        } finally {
            // Lazy: a descriptor still open on it would keep a plain unmount from succeeding.
            run("umount", "--lazy", small.toString());
        }
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).inheritIO().start();
        assertThat(process.waitFor()).as(String.join(" ", command)).isZero();
    }
}
