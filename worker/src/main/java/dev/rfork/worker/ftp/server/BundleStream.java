package dev.rfork.worker.ftp.server;

import dev.rfork.message.MessageException;
import dev.rfork.worker.ftp.client.SmallFilesBundle;
import dev.rfork.worker.spool.Manifest;
import dev.rfork.worker.spool.ReceivedFiles;
import dev.rfork.worker.spool.SafeNames;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A {@link SmallFilesBundle} arriving: each of its tar entries becomes a file beside it,
 * received as an upload of its own ({@link ReceivingStream}: hashed and recorded); the bundle
 * itself is not kept. Entries must be plain files with an image's name (not the manifest, not
 * a bundle), at most {@link SmallFilesBundle#MAX_FILES}; anything else fails the upload, and
 * what was unpacked so far stays for the sender's clean-up, as after any failed upload. Only
 * {@link BlockStor}'s block path feeds it: a bundle sent in ASCII mode is refused.
 */
final class BundleStream extends BinaryOnlyReceiver {
    private final ReceivedFiles received;
    private final Path dir;

    BundleStream(ReceivedFiles received, Path dir) {
        this.received = received;
        this.dir = dir;
    }

    @Override
    public long receive(InputStream in, LongConsumer counted) throws IOException {
        // Not closed here: that would close the data connection under FtpServer's STOR.
        TarArchiveInputStream tar = new TarArchiveInputStream(in);
        long total = 0;
        int files = 0;
        for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
            String name = entryName(entry, ++files);
            try (ReceivingStream out = ReceivingStream.open(received, dir.resolve(name), 0)) {
                total += out.receive(tar, counted);
            }
        }
        return total;
    }

    private static String entryName(TarArchiveEntry entry, int files) throws IOException {
        String name = entry.getName();
        if (files > SmallFilesBundle.MAX_FILES) {
            throw new IOException("more than " + SmallFilesBundle.MAX_FILES + " files in a bundle");
        }
        if (!entry.isFile()) {
            throw new IOException("a bundle holds plain files only, not " + name);
        }
        if (name.equals(Manifest.FILE_NAME) || name.equals(SmallFilesBundle.NAME)) {
            throw new IOException(name + " cannot come in a bundle");
        }
        try {
            return SafeNames.requireImageName(name);
        } catch (MessageException e) {
            throw new IOException("not an image's name in a bundle: " + name, e);
        }
    }
}
