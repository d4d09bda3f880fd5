package dev.rfork.worker.intake;

import dev.rfork.message.ForkRequest;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.criu.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A PID given in another PID namespace than the node's ({@code pidNamespace} of a request): a
 * process in a restored copy asking for itself knows only its PID inside its namespace. The
 * node's PID is the one of the process in that namespace (by its inode) whose innermost PID it is.
 */
final class NamespacedPid {
    private NamespacedPid() {}

    /** The request with the node's own PID; as it is when it already names one. */
    static ForkRequest onThisNode(ForkRequest request) {
        Long namespace = request.pidNamespace();
        if (namespace == null || namespace == inode(Path.of("/proc/self/ns/pid"))) {
            return request;
        }
        String wanted = "pid:[" + namespace + "]";
        for (long pid : ProcFs.pids()) {
            List<Long> pids = ProcFs.namespacePids(pid);
            if (!pids.isEmpty()
                    && pids.get(pids.size() - 1) == request.pid()
                    && wanted.equals(link(Path.of("/proc", Long.toString(pid), "ns", "pid")))) {
                return request.inPidNamespace(pid, null);
            }
        }
        throw new MessageException(
                Reason.NO_SUCH_PROCESS,
                "no process of PID namespace " + namespace + " has PID " + request.pid() + " on this node",
                Map.of("pid", Long.toString(request.pid()), "pidNamespace", Long.toString(namespace)),
                null);
    }

    private static long inode(Path namespaceLink) {
        String text = link(namespaceLink);
        int open = text.indexOf('[');
        int close = text.indexOf(']');
        return open < 0 || close < open ? -1 : Long.parseLong(text.substring(open + 1, close));
    }

    private static String link(Path path) {
        try {
            return Files.readSymbolicLink(path).toString();
        } catch (IOException e) {
            return "";
        }
    }
}
