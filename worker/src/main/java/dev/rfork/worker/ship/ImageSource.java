package dev.rfork.worker.ship;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The images of one dump, as a transport reads them: files in a directory that CRIU may still be
 * writing. A transport can start on the files that grow (CRIU writes each process's memory
 * sequentially into {@code pages-*.img}) before the dump has ended, and takes the rest once it
 * has. Each target opens its own streams, so one source can go to several targets at once.
 */
public interface ImageSource {

    /** The directory the images are written to. */
    Path dir();

    /** Whether the dump has ended (successfully or not); a finished directory is complete at once. */
    boolean complete();

    /**
     * Waits for the end of the dump and returns every image file, in name order. Throws the
     * dump's own failure (a {@code MessageException}) if it failed.
     */
    List<Path> awaitFiles() throws IOException;

    /** The files that exist now and are written from start to end: worth sending while they grow. */
    List<Path> growingFiles() throws IOException;

    /**
     * The bytes of {@code file} as they are written: a read past what is written so far waits for
     * more, and the stream ends only once the dump has ended and every byte was read. A dump that
     * fails ends it with the dump's failure.
     */
    InputStream open(Path file) throws IOException;
}
