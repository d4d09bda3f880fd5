package dev.rfork.worker.ship;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The images of a dump still running: {@code ended} completes when CRIU has exited (with its
 * failure, if it failed). Files written from start to end ({@code pages-*.img}, the memory) can
 * be read while they grow; everything else is read once the dump has ended. A reader never
 * trusts a size before the end: the manifest, made afterwards, names the sizes the target checks.
 */
public final class GrowingImages implements ImageSource {
    private static final long POLL_MILLIS = 2;

    private final Path dir;
    private final CompletableFuture<?> ended;

    public GrowingImages(Path dir, CompletableFuture<?> ended) {
        this.dir = dir;
        this.ended = ended;
    }

    @Override
    public Path dir() {
        return dir;
    }

    @Override
    public boolean complete() {
        return ended.isDone();
    }

    @Override
    public List<Path> awaitFiles() throws IOException {
        awaitEnd();
        return new FinishedImages(dir).awaitFiles();
    }

    @Override
    public List<Path> growingFiles() throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(file -> file.getFileName().toString().startsWith("pages-"))
                    .sorted()
                    .toList();
        }
    }

    @Override
    public InputStream open(Path file) throws IOException {
        return new Following(FileChannel.open(file, StandardOpenOption.READ));
    }

    private void awaitEnd() throws IOException {
        try {
            ended.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new IOException("the dump failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the dump");
        }
    }

    /** Reads what is written; at the current end, waits for more or for the end of the dump. */
    private final class Following extends InputStream {
        private final FileChannel channel;

        Following(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            while (true) {
                // Whether the dump had ended is read before the file: bytes written before the end
                // are then all visible to the read that follows.
                boolean endedBefore = ended.isDone();
                int read = channel.read(ByteBuffer.wrap(buffer, offset, length));
                if (read > 0) {
                    return read;
                }
                if (endedBefore) {
                    awaitEnd();
                    return -1;
                }
                waitForMore();
            }
        }

        private void waitForMore() throws IOException {
            try {
                ended.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException stillRunningOrFailed) {
                // the next read sees more bytes, or the end and its failure
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while following " + dir);
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
