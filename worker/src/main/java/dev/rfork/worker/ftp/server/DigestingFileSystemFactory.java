package dev.rfork.worker.ftp.server;

import dev.rfork.config.OwnerOnly;
import dev.rfork.worker.spool.Manifest;
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
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.ftpserver.ftplet.FileSystemFactory;
import org.apache.ftpserver.ftplet.FileSystemView;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.FtpFile;
import org.apache.ftpserver.ftplet.User;

/**
 * FtpServer's native file system, with every upload hashed (SHA-256, CRC32C) while it is written
 * and recorded in {@link ReceivedFiles}, so the restore need not hash the images again with
 * SHA-256 (only a CRC32C pass checks they are still what arrived). Writes are confined to
 * requests' directories ({@link UploadArea}). Everything else is delegated to the native file
 * system; deletes and renames through the server void what was recorded of the files concerned.
 */
final class DigestingFileSystemFactory implements FileSystemFactory {
    /**
     * FtpServer copies its data connection to the file 4 KiB at a time, through an 8 KiB
     * buffer of its own unless the stream it gets is already buffered: so this one is. Writing
     * the file in 8 KiB pieces was the upload's limit: a 270 MB image took ~1.0 s through
     * loopback, ~0.6 s with 256 KiB writes (and the SHA-256 added), no faster with 1 MiB.
     * Allocated per upload in progress (at most MAX_SESSIONS at once).
     */
    static final int WRITE_BUFFER = 256 << 10;

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
            return new ReceivingStream(raf.getChannel(), offset == 0 ? Manifest.newDigest() : null, path, generation);
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
     * Writes to the file, hashing on the way; on a clean close records size and digest. A
     * buffered stream, so FtpServer uses it as it is (see {@link #WRITE_BUFFER}). Closing twice
     * (FtpServer does) is harmless.
     */
    private final class ReceivingStream extends BufferedOutputStream {
        private final Sink sink;
        private final Path path;
        private final long generation;
        private boolean closed;

        ReceivingStream(FileChannel channel, MessageDigest digest, Path path, long generation) {
            this(new Sink(channel, digest), path, generation);
        }

        private ReceivingStream(Sink sink, Path path, long generation) {
            super(sink, WRITE_BUFFER);
            this.sink = sink;
            this.path = path;
            this.generation = generation;
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                super.close();
            } finally {
                if (sink.digest != null && !sink.failed) {
                    received.written(
                            path,
                            generation,
                            sink.written,
                            HexFormat.of().formatHex(sink.digest.digest()),
                            sink.crc.getValue());
                } else {
                    received.forget(path);
                }
            }
        }
    }

    private static final class Sink extends OutputStream {
        private final FileChannel channel;
        private final MessageDigest digest;
        /** Of the same bytes: what the file must still hold at verification (see ReceivedFiles). */
        private final CRC32C crc = new CRC32C();

        private long written;
        private boolean failed;

        Sink(FileChannel channel, MessageDigest digest) {
            this.channel = channel;
            this.digest = digest;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            try {
                ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException | RuntimeException e) {
                failed = true;
                throw e;
            }
            if (digest != null) {
                digest.update(bytes, offset, length);
                crc.update(bytes, offset, length);
            }
            written += length;
        }

        @Override
        public void close() throws IOException {
            try {
                channel.close();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }
    }
}
