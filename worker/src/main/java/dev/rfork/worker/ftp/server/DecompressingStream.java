package dev.rfork.worker.ftp.server;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.rfork.worker.ftp.client.CompressedUpload;
import dev.rfork.worker.spool.ReceivedFiles;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * A {@link CompressedUpload} arriving: decompressed as it arrives into {@code file}, the image
 * of the plain name, received as any upload ({@link ReceivingStream}: hashed and recorded); the
 * compressed bytes are never kept. A frame cut short fails the upload, and the file is then not
 * recorded: the restore's checks refuse it. What it decompresses to is bounded by the spool's
 * free space, as any upload is.
 */
final class DecompressingStream extends BinaryOnlyReceiver {
    private final ReceivedFiles received;
    private final Path file;

    DecompressingStream(ReceivedFiles received, Path file) {
        this.received = received;
        this.file = file;
    }

    @Override
    public long receive(InputStream in, LongConsumer counted) throws IOException {
        // Closing the decompressor frees its native memory; the data connection stays FtpServer's.
        InputStream connection = new FilterInputStream(in) {
            @Override
            public void close() {}
        };
        try (ReceivingStream out = ReceivingStream.open(received, file, 0);
                InputStream plain = new ZstdInputStreamNoFinalizer(connection)) {
            return out.receive(plain, counted);
        }
    }
}
