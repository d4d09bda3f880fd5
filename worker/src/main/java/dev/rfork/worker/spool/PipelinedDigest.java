package dev.rfork.worker.spool;

import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

/**
 * The SHA-256 and CRC32C of bytes that one thread moves (file to socket, socket to file) in
 * blocks, computed on a thread of its own: the mover takes a free block, fills it, writes it
 * out, hands it over here and goes on with the next one. SHA-256 runs at about the speed of a
 * loopback copy on these machines (~1.4 GB/s a core); done in line it halved an upload, done
 * beside it the two overlap. At most {@link #BLOCKS} blocks of {@link #BLOCK_SIZE} exist per
 * digest, allocated as they are first needed (a small file uses one).
 *
 * <p>Used by one mover thread; {@link #close()} (without {@link #finish()}) abandons the digest.
 */
public final class PipelinedDigest implements AutoCloseable {
    /** Large enough that a block is one system call's worth of work, small enough for many uploads at once. */
    public static final int BLOCK_SIZE = 256 << 10;

    static final int BLOCKS = 8;

    private static final AtomicInteger THREADS = new AtomicInteger();

    /** Idle threads end after a minute: an idle worker keeps none. */
    private static final ExecutorService HASHERS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "digest-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    private static final byte[] END = new byte[0];

    /** What was hashed: the SHA-256 in hex, the CRC32C and the byte count. */
    public record Result(String sha256, long crc32c, long bytes) {}

    private record Filled(byte[] block, int length) {}

    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BLOCKS);
    // Every block and the end marker fit: handing over never waits.
    private final BlockingQueue<Filled> filled = new ArrayBlockingQueue<>(BLOCKS + 1);
    private final ArrayBlockingQueue<Result> result = new ArrayBlockingQueue<>(1);
    private int allocated;
    private boolean ended;

    public PipelinedDigest() {
        HASHERS.execute(this::hashUntilEnd);
    }

    /** A block to fill: a new one while fewer than {@link #BLOCKS} exist, else the next one hashed. */
    public byte[] take() throws InterruptedIOException {
        byte[] block = free.poll();
        if (block != null) {
            return block;
        }
        if (allocated < BLOCKS) {
            allocated++;
            return new byte[BLOCK_SIZE];
        }
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the digest");
        }
    }

    /** Hands over {@code block} (from {@link #take()}) holding {@code length} bytes to hash, in order. */
    public void hash(byte[] block, int length) {
        filled.add(new Filled(block, length));
    }

    /** Waits until every block handed over is hashed. */
    public Result finish() throws InterruptedIOException {
        end();
        try {
            return result.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the digest");
        }
    }

    /** Lets the hashing thread go; what it has not hashed yet is dropped with it. */
    @Override
    public void close() {
        end();
    }

    private void end() {
        if (!ended) {
            ended = true;
            filled.add(new Filled(END, 0));
        }
    }

    private void hashUntilEnd() {
        MessageDigest sha = Manifest.newDigest();
        CRC32C crc = new CRC32C();
        long bytes = 0;
        try {
            for (Filled next = filled.take(); next.block() != END; next = filled.take()) {
                sha.update(next.block(), 0, next.length());
                crc.update(next.block(), 0, next.length());
                bytes += next.length();
                free.add(next.block());
            }
            result.add(new Result(HexFormat.of().formatHex(sha.digest()), crc.getValue(), bytes));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
