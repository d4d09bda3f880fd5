package dev.rfork.worker.ftp;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.ship.ImageTransport;
import dev.rfork.worker.ship.Shipment;
import dev.rfork.worker.spool.Manifest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPReply;

/** {@link ImageTransport} over FTP with Apache Commons Net; works with the embedded server and vsftpd. */
public final class FtpTransport implements ImageTransport {
    // Large buffers matter: 1 MiB gives several times the throughput of the 8 KiB default here.
    private static final int BUFFER_SIZE = 1 << 20;

    private final FtpSettings settings;

    public FtpTransport(FtpSettings settings) {
        this.settings = settings;
    }

    @Override
    public Shipment ship(NodeAddress target, UUID requestId, Path dir) {
        long start = System.nanoTime();
        FTPClient ftp = connect(target);
        try {
            String remoteDir = requestId.toString();
            prepareDirectory(ftp, target, remoteDir);
            List<Manifest.Entry> entries = new ArrayList<>();
            long bytes = 0;
            for (Path file : imageFiles(dir)) {
                entries.add(upload(ftp, target, remoteDir, file));
                bytes += entries.get(entries.size() - 1).size();
            }
            Manifest manifest = new Manifest(Manifest.VERSION, requestId, List.copyOf(entries));
            byte[] manifestBytes = manifest.toBytes();
            store(ftp, target, remoteDir + "/" + Manifest.FILE_NAME, new ByteArrayInputStream(manifestBytes));
            ftp.logout();
            return new Shipment(manifest, Manifest.sha256(manifestBytes), bytes, (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            throw shipFailed(target, "the transfer broke: " + e.getMessage(), ftp, e);
        } finally {
            disconnectQuietly(ftp);
        }
    }

    private FTPClient connect(NodeAddress target) {
        FTPClient ftp = new FTPClient();
        ftp.setConnectTimeout((int) settings.connectTimeout().toMillis());
        ftp.setDefaultTimeout((int) settings.connectTimeout().toMillis());
        ftp.setBufferSize(BUFFER_SIZE);
        try {
            ftp.connect(target.canonical(), settings.port());
        } catch (IOException e) {
            throw new MessageException(Reason.TARGET_UNREACHABLE,
                    "cannot connect to the FTP server of " + target + ":" + settings.port() + ": " + e.getMessage(),
                    Map.of("host", target.canonical(), "port", Integer.toString(settings.port()),
                            "error", String.valueOf(e.getMessage())), e);
        }
        try {
            ftp.setSoTimeout((int) settings.connectTimeout().toMillis() * 6);
            if (!FTPReply.isPositiveCompletion(ftp.getReplyCode()) || !ftp.login(settings.user(), settings.password())) {
                throw shipFailed(target, "the FTP server refused the login of user '" + settings.user() + "'", ftp, null);
            }
            ftp.setFileType(FTP.BINARY_FILE_TYPE);
            ftp.enterLocalPassiveMode();
            return ftp;
        } catch (IOException e) {
            disconnectQuietly(ftp);
            throw shipFailed(target, "the FTP session failed: " + e.getMessage(), ftp, e);
        }
    }

    /** Creates the request's directory, emptied of what an earlier, broken attempt left. */
    private void prepareDirectory(FTPClient ftp, NodeAddress target, String remoteDir) throws IOException {
        if (!ftp.makeDirectory(remoteDir)) {
            String[] leftovers = ftp.listNames(remoteDir);
            if (leftovers == null) {
                throw shipFailed(target, "cannot create directory " + remoteDir + " on the target", ftp, null);
            }
            for (String name : leftovers) {
                String plain = name.substring(name.lastIndexOf('/') + 1);
                ftp.deleteFile(remoteDir + "/" + plain);
            }
        }
    }

    private Manifest.Entry upload(FTPClient ftp, NodeAddress target, String remoteDir, Path file) throws IOException {
        MessageDigest digest = Manifest.newDigest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            store(ftp, target, remoteDir + "/" + file.getFileName(), in);
        }
        return new Manifest.Entry(file.getFileName().toString(), Files.size(file),
                HexFormat.of().formatHex(digest.digest()));
    }

    private void store(FTPClient ftp, NodeAddress target, String remotePath, InputStream in) throws IOException {
        if (!ftp.storeFile(remotePath, in)) {
            throw shipFailed(target, "the FTP server refused " + remotePath, ftp, null);
        }
    }

    private static List<Path> imageFiles(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private MessageException shipFailed(NodeAddress target, String what, FTPClient ftp, Throwable cause) {
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("host", target.canonical());
        evidence.put("port", Integer.toString(settings.port()));
        evidence.put("ftpReplyCode", Integer.toString(ftp.getReplyCode()));
        evidence.put("ftpReply", String.valueOf(ftp.getReplyString()).trim());
        return new MessageException(Reason.SHIP_FAILED, what, evidence, cause);
    }

    private static void disconnectQuietly(FTPClient ftp) {
        if (ftp.isConnected()) {
            try {
                ftp.disconnect();
            } catch (IOException ignored) {
                // The transfer's outcome is already decided; a failing close adds nothing.
            }
        }
    }
}
