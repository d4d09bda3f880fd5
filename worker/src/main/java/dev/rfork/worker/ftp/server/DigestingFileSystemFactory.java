package dev.rfork.worker.ftp.server;

import dev.rfork.config.OwnerOnly;
import dev.rfork.worker.spool.PipelinedDigest;
import dev.rfork.worker.spool.ReceivedFiles;
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
            Path path = file.toPath();
            long generation = received.writing(path);
            if (!file.exists()) {
                // Images hold process memory: owner-only from the start, whatever the umask.
                Files.createFile(path, OwnerOnly.fileMode());
            }
            RandomAccessFile raf = new RandomAccessFile(file, "rw");
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
     * Writes to the file in blocks of {@link PipelinedDigest#BLOCK_SIZE}, each hashed on the
     * digest's own thread while the next one arrives; on a clean close records size and digest.
     * A {@link BufferedOutputStream} only so that FtpServer, which copies the data connection 4
     * KiB at a time, does not wrap it in a buffer of its own: every method is overridden, its
     * buffer is unused. Closing twice (FtpServer does) is harmless.
     */
    final class ReceivingStream extends BufferedOutputStream {
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
        long receive(InputStream in, LongConsumer received) throws IOException {
            long total = 0;
            for (int read = 1; read > 0; ) {
                takeBlock();
                read = in.readNBytes(block, filled, block.length - filled);
                filled += read;
                total += read;
                received.accept(read);
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
