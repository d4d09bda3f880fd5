package dev.rfork.worker.events;

import dev.rfork.config.OwnerOnly;
import dev.rfork.message.Event;
import dev.rfork.message.Messages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events of every request this node has heard of, one JSON line each, in
 * {@code HOME/requests/<requestId>.jsonl}: what {@code rfork status} reads after the fact.
 * Events are cluster-wide, so every node knows how each request ended, wherever it ran.
 */
public final class RequestLog {
    private static final Logger LOG = LoggerFactory.getLogger(RequestLog.class);
    /** How long a request's events are kept after its last one. */
    public static final Duration RETENTION = Duration.ofDays(7);

    private static final String SUFFIX = ".jsonl";

    private static final Duration PRUNE_EVERY = Duration.ofHours(1);
    private static final Set<StandardOpenOption> APPEND_OR_CREATE =
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);

    private final Path dir;
    private Instant nextPrune = Instant.now().plus(PRUNE_EVERY);

    public RequestLog(Path home) {
        this.dir = home.resolve("requests");
    }

    public Path dir() {
        return dir;
    }

    /** Creates the directory and drops what is older than {@link #RETENTION}. */
    public RequestLog open() throws IOException {
        OwnerOnly.directory(dir);
        prune(Instant.now().minus(RETENTION));
        return this;
    }

    /** Appends one event (events without a request id, from unreadable messages, are not kept). */
    public void append(Event event) throws IOException {
        if (event.requestId() == null) {
            return;
        }
        // A worker may run for months: prune as it goes, not only when it starts.
        if (Instant.now().isAfter(nextPrune)) {
            nextPrune = Instant.now().plus(PRUNE_EVERY);
            prune(Instant.now().minus(RETENTION));
        }
        byte[] line = (Messages.toJson(event) + "\n").getBytes(StandardCharsets.UTF_8);
        try (SeekableByteChannel out =
                Files.newByteChannel(file(event.requestId()), APPEND_OR_CREATE, OwnerOnly.fileMode())) {
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        }
    }

    /** The request's events in the order they arrived; empty when this node never heard of it. */
    public List<Event> events(UUID requestId) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file(requestId), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<Event> events = new ArrayList<>();
        for (String line : lines) {
            // A line being appended right now, or cut by a full disk, is skipped, not fatal.
            if (!line.isBlank()) {
                try {
                    events.add(Messages.fromJson(line, Event.class));
                } catch (RuntimeException e) {
                    LOG.debug("skipping an unreadable line of {}: {}", file(requestId), e.getMessage());
                }
            }
        }
        return events;
    }

    /** The requests heard of most recently, newest first. */
    public List<UUID> recent(int limit) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.filter(file -> file.getFileName().toString().endsWith(SUFFIX))
                    .sorted(Comparator.comparing(RequestLog::modified).reversed())
                    .limit(limit)
                    .map(file -> requestId(file.getFileName().toString()))
                    .filter(id -> id != null)
                    .toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    void prune(Instant cutoff) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                if (file.getFileName().toString().endsWith(SUFFIX)
                        && modified(file).toInstant().isBefore(cutoff)) {
                    Files.deleteIfExists(file);
                    LOG.debug("pruned {}", file);
                }
            }
        }
    }

    /** The file name comes from a parsed UUID only, never from a message's text. */
    private Path file(UUID requestId) {
        return dir.resolve(requestId + SUFFIX);
    }

    private static UUID requestId(String fileName) {
        try {
            return UUID.fromString(fileName.substring(0, fileName.length() - SUFFIX.length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
