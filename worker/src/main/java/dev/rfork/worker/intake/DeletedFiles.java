package dev.rfork.worker.intake;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Files a process tree holds open after they were deleted ("ghost files"): CRIU carries their
 * contents in the images, up to its {@code --ghost-limit}, and fails the dump on a larger one.
 */
final class DeletedFiles {
    private static final String DELETED = " (deleted)";

    private DeletedFiles() {}

    /** A deleted regular file the tree holds that is larger than {@code limit}, if any. */
    record Ghost(String file, long size) {}

    static Optional<Ghost> largerThan(long root, long limit) {
        for (Path fd : OpenFiles.of(root)) {
            try {
                String target = Files.readSymbolicLink(fd).toString();
                if (!target.endsWith(DELETED) || !Files.isRegularFile(fd)) {
                    continue;
                }
                long size = Files.size(fd);
                if (size > limit) {
                    return Optional.of(new Ghost(target, size));
                }
            } catch (IOException | RuntimeException e) {
                // closed meanwhile: nothing to carry
            }
        }
        return Optional.empty();
    }
}
