package dev.rfork.worker.ftp.client;

/**
 * CRIU's small image files in one upload: a tar stream stored as {@link #NAME} in the request's
 * directory, which the embedded FTP server unpacks as it arrives into the files it holds (each
 * hashed and recorded as if uploaded alone); the bundle itself is never kept. Every file is a
 * data connection of its own otherwise, and with TLS each of them a handshake. Only a server
 * that lists {@link #FEATURE} in its FEAT reply gets bundles (vsftpd does not: it gets the
 * files one by one). The manifest still lists every file and goes last, alone.
 */
public final class SmallFilesBundle {
    /** The name a bundle is stored under; never a CRIU image's name (those end in .img). */
    public static final String NAME = "small-files.rfork-bundle";

    /** What the embedded server adds to its FEAT reply. */
    public static final String FEATURE = "RFORK-BUNDLE";

    /** Files up to this size go into the bundle; larger ones (the memory) travel alone. */
    public static final long MAX_FILE_SIZE = 1 << 20;

    /** More entries than CRIU ever writes; a server refuses a bundle with more. */
    public static final int MAX_FILES = 4096;

    private SmallFilesBundle() {}
}
