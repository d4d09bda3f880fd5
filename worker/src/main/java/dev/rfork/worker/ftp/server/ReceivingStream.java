package dev.rfork.worker.ftp.server;

import dev.rfork.config.OwnerOnly;
import dev.rfork.worker.spool.PipelinedDigest;
import dev.rfork.worker.spool.ReceivedFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * Writes to the file in blocks of {@link PipelinedDigest#BLOCK_SIZE}, each hashed on the
 * digest's own thread while the next one arrives; on a clean close records size and digest.
 * A {@link BufferedOutputStream} only so that FtpServer, which copies the data connection 4
 * KiB at a time, does not wrap it in a buffer of its own: every method is overridden, its
 * buffer is unused. Closing twice (FtpServer does) is harmless.
 */
final class ReceivingStream extends BufferedOutputStream implements BlockReceiver {
    private final ReceivedFiles received;
    private final FileChannel channel;
    /** Null for a write that does not start at 0: only a whole file has a digest. */
    private final PipelinedDigest digest;

    private final Path path;
    private final long generation;
    private byte[] block;
    private int filled;
    private boolean failed;
    private boolean closed;

    private ReceivingStream(
            ReceivedFiles received, FileChannel channel, PipelinedDigest digest, Path path, long generation) {
        super(OutputStream.nullOutputStream(), 1);
        this.received = received;
        this.channel = channel;
        this.digest = digest;
        this.path = path;
        this.generation = generation;
    }

    /** A file of a request being written from {@code offset}, hashed if from its start. */
    static ReceivingStream open(ReceivedFiles received, Path path, long offset) throws IOException {
        long generation = received.writing(path);
        if (!Files.exists(path)) {
            // Images hold process memory: owner-only from the start, whatever the umask.
            Files.createFile(path, OwnerOnly.fileMode());
        }
        RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw");
        try {
            // The native file system truncates to the offset unconditionally. On ext4 a
            // truncate (even of an empty file) marks it for allocation at close
            // (auto_da_alloc): closing then starts writing the whole file out, and the next
            // fsync on the filesystem (the broker's journal, at the hand-off) waits for all
            // of it, ~0.3 s for a 270 MB image here. A new file has nothing to truncate.
            if (raf.length() != offset) {
                raf.setLength(offset);
            }
            raf.seek(offset);
        } catch (IOException | RuntimeException e) {
            raf.close();
            received.forget(path);
            throw e;
        }
        // Only a write from the start gives the digest of the whole file.
        return new ReceivingStream(
                received, raf.getChannel(), offset == 0 ? new PipelinedDigest() : null, path, generation);
    }

    /**
     * Reads {@code in} to its end straight into the blocks (no copy through a buffer of the
     * caller's); the number of bytes read. {@link BlockStor} gives it the data connection.
     */
    @Override
    public long receive(InputStream in, LongConsumer counted) throws IOException {
        long total = 0;
        try {
            for (int read = 1; read > 0; ) {
                takeBlock();
                read = in.readNBytes(block, filled, block.length - filled);
                filled += read;
                total += read;
                counted.accept(read);
                if (filled == block.length) {
                    writeBlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            failed = true; // a stream that broke (a bundle or a frame cut short) is no whole file
            throw e;
        }
        return total;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            takeBlock();
            int n = Math.min(length, block.length - filled);
            System.arraycopy(bytes, offset, block, filled, n);
            filled += n;
            offset += n;
            length -= n;
            if (filled == block.length) {
                writeBlock();
            }
        }
    }

    private void takeBlock() throws IOException {
        if (block == null) {
            block = digest != null ? digest.take() : new byte[PipelinedDigest.BLOCK_SIZE];
        }
    }

    private void writeBlock() throws IOException {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(block, 0, filled);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
        if (digest != null) {
            digest.hash(block, filled);
            block = null;
        }
        filled = 0;
    }

    /** The data connection's end is the only flush that matters: close() writes what is left. */
    @Override
    public void flush() {}

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            try {
                if (filled > 0) {
                    writeBlock();
                }
            } finally {
                // Also when the last block did not fit: an open channel keeps the file's blocks
                // allocated after the file is deleted, and a full disk stays full.
                channel.close();
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        } finally {
            record();
        }
    }

    private void record() throws IOException {
        if (digest == null || failed) {
            received.forget(path);
            if (digest != null) {
                digest.close();
            }
            return;
        }
        PipelinedDigest.Result result = digest.finish();
        received.written(path, generation, result.bytes(), result.sha256(), result.crc32c());
    }
}
