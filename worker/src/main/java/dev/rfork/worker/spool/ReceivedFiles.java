package dev.rfork.worker.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * SHA-256 and size of files as this node's FTP server wrote them, so that {@link Manifest#verify}
 * need not read every image once more. The server hashes each upload while writing it and, at
 * close, records the digest with the file's {@link Stamp} (size, modification and change time,
 * inode); a digest is handed out only while the file still has that stamp, and only once.
 *
 * <p>What this protects, and what not: the digest is of the bytes that arrived, so corruption or
 * substitution on the way is caught exactly as by reading the file again. A change to the file
 * after the upload is caught when it changes the size, the inode (a file replaced), or a
 * timestamp; a same-size overwrite within the kernel's timestamp granularity (a few ms), or by
 * someone who resets both times (which takes root, or the clock), would go unnoticed. Neither
 * did reading the file again protect against such a local writer: it could change the images
 * between the check and CRIU's read. The inbox is owner-only for that reason.
 *
 * <p>Memory stays bounded: entries go when used, when the file is written again, deleted or
 * renamed through the server, after {@link #DEFAULT_TTL}, and the oldest beyond
 * {@link #DEFAULT_MAX_ENTRIES}. A file without an entry is simply read again. Thread-safe.
 */
public final class ReceivedFiles {
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(15);
    public static final int DEFAULT_MAX_ENTRIES = 4096;

    /** What identifies a file's content without reading it; equal stamps, presumably equal bytes. */
    public record Stamp(long size, FileTime modified, FileTime changed, Object fileKey) {
        /** The file's stamp, not following links; {@code changed} is null where there is no ctime. */
        public static Stamp of(Path file) throws IOException {
            try {
                Map<String, Object> unix = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,fileKey",
                        LinkOption.NOFOLLOW_LINKS);
                return new Stamp((Long) unix.get("size"), (FileTime) unix.get("lastModifiedTime"),
                        (FileTime) unix.get("ctime"), unix.get("fileKey"));
            } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
                var basic = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                return new Stamp(basic.size(), basic.lastModifiedTime(), null, basic.fileKey());
            }
        }
    }

    /** A write in progress ({@code sha256} null) or done; {@code generation} tells writers apart. */
    private record Entry(long generation, String sha256, Stamp stamp, long sinceNanos) {
    }

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
        entries.put(key(file), new Entry(generation, null, null, nanoClock.getAsLong()));
        return generation;
    }

    /**
     * The write that {@link #writing} announced ended: {@code size} bytes with this digest, from
     * offset 0. Recorded with the file's stamp as it is now, unless another write of the file
     * began meanwhile (then nothing is known of it) or the size on disk differs.
     */
    public void written(Path file, long generation, long size, String sha256) {
        Path key = key(file);
        Stamp stamp;
        try {
            stamp = Stamp.of(key);
        } catch (IOException e) {
            entries.remove(key);
            return;
        }
        entries.compute(key, (path, current) -> current == null || current.generation() != generation
                || stamp.size() != size ? null : new Entry(generation, sha256, stamp, nanoClock.getAsLong()));
    }

    /** Nothing is known of {@code file} any more (deleted, renamed, written other than from the start). */
    public void forget(Path file) {
        entries.remove(key(file));
    }

    /**
     * The digest recorded for {@code file}, if the file still has the stamp it had when written
     * and the entry has not expired; null otherwise. Either way the entry is used up.
     */
    public String take(Path file) throws IOException {
        Path key = key(file);
        Entry entry = entries.remove(key);
        if (entry == null || entry.sha256() == null || expired(entry, nanoClock.getAsLong())) {
            return null;
        }
        return Objects.equals(Stamp.of(key), entry.stamp()) ? entry.sha256() : null;
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
