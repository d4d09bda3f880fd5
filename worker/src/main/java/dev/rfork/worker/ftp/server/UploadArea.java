package dev.rfork.worker.ftp.server;

import java.util.regex.Pattern;

/**
 * Where a sender may write through the node's FTP server: a request's directory
 * {@code /<requestId>} (created, and removed once empty: a sender takes back what a failed
 * shipment sent) and plain files directly in it, nothing else.
 * The inbox's root holds the worker's own records ({@code <id>.restored}, the copies' output);
 * no upload may create, change, date or remove anything there. Paths are the server's virtual
 * ones, already normalised ({@code ..} resolved) against the user's root.
 */
final class UploadArea {
    // Request ids as Spool names their directories: UUID.toString(), lower case.
    private static final String REQUEST = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    private static final Pattern DIRECTORY = Pattern.compile("/" + REQUEST);
    private static final Pattern FILE = Pattern.compile("/" + REQUEST + "/[^/]+");

    private UploadArea() {}

    /** A request's directory, which a sender may create, and remove once empty. */
    static boolean isRequestDirectory(String virtualPath) {
        return virtualPath != null && DIRECTORY.matcher(virtualPath).matches();
    }

    /** A file in a request's directory, which a sender may write, date, rename or delete. */
    static boolean isRequestFile(String virtualPath) {
        return virtualPath != null && FILE.matcher(virtualPath).matches();
    }
}
