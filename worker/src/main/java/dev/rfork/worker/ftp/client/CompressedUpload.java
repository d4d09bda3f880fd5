package dev.rfork.worker.ftp.client;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import com.github.luben.zstd.util.Native;
import java.io.IOException;
import java.io.OutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An image file sent compressed, for slow links: stored as its name plus {@link #SUFFIX}, one
 * zstd frame that the embedded FTP server decompresses as it arrives into the file of the plain
 * name (hashed and recorded as any upload, so the manifest and the checks before the restore
 * are the same). Only a server that lists {@link #FEATURE} in its FEAT reply gets compressed
 * files; vsftpd gets them as they are. Level 1: on half-random, half-text memory it compresses
 * at ~650 MB/s on one core here, far above a 1 Gbit/s link, and better than lz4 for about the
 * same speed (docs/decisions.md).
 */
public final class CompressedUpload {
    /** Added to a file's name on the wire; never part of an image's own name (those end in .img). */
    public static final String SUFFIX = ".zst";

    /** What the embedded server adds to its FEAT reply. */
    public static final String FEATURE = "RFORK-ZSTD";

    static final int LEVEL = 1;

    private static final Logger LOG = LoggerFactory.getLogger(CompressedUpload.class);

    /** Null when zstd's native library loads here; why it does not otherwise. */
    private static final String UNAVAILABLE = load();

    private CompressedUpload() {}

    /**
     * Whether this JVM can compress and decompress: zstd-jni unpacks its native library into
     * the temporary directory and loads it from there, which a noexec {@code /tmp} forbids.
     * Without it a sender sends files as they are and a server does not offer {@link #FEATURE}.
     */
    public static boolean available() {
        return UNAVAILABLE == null;
    }

    private static String load() {
        try {
            Native.load();
            return null;
        } catch (LinkageError | RuntimeException e) {
            LOG.warn("zstd's native library does not load ({}): images travel uncompressed", e.toString());
            return e.toString();
        }
    }

    /** Compresses into {@code data}; closing it ends the frame and closes {@code data}. */
    static OutputStream compressing(OutputStream data) throws IOException {
        return new ZstdOutputStreamNoFinalizer(data, LEVEL);
    }
}
