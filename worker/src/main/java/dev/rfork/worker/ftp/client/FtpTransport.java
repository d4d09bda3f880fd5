package dev.rfork.worker.ftp.client;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.MessageException;
import dev.rfork.worker.config.FtpSettings;
import dev.rfork.worker.ship.ImageSource;
import dev.rfork.worker.ship.ImageTransport;
import dev.rfork.worker.ship.ShipProgress;
import dev.rfork.worker.ship.Shipment;
import dev.rfork.worker.spool.Manifest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ImageTransport} over FTP with Apache Commons Net; works with the embedded server and
 * vsftpd. Uploads over a few connections at once (see {@link UploadPlan}) and the manifest last.
 */
public final class FtpTransport implements ImageTransport {
    private static final Logger LOG = LoggerFactory.getLogger(FtpTransport.class);

    /** Enough to hide the per-file round trips of a CRIU image's dozen small files behind its pages file. */
    static final int MAX_CONNECTIONS = 4;

    private final FtpSettings settings;
    private final int maxConnections;

    public FtpTransport(FtpSettings settings) {
        this(settings, MAX_CONNECTIONS);
    }

    FtpTransport(FtpSettings settings, int maxConnections) {
        this.settings = settings;
        this.maxConnections = maxConnections;
    }

    /**
     * Logs in to the target's FTP server the way a shipment does, and out again; throws the
     * shipment's own failure ({@code TARGET_UNREACHABLE}, {@code SHIP_FAILED}) when it cannot.
     */
    public void checkLogin(NodeAddress target) {
        try (FtpConnection connection = FtpConnection.open(target, settings)) {
            connection.logout();
        }
    }

    @Override
    public Shipment ship(
            NodeAddress target, UUID requestId, ImageSource images, boolean compress, ShipProgress progress) {
        long start = System.nanoTime();
        try (FtpConnection primary = FtpConnection.open(target, settings)) {
            String remoteDir = requestId.toString();
            primary.prepareDirectory(remoteDir);
            try {
                Upload upload = new Upload(
                        remoteDir,
                        images,
                        compressed(compress, primary, target),
                        () -> false,
                        progress,
                        new LongAdder());
                Manifest manifest = uploadImages(primary, target, requestId, upload);
                byte[] manifestBytes = manifest.toBytes();
                // Only once every image has arrived: a target that sees the manifest has the whole image.
                primary.store(remoteDir + "/" + Manifest.FILE_NAME, new ByteArrayInputStream(manifestBytes));
                primary.logout();
                return new Shipment(
                        manifest,
                        Manifest.sha256(manifestBytes),
                        manifest.totalBytes(),
                        (System.nanoTime() - start) / 1_000_000,
                        upload.compressed(),
                        upload.wireBytes().sum());
            } catch (MessageException e) {
                discard(target, remoteDir, e);
                throw e;
            }
        }
    }

    /** Compressed if asked and the target takes it; a target that does not gets the files as they are. */
    private static boolean compressed(boolean compress, FtpConnection primary, NodeAddress target) {
        if (!compress || !CompressedUpload.available()) {
            return false;
        }
        if (!primary.takesCompressed()) {
            LOG.info("the FTP server of {} does not take compressed uploads: the images go as they are", target);
            return false;
        }
        return true;
    }

    private Manifest uploadImages(FtpConnection primary, NodeAddress target, UUID requestId, Upload upload) {
        List<Manifest.Entry> entries = new ArrayList<>(uploadWhileWritten(primary, upload));
        Set<String> sent = entries.stream().map(Manifest.Entry::name).collect(Collectors.toSet());
        List<Path> rest = remaining(primary, upload.images(), sent);
        List<Path> bundled = bundled(primary, rest);
        List<Path> alone = rest.stream().filter(file -> !bundled.contains(file)).toList();
        entries.addAll(uploadAll(primary, target, upload, plan(primary, alone), bundled));
        entries.sort(Comparator.comparing(Manifest.Entry::name));
        return new Manifest(Manifest.VERSION, requestId, List.copyOf(entries));
    }

    /**
     * What a failed shipment uploaded is deleted from the target, on a session of its own (the
     * failure may have broken the others): left there, a half image fills the target's spool
     * until it is pruned, and a target that ran out of space would refuse every later fork too.
     * A target that cannot be reached now keeps it until its inbox is pruned.
     */
    private void discard(NodeAddress target, String remoteDir, MessageException failure) {
        try (FtpConnection connection = FtpConnection.open(target, settings)) {
            connection.removeDirectory(remoteDir);
            connection.logout();
        } catch (MessageException e) {
            LOG.warn(
                    "cannot delete {} from {} after the failed shipment (the target's inbox pruner will): {}",
                    remoteDir,
                    target,
                    e.getMessage());
            failure.addSuppressed(e);
        }
    }

    /**
     * While CRIU still writes, the memory files go out on the primary connection as they grow;
     * the small files CRIU writes at the end follow, in parallel, once the dump has ended.
     */
    private List<Manifest.Entry> uploadWhileWritten(FtpConnection primary, Upload upload) {
        List<Manifest.Entry> entries = new ArrayList<>();
        Set<Path> sent = new HashSet<>();
        ImageSource images = upload.images();
        try {
            while (!images.complete()) {
                List<Path> growing = images.growingFiles().stream()
                        .filter(file -> !sent.contains(file))
                        .toList();
                if (growing.isEmpty()) {
                    Thread.sleep(2);
                }
                for (Path file : growing) {
                    entries.add(primary.upload(upload, file));
                    sent.add(file);
                }
            }
            return entries;
        } catch (IOException e) {
            throw primary.failure("cannot read the image directory " + images.dir() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw primary.failure("interrupted while uploading", e);
        }
    }

    private static List<Path> remaining(FtpConnection primary, ImageSource images, Set<String> sent) {
        try {
            return images.awaitFiles().stream()
                    .filter(file -> !sent.contains(file.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw primary.failure("cannot read the image directory " + images.dir() + ": " + e.getMessage(), e);
        }
    }

    /** The small files that go in one bundle, if the server takes bundles and there are several. */
    private static List<Path> bundled(FtpConnection primary, List<Path> files) {
        try {
            List<Path> small = new ArrayList<>();
            for (Path file : files) {
                if (Files.size(file) <= SmallFilesBundle.MAX_FILE_SIZE) {
                    small.add(file);
                }
            }
            return small.size() > 1 && primary.takesBundles() ? small : List.of();
        } catch (IOException e) {
            throw primary.failure("cannot read the images: " + e.getMessage(), e);
        }
    }

    private List<List<Path>> plan(FtpConnection primary, List<Path> files) {
        try {
            return files.isEmpty() ? List.of() : UploadPlan.lanes(files, maxConnections);
        } catch (IOException e) {
            throw primary.failure("cannot read the images: " + e.getMessage(), e);
        }
    }

    /**
     * Runs each lane on its own thread: the first on the primary connection, which is logged in
     * already, so the largest file starts at once; the others on connections of their own. The
     * first failure stops the other lanes, and all have ended before this returns, so that a
     * retry of the request never races a stale upload into the same directory.
     */
    private List<Manifest.Entry> uploadAll(
            FtpConnection primary, NodeAddress target, Upload shipment, List<List<Path>> lanes, List<Path> bundled) {
        AtomicBoolean aborted = new AtomicBoolean();
        Upload upload = shipment.abortedBy(aborted::get);
        int tasks = lanes.size() + (bundled.isEmpty() ? 0 : 1);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, tasks), threadsNamed(upload.remoteDir()));
        try {
            CompletionService<List<Manifest.Entry>> done = new ExecutorCompletionService<>(pool);
            for (int i = 0; i < lanes.size(); i++) {
                List<Path> lane = lanes.get(i);
                done.submit(
                        i == 0
                                ? () -> primary.upload(upload, lane)
                                : () -> onNewConnection(target, connection -> connection.upload(upload, lane)));
            }
            if (!bundled.isEmpty()) {
                // Beside the memory files, on a connection of its own (on the primary one if alone).
                Lane bundle = connection -> connection.uploadBundle(upload, bundled);
                done.submit(lanes.isEmpty() ? () -> bundle.upload(primary) : () -> onNewConnection(target, bundle));
            }
            return collect(done, tasks, aborted, primary);
        } finally {
            awaitEnd(pool);
        }
    }

    /** What one connection uploads. */
    private interface Lane {
        List<Manifest.Entry> upload(FtpConnection connection);
    }

    private List<Manifest.Entry> onNewConnection(NodeAddress target, Lane lane) {
        try (FtpConnection connection = FtpConnection.open(target, settings)) {
            List<Manifest.Entry> entries = lane.upload(connection);
            connection.logout();
            return entries;
        }
    }

    /** Waits for every lane; on the first failure tells the others to stop, and reports that failure. */
    private static List<Manifest.Entry> collect(
            CompletionService<List<Manifest.Entry>> done, int lanes, AtomicBoolean aborted, FtpConnection primary) {
        List<Manifest.Entry> entries = new ArrayList<>();
        Throwable firstFailure = null;
        for (int i = 0; i < lanes; i++) {
            try {
                entries.addAll(done.take().get());
            } catch (ExecutionException e) {
                aborted.set(true);
                firstFailure = firstFailure == null ? e.getCause() : firstFailure;
            } catch (InterruptedException e) {
                aborted.set(true);
                Thread.currentThread().interrupt();
                throw primary.failure("interrupted while uploading", e);
            }
        }
        if (firstFailure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (firstFailure != null) {
            throw primary.failure("an upload failed: " + firstFailure, firstFailure);
        }
        return entries;
    }

    /**
     * Lanes stop at their next buffer once aborted, or at the latest when their socket times out;
     * an interrupt ends the wait early (the threads are daemons and finish on their own).
     */
    private void awaitEnd(ExecutorService pool) {
        pool.shutdown();
        try {
            pool.awaitTermination(settings.connectTimeout().toMillis() * 12, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threadsNamed(String remoteDir) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "ftp-upload-" + remoteDir + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
