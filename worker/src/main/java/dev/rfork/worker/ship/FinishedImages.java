package dev.rfork.worker.ship;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A directory whose dump has ended: every file is complete. */
public record FinishedImages(Path dir) implements ImageSource {

    @Override
    public boolean complete() {
        return true;
    }

    @Override
    public List<Path> awaitFiles() throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Override
    public List<Path> growingFiles() {
        return List.of();
    }

    @Override
    public InputStream open(Path file) throws IOException {
        return Files.newInputStream(file);
    }
}
