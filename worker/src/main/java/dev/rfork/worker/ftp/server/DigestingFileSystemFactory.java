package dev.rfork.worker.ftp.server;

import dev.rfork.config.OwnerOnly;
import dev.rfork.message.MessageException;
import dev.rfork.worker.ftp.client.CompressedUpload;
import dev.rfork.worker.ftp.client.SmallFilesBundle;
import dev.rfork.worker.spool.Manifest;
import dev.rfork.worker.spool.PipelinedDigest;
import dev.rfork.worker.spool.ReceivedFiles;
import dev.rfork.worker.spool.SafeNames;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
            if (delegate.getName().equals(SmallFilesBundle.NAME)) {
                if (offset != 0) {
                    throw new IOException("A bundle is taken whole, from its start");
                }
                return new BundleStream(received, file.toPath().getParent());
            }
            if (delegate.getName().endsWith(CompressedUpload.SUFFIX)) {
                return decompressing(file.toPath(), offset);
            }
            return ReceivingStream.open(received, file.toPath(), offset);
        }

        /** A compressed upload of an image: written, decompressed, under the image's own name. */
        private OutputStream decompressing(Path sent, long offset) throws IOException {
            String name = sent.getFileName().toString();
            String plain = name.substring(0, name.length() - CompressedUpload.SUFFIX.length());
            if (!CompressedUpload.available()) {
                throw new IOException("This server takes no compressed uploads : " + name);
            }
            if (offset != 0) {
                throw new IOException("A compressed file is taken whole, from its start : " + name);
            }
            if (plain.equals(Manifest.FILE_NAME) || plain.equals(SmallFilesBundle.NAME)) {
                throw new IOException(plain + " cannot come compressed");
            }
            try {
                SafeNames.requireImageName(plain);
            } catch (MessageException e) {
                throw new IOException("Not an image's name : " + name, e);
            }
            return new DecompressingStream(received, sent.resolveSibling(plain));
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
}
