package dev.rfork.worker.criu;

import dev.rfork.message.Mode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Checkpoint and restore of process trees. The stages see this, never a command line. */
public interface Criu {

    /**
     * Dumps the tree rooted at {@code pid} into {@code imageDir}. Fork leaves it running;
     * migrate leaves it stopped (SIGSTOP), to be resumed or ended by the caller.
     * Throws a {@code MessageException} with reason {@code CRIU_DUMP_FAILED} and CRIU's evidence.
     */
    DumpResult dump(long pid, Mode mode, Path imageDir, Path logFile);

    /**
     * Restores the images in {@code imageDir} into a fresh PID namespace and returns once the
     * copy runs. The copy outlives the caller. Its standard output goes to {@code childOutput}
     * when the original's went to a file or a terminal. CRIU writes {@code pidFile} once the copy
     * is restored; it is left for the caller, which removes it once the copy is recorded (see
     * {@link #adopt}). Throws with reason {@code CRIU_RESTORE_FAILED}; then no copy runs.
     */
    RestoredProcess restore(Path imageDir, Path logFile, Path pidFile, Path childOutput, Duration timeout);

    /**
     * The copy of a restore of {@code imageDir} that a worker started and died before recording
     * (the restore carries on without it): waits up to {@code timeout} for that restore to end,
     * and returns the copy. Empty when no such restore runs and none made a copy. Throws with
     * reason {@code CRIU_RESTORE_FAILED} when its copy has ended since, or when the restore does
     * not end in time (it is ended then).
     */
    Optional<RestoredProcess> adopt(Path imageDir, Path pidFile, Duration timeout);

    /**
     * Removes what a restore of {@code imageDir} wrote, once it left no copy: CRIU's own files in
     * the images (which would otherwise fail their verification as unlisted) and {@code pidFile}.
     */
    void discardRestore(Path imageDir, Path pidFile);

    /** The worker stops: a CRIU run in progress must end soon rather than outlive it. */
    default void stop() {}

    /** {@code criu --version}'s first line, or throws when CRIU cannot run. */
    String version();

    /** Result of a dump: CRIU's own statistics, in microseconds and pages. */
    record DumpResult(
            long freezingMicros,
            long frozenMicros,
            long memdumpMicros,
            long memwriteMicros,
            long pagesWritten,
            long elapsedMillis) {}

    /**
     * A restored copy.
     *
     * @param hostPid   the copy's PID as this node's host sees it
     * @param holderPid the namespace's init (CRIU), which lives as long as the copy
     */
    record RestoredProcess(long hostPid, long holderPid, long elapsedMillis) {}
}
