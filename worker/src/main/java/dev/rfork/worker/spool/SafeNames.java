package dev.rfork.worker.spool;

import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import java.util.Map;
import java.util.regex.Pattern;

/** Names that come from messages or manifests are checked here before they touch a path. */
public final class SafeNames {
    // CRIU image names are short and plain (pages-1.img, core-123.img, stats-dump, irmap-cache).
    private static final Pattern IMAGE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private SafeNames() {}

    /** Returns {@code name} when it is a plain file name: no separator, no "..", no leading dot. */
    public static String requireImageName(String name) {
        if (name == null || !IMAGE_NAME.matcher(name).matches() || name.contains("..")) {
            throw new MessageException(
                    Reason.IMAGE_VERIFICATION_FAILED,
                    "the manifest names a file that is not a plain image name",
                    Map.of("file", String.valueOf(name)),
                    null);
        }
        return name;
    }
}
