package dev.rfork.config;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * rfork's state is its owner's only: secrets, the broker's journal, who asked for what, and
 * images that hold process memory. Directories are 700 and files 600 from the moment they are
 * created, whatever the umask (a chmod afterwards would leave a window).
 */
public final class OwnerOnly {
    private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private OwnerOnly() {}

    /** For {@code Files.createFile}, {@code createTempFile}, {@code newByteChannel}: mode 600. */
    public static FileAttribute<Set<PosixFilePermission>> fileMode() {
        return PosixFilePermissions.asFileAttribute(FILE);
    }

    /** For {@code Files.createDirectory}: mode 700. */
    public static FileAttribute<Set<PosixFilePermission>> directoryMode() {
        return PosixFilePermissions.asFileAttribute(DIRECTORY);
    }

    /**
     * Creates {@code dir} with mode 700 (missing parents as the umask says), or makes an existing
     * one 700: only for directories that are rfork's own (its home, the spool and what is in them).
     */
    public static Path directory(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            Files.createDirectory(dir, directoryMode());
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
        // The umask can only take bits away from 700, never add; an existing directory may be wider.
        if (!Files.getPosixFilePermissions(dir).equals(DIRECTORY)) {
            Files.setPosixFilePermissions(dir, DIRECTORY);
        }
        return dir;
    }
}
