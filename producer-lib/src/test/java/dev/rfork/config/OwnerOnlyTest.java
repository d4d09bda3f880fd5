package dev.rfork.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnerOnlyTest {
    @TempDir
    Path root;

    @Test
    void createsADirectoryAndItsMissingParents() throws Exception {
        Path dir = OwnerOnly.directory(root.resolve("a/b/home"));

        assertThat(mode(dir)).isEqualTo("rwx------");
        assertThat(root.resolve("a/b")).isDirectory();
    }

    @Test
    void narrowsAnExistingDirectory() throws Exception {
        Path dir = Files.createDirectory(
                root.resolve("wide"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

        OwnerOnly.directory(dir);

        assertThat(mode(dir)).isEqualTo("rwx------");
    }

    @Test
    void refusesAFileInTheWay() throws Exception {
        Path file = Files.writeString(root.resolve("file"), "x");

        assertThatThrownBy(() -> OwnerOnly.directory(file)).isInstanceOf(FileAlreadyExistsException.class);
    }

    @Test
    void filesAreCreatedOwnerOnly() throws Exception {
        Path file = Files.createFile(root.resolve("secret"), OwnerOnly.fileMode());

        assertThat(mode(file)).isEqualTo("rw-------");
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
