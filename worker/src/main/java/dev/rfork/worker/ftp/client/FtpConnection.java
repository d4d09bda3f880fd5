package dev.rfork.worker.ftp.client;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.config.FtpSettings;
import dev.rfork.worker.ship.ImageSource;
import dev.rfork.worker.spool.Manifest;
import dev.rfork.worker.spool.PipelinedDigest;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.net.DefaultSocketFactory;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPReply;
import org.apache.commons.net.ftp.FTPSClient;
import org.apache.commons.net.io.CopyStreamException;

/**
 * One logged-in FTP session to a target. Every failure becomes a {@link MessageException}
 * carrying the server's last reply, so callers (and their threads) only deal with one kind.
 */
final class FtpConnection implements AutoCloseable {
    // For Commons Net's own copies (the manifest, listings); images go out in PipelinedDigest's blocks.
    private static final int BUFFER_SIZE = 64 << 10;

    private final FTPClient ftp;
    private final NodeAddress target;
    private final FtpSettings settings;

    private FtpConnection(NodeAddress target, FtpSettings settings) {
        this.target = target;
        this.settings = settings;
        this.ftp = settings.tls().enabled() ? ftps(settings) : new FTPClient();
    }

    /**
     * Explicit FTPS: AUTH TLS right after connecting (Commons Net does it in connect), the
     * server's certificate checked against the cluster's CA only, and that it names the target.
     */
    private static FTPSClient ftps(FtpSettings settings) {
        FTPSClient client = new FTPSClient(false, settings.tls().trust().sslContext()) {
            /** Nagle off before each data connection's handshake, as on the control connection. */
            @Override
            protected void _prepareDataSocket_(Socket socket) throws IOException {
                socket.setTcpNoDelay(true);
                super._prepareDataSocket_(socket);
            }
        };
        client.setEndpointCheckingEnabled(true);
        return client;
    }

    /** Connects and logs in, in binary passive mode; TARGET_UNREACHABLE if nothing answers. */
    static FtpConnection open(NodeAddress target, FtpSettings settings) {
        FtpConnection connection = new FtpConnection(target, settings);
        connection.connect();
        try {
            connection.login();
            return connection;
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private void connect() {
        int timeout = (int) settings.connectTimeout().toMillis();
        ftp.setConnectTimeout(timeout);
        ftp.setDefaultTimeout(timeout);
        ftp.setBufferSize(BUFFER_SIZE);
        // Commands and replies alternate, but a TLS handshake and a command after it are writes
        // in a row: with Nagle on, the second waited for the server's delayed ACK (~40 ms).
        ftp.setSocketFactory(new DefaultSocketFactory() {
            @Override
            public Socket createSocket() throws IOException {
                Socket socket = super.createSocket();
                socket.setTcpNoDelay(true);
                return socket;
            }
        });
        try {
            ftp.connect(target.canonical(), settings.port());
        } catch (SSLException e) {
            throw notConnected(
                    Reason.TARGET_UNTRUSTED,
                    "the FTP server of " + target + ":" + settings.port() + " failed the TLS check: " + e.getMessage()
                            + " (its certificate must come from this node's CA and name " + target
                            + "; docs/security.md)",
                    e);
        } catch (IOException e) {
            throw notConnected(
                    Reason.TARGET_UNREACHABLE,
                    "cannot connect to the FTP server of " + target + ":" + settings.port() + ": " + e.getMessage(),
                    e);
        }
    }

    private MessageException notConnected(Reason reason, String what, IOException e) {
        return new MessageException(
                reason,
                what,
                Map.of(
                        "host",
                        target.canonical(),
                        "port",
                        Integer.toString(settings.port()),
                        "error",
                        String.valueOf(e.getMessage())),
                e);
    }

    private void login() {
        try {
            ftp.setSoTimeout((int) settings.connectTimeout().toMillis() * 6);
            if (!FTPReply.isPositiveCompletion(ftp.getReplyCode())
                    || !ftp.login(settings.user(), settings.password())) {
                throw failure("the FTP server refused the login of user '" + settings.user() + "'", null);
            }
            if (ftp instanceof FTPSClient ftps) {
                // Every data connection private too (PROT P); the control one already is.
                ftps.execPBSZ(0);
                ftps.execPROT("P");
            }
            if (!ftp.setFileType(FTP.BINARY_FILE_TYPE)) {
                throw failure("the FTP server refused binary mode", null);
            }
            ftp.enterLocalPassiveMode();
        } catch (IOException e) {
            throw failure("the FTP session failed: " + e.getMessage(), e);
        }
    }

    /** Creates the request's directory, emptied of what an earlier, broken attempt left. */
    void prepareDirectory(String remoteDir) {
        try {
            if (!ftp.makeDirectory(remoteDir)) {
                deleteFiles(remoteDir, "cannot create directory " + remoteDir + " on the target");
            }
        } catch (IOException e) {
            throw failure("the transfer broke: " + e.getMessage(), e);
        }
    }

    /** Deletes the request's directory and what it holds: a shipment that failed leaves nothing there. */
    void removeDirectory(String remoteDir) {
        try {
            deleteFiles(remoteDir, "cannot list " + remoteDir + " on the target");
            if (!ftp.removeDirectory(remoteDir)) {
                throw failure("cannot remove " + remoteDir + " on the target", null);
            }
        } catch (IOException e) {
            throw failure("the session broke while removing " + remoteDir + ": " + e.getMessage(), e);
        }
    }

    private void deleteFiles(String remoteDir, String whenUnlisted) throws IOException {
        String[] names = ftp.listNames(remoteDir);
        if (names == null) {
            throw failure(whenUnlisted, null);
        }
        for (String name : names) {
            String plain = name.substring(name.lastIndexOf('/') + 1);
            if (!ftp.deleteFile(remoteDir + "/" + plain)) {
                throw failure("cannot delete " + remoteDir + "/" + plain + " on the target", null);
            }
        }
    }

    /**
     * Uploads {@code files} one after the other, hashing each while it streams (one read per
     * file). {@code upload.aborted()} is polled at every block so that a failure elsewhere stops this too.
     */
    List<Manifest.Entry> upload(Upload upload, List<Path> files) {
        List<Manifest.Entry> entries = new ArrayList<>();
        for (Path file : files) {
            entries.add(upload(upload, file));
        }
        return entries;
    }

    /**
     * One file, read as it is written when the dump still runs; its size is what was read. The
     * file goes to the data connection in blocks that are hashed on the digest's own thread
     * meanwhile ({@link PipelinedDigest}), compressed on the way if the upload says so;
     * {@code progress} hears of each block as it is sent. The manifest has the plain file's size and digest.
     */
    Manifest.Entry upload(Upload upload, Path file) {
        String name = file.getFileName().toString();
        try (InputStream in = upload.images().open(file);
                PipelinedDigest digest = new PipelinedDigest()) {
            long sent = send(upload, name, in, digest);
            PipelinedDigest.Result hashed = digest.finish();
            return new Manifest.Entry(name, sent, hashed.sha256());
        } catch (IOException e) {
            throw failure("the transfer of " + name + " broke: " + e.getMessage(), e);
        }
    }

    private long send(Upload upload, String name, InputStream in, PipelinedDigest digest) throws IOException {
        String remotePath = upload.remoteDir() + "/" + name + (upload.compressed() ? CompressedUpload.SUFFIX : "");
        long sent = 0;
        OutputStream data = ftp.storeFileStream(remotePath);
        if (data == null) {
            throw failure("the FTP server refused " + remotePath, null);
        }
        WireCount wire = new WireCount(data);
        // Closing the compressing stream ends its frame, then closes the data connection.
        try (OutputStream connection = wire;
                OutputStream out = upload.compressed() ? CompressedUpload.compressing(connection) : connection) {
            for (int read = 1; read > 0; ) {
                if (upload.aborted().getAsBoolean()) {
                    throw new InterruptedIOException("another upload of this shipment failed");
                }
                byte[] block = digest.take();
                read = in.readNBytes(block, 0, block.length);
                out.write(block, 0, read);
                digest.hash(block, read);
                sent += read;
                upload.progress().sent(read);
            }
        }
        upload.wireBytes().add(wire.count);
        if (!ftp.completePendingCommand()) {
            throw failure("the FTP server did not confirm " + remotePath, null);
        }
        return sent;
    }

    /** Counts what goes into the data connection, written through in the caller's blocks. */
    private static final class WireCount extends FilterOutputStream {
        private long count;

        WireCount(OutputStream data) {
            super(data);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            count += length;
        }
    }

    /** Whether the server decompresses {@link CompressedUpload}s (its FEAT reply says so). */
    boolean takesCompressed() {
        return hasFeature(CompressedUpload.FEATURE);
    }

    /** Whether the server unpacks {@link SmallFilesBundle}s (its FEAT reply says so). */
    boolean takesBundles() {
        return hasFeature(SmallFilesBundle.FEATURE);
    }

    private boolean hasFeature(String feature) {
        try {
            return ftp.hasFeature(feature); // Commons Net asks FEAT once per session
        } catch (IOException e) {
            return false; // the files then go one by one, as they are, which every server takes
        }
    }

    /** Small, finished files in one upload ({@link SmallFilesBundle}); each its own manifest entry. */
    List<Manifest.Entry> uploadBundle(Upload upload, List<Path> files) {
        String remotePath = upload.remoteDir() + "/" + SmallFilesBundle.NAME;
        List<Manifest.Entry> entries = new ArrayList<>();
        try {
            OutputStream out = ftp.storeFileStream(remotePath);
            if (out == null) {
                throw failure("the FTP server refused " + remotePath, null);
            }
            WireCount wire = new WireCount(out);
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(wire, 64 << 10))) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                for (Path file : files) {
                    if (upload.aborted().getAsBoolean()) {
                        throw new InterruptedIOException("another upload of this shipment failed");
                    }
                    entries.add(addTo(tar, file, upload.images()));
                    upload.progress().sent(entries.get(entries.size() - 1).size());
                }
                tar.finish();
            }
            upload.wireBytes().add(wire.count);
            if (!ftp.completePendingCommand()) {
                throw failure("the FTP server did not confirm " + remotePath, null);
            }
            return entries;
        } catch (IOException e) {
            throw failure("the transfer of " + remotePath + " broke: " + e.getMessage(), e);
        }
    }

    private static Manifest.Entry addTo(TarArchiveOutputStream tar, Path file, ImageSource images) throws IOException {
        String name = file.getFileName().toString();
        byte[] bytes;
        try (InputStream in = images.open(file)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IOException("cannot read " + name + ": " + e.getMessage(), e);
        }
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(bytes.length);
        tar.putArchiveEntry(entry);
        tar.write(bytes);
        tar.closeArchiveEntry();
        return new Manifest.Entry(name, bytes.length, Manifest.sha256(bytes));
    }

    void store(String remotePath, InputStream in) {
        try {
            if (!ftp.storeFile(remotePath, in)) {
                throw failure("the FTP server refused " + remotePath, null);
            }
        } catch (CopyStreamException e) {
            // Commons Net wraps what actually went wrong (local read, network) in a generic message.
            throw failure(
                    "the transfer of " + remotePath + " broke: "
                            + e.getIOException().getMessage(),
                    e);
        } catch (IOException e) {
            throw failure("the transfer of " + remotePath + " broke: " + e.getMessage(), e);
        }
    }

    /** Ends the session politely; the upload is complete, so a failing QUIT changes nothing. */
    void logout() {
        try {
            ftp.logout();
        } catch (IOException ignored) {
            // close() drops the connection either way.
        }
    }

    MessageException failure(String what, Throwable cause) {
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("host", target.canonical());
        evidence.put("port", Integer.toString(settings.port()));
        evidence.put("ftpReplyCode", Integer.toString(ftp.getReplyCode()));
        evidence.put("ftpReply", String.valueOf(ftp.getReplyString()).trim());
        return new MessageException(Reason.SHIP_FAILED, what, evidence, cause);
    }

    @Override
    public void close() {
        if (ftp.isConnected()) {
            try {
                ftp.disconnect();
            } catch (IOException ignored) {
                // The transfer's outcome is already decided; a failing close adds nothing.
            }
        }
    }
}
