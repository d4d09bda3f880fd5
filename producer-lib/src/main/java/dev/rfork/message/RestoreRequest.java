package dev.rfork.message;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.UUID;

/**
 * Tells the target's worker that the images of {@code requestId} were uploaded to its spool.
 * Sent by the source worker to {@code restore.<target>}. The target derives the image
 * directory from the request id itself: no path travels in a message.
 *
 * @param manifestSha256 SHA-256 of the manifest file; the manifest lists every image's digest
 * @param deadline       the target refuses to restore after this instant, so a source that
 *                       gave up (and, for migrate, resumed the original) never gets a late twin
 * @param acceptedAt     when the source accepted the fork request; the target reports the time from
 *                       then to the copy running (optional: absent from older sources)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestoreRequest(
        int version,
        UUID requestId,
        String source,
        String target,
        Mode mode,
        long pid,
        String manifestSha256,
        Instant deadline,
        Instant createdAt,
        Instant acceptedAt) {

    public static final int VERSION = 1;

    /** Without {@code acceptedAt}, as sources before it was added wrote it. */
    public RestoreRequest(
            int version,
            UUID requestId,
            String source,
            String target,
            Mode mode,
            long pid,
            String manifestSha256,
            Instant deadline,
            Instant createdAt) {
        this(version, requestId, source, target, mode, pid, manifestSha256, deadline, createdAt, null);
    }

    public RestoreRequest validate() {
        if (version != VERSION) {
            throw new MessageException(
                    Reason.UNSUPPORTED_VERSION,
                    "restore request version " + version + " is not supported; this worker reads version " + VERSION);
        }
        if (requestId == null || source == null || target == null || mode == null || deadline == null) {
            throw new MessageException(
                    Reason.INVALID_REQUEST, "requestId, source, target, mode and deadline are required");
        }
        if (manifestSha256 == null || !manifestSha256.matches("[0-9a-f]{64}")) {
            throw new MessageException(Reason.INVALID_REQUEST, "manifestSha256 must be 64 lower-case hex digits");
        }
        return this;
    }
}
