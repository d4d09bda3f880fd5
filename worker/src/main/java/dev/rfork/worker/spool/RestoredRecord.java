package dev.rfork.worker.spool;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node knows of a copy it restored, kept in {@code inbox/<requestId>.restored} so
 * that a redelivered restore request is answered again instead of restored twice, and so that
 * the copy's output is kept while it runs. This class alone writes and reads that file: one
 * line, {@code "<copy's PID> <holder's PID>\n"}.
 *
 * <p>A record that cannot be read (empty, text, out of range, several lines, too long) is not
 * trusted: it is logged with its file name, removed, and read as no record at all. Whoever
 * wrote it, it must never stop the worker or a request.
 *
 * @param copyPid   the copy's PID as this node's host sees it
 * @param holderPid the PID of the restore's holder, which lives as long as the copy
 */
public record RestoredRecord(long copyPid, long holderPid) {
    private static final Logger LOG = LoggerFactory.getLogger(RestoredRecord.class);
    /** PID_MAX_LIMIT of 64-bit Linux: no PID is larger. */
    public static final long MAX_PID = 4_194_304;

    private static final int MAX_BYTES = 64;
    private static final Pattern LINE = Pattern.compile("([1-9][0-9]{0,6}) ([1-9][0-9]{0,6})\n?");

    public RestoredRecord {
        if (copyPid < 1 || copyPid > MAX_PID || holderPid < 1 || holderPid > MAX_PID) {
            throw new IllegalArgumentException("not PIDs: " + copyPid + " " + holderPid);
        }
    }

    /** Writes the record whole: a crash leaves the old record or the new one, never a part. */
    public void write(Path file) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.writeString(partial, copyPid + " " + holderPid + "\n");
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The record in {@code file}; empty when there is none, or none that can be trusted (then removed). */
    public static Optional<RestoredRecord> read(Path file) {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        Optional<RestoredRecord> record = Optional.empty();
        try {
            record = Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? parse(head(file)) : Optional.empty();
        } catch (IOException e) {
            LOG.warn("cannot read the restore record {}: {}", file, e.getMessage());
        }
        if (record.isEmpty()) {
            LOG.warn(
                    "the restore record {} is not one this worker wrote (one line: two PIDs); not trusted: "
                            + "no copy is known for it, and it is removed",
                    file);
            remove(file);
        }
        return record;
    }

    /** The record in {@code text}, if it is exactly one well-formed line. */
    static Optional<RestoredRecord> parse(String text) {
        Matcher line = LINE.matcher(text);
        if (!line.matches()) {
            return Optional.empty();
        }
        long copy = Long.parseLong(line.group(1));
        long holder = Long.parseLong(line.group(2));
        return copy <= MAX_PID && holder <= MAX_PID ? Optional.of(new RestoredRecord(copy, holder)) : Optional.empty();
    }

    /** At most {@link #MAX_BYTES} + 1 bytes: enough to tell a record from anything longer. */
    private static String head(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return new String(in.readNBytes(MAX_BYTES + 1), StandardCharsets.US_ASCII);
        }
    }

    private static void remove(Path file) {
        try {
            if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                Spool.deleteTree(file);
            } else {
                Files.deleteIfExists(file);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot remove the untrusted restore record {}: {}", file, e.getMessage());
        }
    }
}
