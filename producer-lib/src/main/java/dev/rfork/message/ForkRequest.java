package dev.rfork.message;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Asks the worker of the node where {@code pid} runs to copy that process to {@code target}.
 * Sent as JSON to the {@code checkpoint} queue of the source node's broker.
 *
 * @param version           message format version, {@link #VERSION}
 * @param requestId         identifies the request from creation to the end; redelivery of the
 *                          same id is served at most once
 * @param pid               the root of the process tree to copy, on the source node
 * @param target            the node that runs the copy (see {@code NodeAddress})
 * @param mode              fork (original keeps running) or migrate (original ends)
 * @param restoreTimeoutSeconds how long the source waits for the target to report the restore
 *                          before giving up (migrate resumes the original then); null = default
 * @param createdAt         when the client created the request
 * @param targets           for a fork to several nodes at once: every target, {@code target} among
 *                          them (it may then be left out: the first is taken); the process is dumped
 *                          once and each target reports its own outcome. Absent for one target.
 * @param pidNamespace      the inode of the PID namespace {@code pid} is given in, when that is not
 *                          the node's own: a process in a copy (or a container) asking for itself
 *                          knows only its PID there ({@code SelfFork} sets it). Absent: the node's.
 * @param compress          whether the images travel compressed (zstd) over FTP: for slow links.
 *                          Absent: the source node's {@code compress} setting (off by default). A
 *                          copy moved within one node's spool is never compressed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ForkRequest(
        int version,
        UUID requestId,
        long pid,
        String target,
        Mode mode,
        Integer restoreTimeoutSeconds,
        Instant createdAt,
        List<String> targets,
        Long pidNamespace,
        Boolean compress) {

    public static final int VERSION = 1;
    public static final int MAX_RESTORE_TIMEOUT_SECONDS = 3600;
    /** Copies of one dump: each target gets its own upload, in parallel. */
    public static final int MAX_TARGETS = 8;

    /** A missing {@code target} is the first of {@code targets}; an empty list is no list. */
    public ForkRequest {
        targets = targets == null || targets.isEmpty() ? null : List.copyOf(targets);
        if ((target == null || target.isBlank()) && targets != null) {
            target = targets.get(0);
        }
    }

    /** A request for one target, as before {@code targets} existed. */
    public ForkRequest(
            int version,
            UUID requestId,
            long pid,
            String target,
            Mode mode,
            Integer restoreTimeoutSeconds,
            Instant createdAt) {
        this(version, requestId, pid, target, mode, restoreTimeoutSeconds, createdAt, null, null, null);
    }

    /** A request for several targets, its PID the node's own. */
    public ForkRequest(
            int version,
            UUID requestId,
            long pid,
            String target,
            Mode mode,
            Integer restoreTimeoutSeconds,
            Instant createdAt,
            List<String> targets) {
        this(version, requestId, pid, target, mode, restoreTimeoutSeconds, createdAt, targets, null, null);
    }

    public static ForkRequest of(long pid, String target, Mode mode) {
        return new ForkRequest(VERSION, UUID.randomUUID(), pid, target, mode, null, Instant.now());
    }

    /** A fork to every node of {@code targets} from one dump; one target is an ordinary request. */
    public static ForkRequest toEach(long pid, List<String> targets, Mode mode) {
        return new ForkRequest(
                VERSION,
                UUID.randomUUID(),
                pid,
                targets.get(0),
                mode,
                null,
                Instant.now(),
                targets.size() == 1 ? null : targets);
    }

    public ForkRequest withRestoreTimeoutSeconds(Integer seconds) {
        return new ForkRequest(
                version, requestId, pid, target, mode, seconds, createdAt, targets, pidNamespace, compress);
    }

    /** The same request with its images compressed on the way ({@code null}: as the node's setting says). */
    public ForkRequest withCompress(Boolean compressed) {
        return new ForkRequest(
                version,
                requestId,
                pid,
                target,
                mode,
                restoreTimeoutSeconds,
                createdAt,
                targets,
                pidNamespace,
                compressed);
    }

    /** The same request for {@code pid} as seen from the PID namespace {@code namespace} (its inode). */
    public ForkRequest inPidNamespace(long inNamespacePid, Long namespace) {
        return new ForkRequest(
                version,
                requestId,
                inNamespacePid,
                target,
                mode,
                restoreTimeoutSeconds,
                createdAt,
                targets,
                namespace,
                compress);
    }

    /** Every node that gets a copy, in the request's order: {@code targets}, or {@code target} alone. */
    @JsonIgnore
    public List<String> allTargets() {
        return targets == null ? List.of(target) : targets;
    }

    /** Checks what can be checked without the machine; throws a {@link MessageException}. */
    public ForkRequest validate() {
        if (version != VERSION) {
            throw new MessageException(
                    Reason.UNSUPPORTED_VERSION,
                    "fork request version " + version + " is not supported; this worker reads version " + VERSION);
        }
        if (requestId == null) {
            throw new MessageException(Reason.INVALID_REQUEST, "requestId is missing");
        }
        if (pid == 1) {
            // A valid PID, but init's: freezing it would freeze the node (docs/reasons.md).
            throw new MessageException(
                    Reason.FORBIDDEN, "PID 1 is init; it may not be forked", Map.of("pid", "1"), null);
        }
        if (pid < 2 || pid > 4_194_304) {
            throw new MessageException(Reason.INVALID_REQUEST, "pid " + pid + " is not a forkable PID (2..4194304)");
        }
        if (target == null || target.isBlank()) {
            throw new MessageException(Reason.INVALID_REQUEST, "target is missing");
        }
        if (mode == null) {
            throw new MessageException(Reason.INVALID_REQUEST, "mode is missing");
        }
        if (pidNamespace != null && pidNamespace < 1) {
            throw new MessageException(Reason.INVALID_REQUEST, "pidNamespace " + pidNamespace + " is not an inode");
        }
        if (targets != null) {
            if (targets.size() > MAX_TARGETS) {
                throw new MessageException(
                        Reason.INVALID_REQUEST, "targets names " + targets.size() + " nodes; at most " + MAX_TARGETS);
            }
            if (targets.stream().anyMatch(node -> node == null || node.isBlank())) {
                throw new MessageException(Reason.INVALID_REQUEST, "targets holds an empty node");
            }
            if (new HashSet<>(targets).size() != targets.size()) {
                throw new MessageException(Reason.INVALID_REQUEST, "targets names a node twice: " + targets);
            }
            if (!targets.contains(target)) {
                throw new MessageException(
                        Reason.INVALID_REQUEST, "target " + target + " is not among targets " + targets);
            }
            if (mode == Mode.MIGRATE && targets.size() > 1) {
                throw new MessageException(
                        Reason.INVALID_REQUEST, "a migrate has one target (the original ends once its copy runs)");
            }
        }
        if (restoreTimeoutSeconds != null
                && (restoreTimeoutSeconds < 1 || restoreTimeoutSeconds > MAX_RESTORE_TIMEOUT_SECONDS)) {
            throw new MessageException(
                    Reason.INVALID_REQUEST,
                    "restoreTimeoutSeconds " + restoreTimeoutSeconds + " is outside 1.." + MAX_RESTORE_TIMEOUT_SECONDS);
        }
        return this;
    }
}
