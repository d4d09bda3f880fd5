package dev.rfork.worker.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * SHA-256 and size of files as this node's FTP server wrote them, so that {@link Manifest#verify}
 * need not compute SHA-256 over every image once more. The server hashes each upload while writing
 * it (SHA-256, and CRC32C of the same bytes) and, at close, records both with the file's
 * {@link Stamp} (size, modification and change time, inode). The digest is handed out only once,
 * only while the file still has that stamp, and only if the file as it is now still has the
 * CRC32C of the bytes that arrived: the file is read again, but CRC32C runs ~9 GB/s here against
 * ~1 GB/s for SHA-256 (docs/decisions.md has the measured cost).
 *
 * <p>What this protects, and what not: the SHA-256 is of the bytes that arrived, so corruption or
 * substitution on the way is caught exactly as by reading the file again. A change to the file on
 * disk, during the upload or after it, changes its CRC32C (or its stamp): the file is then read
 * again with SHA-256 and refused. CRC32C is no cryptographic digest: someone who can write the
 * inbox could craft a change that keeps it; such a writer could also change the images between
 * the check and CRIU's read, whatever the check. The inbox is owner-only for that reason.
 *
 * <p>Memory stays bounded: entries go when used, when the file is written again, deleted or
 * renamed through the server, after {@link #DEFAULT_TTL}, and the oldest beyond
 * {@link #DEFAULT_MAX_ENTRIES}. A file without an entry is simply read again. Thread-safe.
 */
public final class ReceivedFiles {
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(15);
    public static final int DEFAULT_MAX_ENTRIES = 4096;
    private static final int READ_BUFFER = 1 << 20;

    /** What identifies a file's content without reading it; equal stamps, presumably equal bytes. */
    public record Stamp(long size, FileTime modified, FileTime changed, Object fileKey) {
        /** The file's stamp, not following links; {@code changed} is null where there is no ctime. */
        public static Stamp of(Path file) throws IOException {
            try {
                Map<String, Object> unix = Files.readAttributes(
                        file, "unix:size,lastModifiedTime,ctime,fileKey", LinkOption.NOFOLLOW_LINKS);
                return new Stamp(
                        (Long) unix.get("size"),
                        (FileTime) unix.get("lastModifiedTime"),
                        (FileTime) unix.get("ctime"),
                        unix.get("fileKey"));
            } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
                var basic = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                return new Stamp(basic.size(), basic.lastModifiedTime(), null, basic.fileKey());
            }
        }
    }

    /** A write in progress ({@code sha256} null) or done; {@code generation} tells writers apart. */
    private record Entry(long generation, String sha256, long crc32c, Stamp stamp, long sinceNanos) {}

    private final Map<Path, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong generations = new AtomicLong();
    private final long ttlNanos;
    private final int maxEntries;
    private final LongSupplier nanoClock;

    public ReceivedFiles() {
        this(DEFAULT_TTL, DEFAULT_MAX_ENTRIES, System::nanoTime);
    }

    ReceivedFiles(Duration ttl, int maxEntries, LongSupplier nanoClock) {
        this.ttlNanos = ttl.toNanos();
        this.maxEntries = maxEntries;
        this.nanoClock = nanoClock;
    }

    private static Path key(Path file) {
        return file.toAbsolutePath().normalize();
    }

    /**
     * A write of {@code file} begins: whatever was known of it is void. Returns the token that
     * {@link #written} needs, so a writer overtaken by a newer one records nothing.
     */
    public long writing(Path file) {
        if (entries.size() >= maxEntries) {
            prune();
        }
        long generation = generations.incrementAndGet();
        entries.put(key(file), new Entry(generation, null, 0, null, nanoClock.getAsLong()));
        return generation;
    }

    /**
     * The write that {@link #writing} announced ended: {@code size} bytes with these digests, from
     * offset 0. Recorded with the file's stamp as it is now, unless another write of the file
     * began meanwhile (then nothing is known of it) or the size on disk differs.
     */
    public void written(Path file, long generation, long size, String sha256, long crc32c) {
        Path key = key(file);
        Stamp stamp;
        try {
            stamp = Stamp.of(key);
        } catch (IOException e) {
            entries.remove(key);
            return;
        }
        entries.compute(
                key,
                (path, current) -> current == null || current.generation() != generation || stamp.size() != size
                        ? null
                        : new Entry(generation, sha256, crc32c, stamp, nanoClock.getAsLong()));
    }

    /** Nothing is known of {@code file} any more (deleted, renamed, written other than from the start). */
    public void forget(Path file) {
        entries.remove(key(file));
    }

    /**
     * The digest recorded for {@code file}, if the file still has the stamp it had when written,
     * its bytes still have the CRC32C of those that arrived, and the entry has not expired; null
     * otherwise. Either way the entry is used up.
     */
    public String take(Path file) throws IOException {
        Path key = key(file);
        Entry entry = entries.remove(key);
        if (entry == null
                || entry.sha256() == null
                || expired(entry, nanoClock.getAsLong())
                || !Objects.equals(Stamp.of(key), entry.stamp())) {
            return null;
        }
        return crc32c(key) == entry.crc32c() ? entry.sha256() : null;
    }

    /** CRC32C of the file's bytes, read through a direct buffer (the JDK's intrinsic works on it without a copy). */
    public static long crc32c(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BUFFER);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                crc.update(buffer);
                buffer.clear();
            }
        }
        return crc.getValue();
    }

    /** How many files are tracked (in progress or recorded). */
    public int size() {
        return entries.size();
    }

    /** Whether a digest is recorded for {@code file} (for tests and diagnostics; does not use it up). */
    public String peek(Path file) {
        Entry entry = entries.get(key(file));
        return entry == null ? null : entry.sha256();
    }

    private boolean expired(Entry entry, long now) {
        return now - entry.sinceNanos() > ttlNanos;
    }

    /** Drops expired entries, then the oldest until a quarter of the room is free. */
    private synchronized void prune() {
        long now = nanoClock.getAsLong();
        entries.values().removeIf(entry -> expired(entry, now));
        int excess = entries.size() - maxEntries * 3 / 4;
        if (excess > 0) {
            entries.entrySet().stream()
                    .sorted(Comparator.comparingLong(e -> e.getValue().sinceNanos()))
                    .limit(excess)
                    .map(Map.Entry::getKey)
                    .toList()
                    .forEach(entries::remove);
        }
    }
}
