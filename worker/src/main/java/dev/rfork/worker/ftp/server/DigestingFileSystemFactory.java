package dev.rfork.worker.ftp.server;

import dev.rfork.config.OwnerOnly;
import dev.rfork.message.MessageException;
import dev.rfork.worker.ftp.client.SmallFilesBundle;
import dev.rfork.worker.spool.Manifest;
import dev.rfork.worker.spool.PipelinedDigest;
import dev.rfork.worker.spool.ReceivedFiles;
import dev.rfork.worker.spool.SafeNames;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.ftpserver.ftplet.FileSystemFactory;
import org.apache.ftpserver.ftplet.FileSystemView;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.FtpFile;
import org.apache.ftpserver.ftplet.User;

/**
 * FtpServer's native file system, with every upload hashed (SHA-256, CRC32C, on a thread beside
 * the one that writes: {@link PipelinedDigest}) while it is written and recorded in {@link ReceivedFiles}, so the restore need not hash the images again with
 * SHA-256 (only a CRC32C pass checks they are still what arrived). Writes are confined to
 * requests' directories ({@link UploadArea}). Everything else is delegated to the native file
 * system; deletes and renames through the server void what was recorded of the files concerned.
 */
final class DigestingFileSystemFactory implements FileSystemFactory {
    private final FileSystemFactory delegate;
    private final ReceivedFiles received;

    DigestingFileSystemFactory(FileSystemFactory delegate, ReceivedFiles received) {
        this.delegate = delegate;
        this.received = received;
    }

    @Override
    public FileSystemView createFileSystemView(User user) throws FtpException {
        return new View(delegate.createFileSystemView(user));
    }

    private final class View implements FileSystemView {
        private final FileSystemView delegate;

        View(FileSystemView delegate) {
            this.delegate = delegate;
        }

        @Override
        public FtpFile getHomeDirectory() throws FtpException {
            return wrap(delegate.getHomeDirectory());
        }

        @Override
        public FtpFile getWorkingDirectory() throws FtpException {
            return wrap(delegate.getWorkingDirectory());
        }

        @Override
        public boolean changeWorkingDirectory(String dir) throws FtpException {
            return delegate.changeWorkingDirectory(dir);
        }

        @Override
        public FtpFile getFile(String file) throws FtpException {
            return wrap(delegate.getFile(file));
        }

        @Override
        public boolean isRandomAccessible() throws FtpException {
            return delegate.isRandomAccessible();
        }

        @Override
        public void dispose() {
            delegate.dispose();
        }
    }

    /** A file of a request being written from {@code offset}, hashed if from its start. */
    private ReceivingStream receiving(Path path, long offset) throws IOException {
        long generation = received.writing(path);
        if (!Files.exists(path)) {
            // Images hold process memory: owner-only from the start, whatever the umask.
            Files.createFile(path, OwnerOnly.fileMode());
        }
        RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw");
        try {
            // The native file system truncates to the offset unconditionally. On ext4 a
            // truncate (even of an empty file) marks it for allocation at close
            // (auto_da_alloc): closing then starts writing the whole file out, and the next
            // fsync on the filesystem (the broker's journal, at the hand-off) waits for all
            // of it, ~0.3 s for a 270 MB image here. A new file has nothing to truncate.
            if (raf.length() != offset) {
                raf.setLength(offset);
            }
            raf.seek(offset);
        } catch (IOException | RuntimeException e) {
            raf.close();
            received.forget(path);
            throw e;
        }
        // Only a write from the start gives the digest of the whole file.
        return new ReceivingStream(raf.getChannel(), offset == 0 ? new PipelinedDigest() : null, path, generation);
    }

    private FtpFile wrap(FtpFile file) {
        return file == null || file instanceof Digesting ? file : new Digesting(file);
    }

    /** The native file, its uploads hashed; the native {@code move} needs the native target. */
    private final class Digesting implements FtpFile {
        private final FtpFile delegate;

        Digesting(FtpFile delegate) {
            this.delegate = delegate;
        }

        private Path path() {
            return ((File) delegate.getPhysicalFile()).toPath();
        }

        private boolean inRequest() {
            return UploadArea.isRequestFile(delegate.getAbsolutePath());
        }

        @Override
        public OutputStream createOutputStream(long offset) throws IOException {
            if (!inRequest()) {
                throw new IOException("No write permission outside a request's directory : " + getAbsolutePath());
            }
            if (!(delegate.getPhysicalFile() instanceof File file)) {
                return delegate.createOutputStream(offset);
            }
            if (!delegate.isWritable()) {
                throw new IOException("No write permission : " + delegate.getName());
            }
            if (delegate.getName().equals(SmallFilesBundle.NAME)) {
                if (offset != 0) {
                    throw new IOException("A bundle is taken whole, from its start");
                }
                return new BundleStream(file.toPath().getParent());
            }
            return receiving(file.toPath(), offset);
        }

        @Override
        public boolean delete() {
            if (!isRemovable()) {
                return false;
            }
            received.forget(path());
            return delegate.delete();
        }

        @Override
        public boolean move(FtpFile destination) {
            FtpFile target = destination instanceof Digesting digesting ? digesting.delegate : destination;
            if (!inRequest() || !UploadArea.isRequestFile(target.getAbsolutePath())) {
                return false;
            }
            received.forget(path());
            if (target.getPhysicalFile() instanceof File file) {
                received.forget(file.toPath());
            }
            return delegate.move(target);
        }

        @Override
        public List<? extends FtpFile> listFiles() {
            List<? extends FtpFile> files = delegate.listFiles();
            return files == null
                    ? null
                    : files.stream().map(DigestingFileSystemFactory.this::wrap).toList();
        }

        @Override
        public InputStream createInputStream(long offset) throws IOException {
            return delegate.createInputStream(offset);
        }

        @Override
        public String getAbsolutePath() {
            return delegate.getAbsolutePath();
        }

        @Override
        public String getName() {
            return delegate.getName();
        }

        @Override
        public boolean isHidden() {
            return delegate.isHidden();
        }

        @Override
        public boolean isDirectory() {
            return delegate.isDirectory();
        }

        @Override
        public boolean isFile() {
            return delegate.isFile();
        }

        @Override
        public boolean doesExist() {
            return delegate.doesExist();
        }

        @Override
        public boolean isReadable() {
            return delegate.isReadable();
        }

        /** STOR, APPE, STOU, MKD and RNTO ask this first; the operations check again. */
        @Override
        public boolean isWritable() {
            return (inRequest() || UploadArea.isRequestDirectory(delegate.getAbsolutePath())) && delegate.isWritable();
        }

        /**
         * DELE and RMD ask this first: a file in a request's directory, or the directory itself
         * (RMD removes only an empty one): a sender whose shipment failed takes back what it sent.
         */
        @Override
        public boolean isRemovable() {
            return (inRequest() || UploadArea.isRequestDirectory(delegate.getAbsolutePath())) && delegate.isRemovable();
        }

        @Override
        public String getOwnerName() {
            return delegate.getOwnerName();
        }

        @Override
        public String getGroupName() {
            return delegate.getGroupName();
        }

        @Override
        public int getLinkCount() {
            return delegate.getLinkCount();
        }

        @Override
        public long getLastModified() {
            return delegate.getLastModified();
        }

        @Override
        public boolean setLastModified(long time) {
            if (!inRequest()) {
                return false;
            }
            received.forget(path());
            return delegate.setLastModified(time);
        }

        @Override
        public long getSize() {
            return delegate.getSize();
        }

        @Override
        public Object getPhysicalFile() {
            return delegate.getPhysicalFile();
        }

        /** As the native one, but owner-only (the inbox is, too). */
        @Override
        public boolean mkdir() {
            if (!UploadArea.isRequestDirectory(delegate.getAbsolutePath())) {
                return false;
            }
            if (!(delegate.getPhysicalFile() instanceof File file)) {
                return delegate.mkdir();
            }
            if (!delegate.isWritable()) {
                return false;
            }
            try {
                Files.createDirectory(file.toPath(), OwnerOnly.directoryMode());
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Digesting digesting && delegate.equals(digesting.delegate);
        }

        @Override
        public int hashCode() {
            return delegate.hashCode();
        }

        @Override
        public String toString() {
            return delegate.toString();
        }
    }

    /**
     * A {@link SmallFilesBundle} arriving: each of its tar entries becomes a file beside it,
     * received as an upload of its own ({@link ReceivingStream}: hashed and recorded); the bundle
     * itself is not kept. Entries must be plain files with an image's name (not the manifest, not
     * a bundle), at most {@link SmallFilesBundle#MAX_FILES}; anything else fails the upload, and
     * what was unpacked so far stays for the sender's clean-up, as after any failed upload. Only
     * {@link BlockStor}'s block path feeds it: a bundle sent in ASCII mode is refused.
     */
    final class BundleStream extends BufferedOutputStream implements BlockReceiver {
        private final Path dir;

        BundleStream(Path dir) {
            super(OutputStream.nullOutputStream(), 1);
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
                try (ReceivingStream out = receiving(dir.resolve(name), 0)) {
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

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            throw new IOException("a bundle is taken in binary mode only");
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }

    /**
     * Writes to the file in blocks of {@link PipelinedDigest#BLOCK_SIZE}, each hashed on the
     * digest's own thread while the next one arrives; on a clean close records size and digest.
     * A {@link BufferedOutputStream} only so that FtpServer, which copies the data connection 4
     * KiB at a time, does not wrap it in a buffer of its own: every method is overridden, its
     * buffer is unused. Closing twice (FtpServer does) is harmless.
     */
    final class ReceivingStream extends BufferedOutputStream implements BlockReceiver {
        private final FileChannel channel;
        /** Null for a write that does not start at 0: only a whole file has a digest. */
        private final PipelinedDigest digest;

        private final Path path;
        private final long generation;
        private byte[] block;
        private int filled;
        private boolean failed;
        private boolean closed;

        ReceivingStream(FileChannel channel, PipelinedDigest digest, Path path, long generation) {
            super(OutputStream.nullOutputStream(), 1);
            this.channel = channel;
            this.digest = digest;
            this.path = path;
            this.generation = generation;
        }

        /**
         * Reads {@code in} to its end straight into the blocks (no copy through a buffer of the
         * caller's); the number of bytes read. {@link BlockStor} gives it the data connection.
         */
        @Override
        public long receive(InputStream in, LongConsumer counted) throws IOException {
            long total = 0;
            for (int read = 1; read > 0; ) {
                takeBlock();
                read = in.readNBytes(block, filled, block.length - filled);
                filled += read;
                total += read;
                counted.accept(read);
                if (filled == block.length) {
                    writeBlock();
                }
            }
            return total;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                takeBlock();
                int n = Math.min(length, block.length - filled);
                System.arraycopy(bytes, offset, block, filled, n);
                filled += n;
                offset += n;
                length -= n;
                if (filled == block.length) {
                    writeBlock();
                }
            }
        }

        private void takeBlock() throws IOException {
            if (block == null) {
                block = digest != null ? digest.take() : new byte[PipelinedDigest.BLOCK_SIZE];
            }
        }

        private void writeBlock() throws IOException {
            try {
                ByteBuffer buffer = ByteBuffer.wrap(block, 0, filled);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException | RuntimeException e) {
                failed = true;
                throw e;
            }
            if (digest != null) {
                digest.hash(block, filled);
                block = null;
            }
            filled = 0;
        }

        /** The data connection's end is the only flush that matters: close() writes what is left. */
        @Override
        public void flush() {}

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (filled > 0) {
                    writeBlock();
                }
                channel.close();
            } catch (IOException | RuntimeException e) {
                failed = true;
                throw e;
            } finally {
                record();
            }
        }

        private void record() throws IOException {
            if (digest == null || failed) {
                received.forget(path);
                if (digest != null) {
                    digest.close();
                }
                return;
            }
            PipelinedDigest.Result result = digest.finish();
            received.written(path, generation, result.bytes(), result.sha256(), result.crc32c());
        }
    }
}
