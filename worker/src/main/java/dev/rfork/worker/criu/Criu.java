package dev.rfork.worker.criu;

import dev.rfork.message.Mode;
import java.nio.file.Path;
import java.time.Duration;

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
     * when the original's went to a file or a terminal. Throws with reason {@code CRIU_RESTORE_FAILED}.
     */
    RestoredProcess restore(Path imageDir, Path logFile, Path childOutput, Duration timeout);

    /** The worker stops: a CRIU run in progress must end soon rather than outlive it. */
    default void stop() {
    }

    /** {@code criu --version}'s first line, or throws when CRIU cannot run. */
    String version();

    /** Result of a dump: CRIU's own statistics, in microseconds and pages. */
    record DumpResult(long freezingMicros, long frozenMicros, long memdumpMicros, long memwriteMicros,
            long pagesWritten, long elapsedMillis) {
    }

    /**
     * A restored copy.
     *
     * @param hostPid   the copy's PID as this node's host sees it
     * @param holderPid the namespace's init (CRIU), which lives as long as the copy
     */
    record RestoredProcess(long hostPid, long holderPid, long elapsedMillis) {
    }
}
