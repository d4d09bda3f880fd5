package dev.rfork.worker.intake;

import dev.rfork.address.InvalidNodeAddressException;
import dev.rfork.address.NodeAddress;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.criu.ProcFs;
import dev.rfork.worker.metrics.NodeFiles;
import dev.rfork.worker.metrics.NodeInfo;
import dev.rfork.worker.metrics.PeerNodes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/** Checks a fork request against this machine: the target, the process, the right to fork it. */
public final class RequestValidator {
    private final WorkerConfig config;
    private final PeerNodes peers;
    private final NodeInfo here;
    private final long workerPid = ProcessHandle.current().pid();

    /** No checks of other nodes: a node alone, or tests of this node's own checks. */
    public RequestValidator(WorkerConfig config) {
        this(config, null, null);
    }

    /**
     * @param peers what the other nodes say they are
     * @param here  what this node is: its CRIU and CPU, against which each target is checked
     */
    public RequestValidator(WorkerConfig config, PeerNodes peers, NodeInfo here) {
        this.config = config;
        this.peers = peers;
        this.here = here;
    }

    /**
     * Each other target can run a copy of what this node dumps: the same CRIU, every CPU feature
     * this node has. Known before the freeze from the target's {@code /node}; a target that
     * cannot say is not judged here (its upload or restore then answers, as without this check).
     */
    public void compatible(List<NodeAddress> targets) {
        if (peers == null || here == null) {
            return;
        }
        for (NodeAddress target : targets) {
            if (target.equals(config.node())) {
                continue;
            }
            Optional<NodeInfo> there = peers.info(target);
            if (there.isEmpty()) {
                continue;
            }
            if (!Objects.equals(here.criu(), there.get().criu())) {
                throw new MessageException(
                        Reason.CRIU_VERSION_MISMATCH,
                        "node " + target + " runs " + there.get().criu() + ", this node " + here.criu()
                                + ": run the same CRIU on every node (docs/deploy.md)",
                        Map.of(
                                "target",
                                target.canonical(),
                                "here",
                                here.criu(),
                                "there",
                                there.get().criu()),
                        null);
            }
            List<String> missing = here.missingOn(there.get());
            if (!missing.isEmpty()) {
                throw new MessageException(
                        Reason.CPU_FEATURES_MISSING,
                        "node " + target + "'s CPU lacks " + missing.size() + " feature(s) this node's has ("
                                + String.join(" ", missing) + "): a copy there could fault on them; fork between"
                                + " nodes with the same CPU model",
                        Map.of("target", target.canonical(), "missing", String.join(" ", missing)),
                        null);
            }
        }
    }

    /** The request with the PID this node's host sees (a process in a copy gives its PID inside it). */
    public ForkRequest onThisNode(ForkRequest request) {
        return NamespacedPid.onThisNode(request);
    }

    /** Every target of the request, each a node of this cluster, in the request's order. */
    public List<NodeAddress> targets(ForkRequest request) {
        List<NodeAddress> targets = new ArrayList<>();
        for (String node : request.allTargets()) {
            NodeAddress target = target(node);
            if (targets.contains(target)) {
                throw new MessageException(
                        Reason.INVALID_REQUEST,
                        "targets names node " + target + " twice",
                        Map.of("target", target.canonical()),
                        null);
            }
            targets.add(target);
        }
        return targets;
    }

    public NodeAddress target(ForkRequest request) {
        return target(request.target());
    }

    private NodeAddress target(String node) {
        NodeAddress target;
        try {
            target = NodeAddress.parse(node);
        } catch (InvalidNodeAddressException e) {
            throw new MessageException(
                    Reason.INVALID_NODE_ADDRESS, e.getMessage(), Map.of("target", String.valueOf(node)), e);
        }
        if (!config.nodes().contains(target)) {
            throw new MessageException(
                    Reason.UNKNOWN_NODE,
                    "node " + target + " is not one of this cluster's nodes " + config.nodes()
                            + " (add it with RFORK_NODES)",
                    Map.of("target", target.canonical()),
                    null);
        }
        return target;
    }

    /**
     * A copy on this node of a process that holds an exclusive file lock would wait on that lock
     * (CRIU restores it): refused before anything freezes, with the locks as evidence.
     */
    public void locks(long pid, List<NodeAddress> targets) {
        if (!targets.contains(config.node())) {
            return;
        }
        List<FileLocks.Lock> held = FileLocks.exclusiveOn(pid);
        if (!held.isEmpty()) {
            throw new MessageException(
                    Reason.FILE_LOCK_HELD,
                    "PID " + pid + " holds an exclusive file lock (" + held.get(0)
                            + "): its copy on this node would wait for it; fork it to another node, or release"
                            + " the lock first",
                    Map.of("pid", Long.toString(pid), "locks", held.toString()),
                    null);
        }
    }

    /**
     * Each other target has the regular files the process holds, at the same size: CRIU restores
     * them by path. Asked before the freeze; a target that cannot say is not judged here.
     */
    public void files(long pid, List<NodeAddress> targets) {
        if (peers == null || targets.stream().allMatch(config.node()::equals)) {
            return;
        }
        List<NodeFiles.Held> held = HeldFiles.of(pid);
        for (NodeAddress target : targets) {
            if (target.equals(config.node())) {
                continue;
            }
            Optional<NodeFiles.Answer> answer = peers.files(target, held);
            if (answer.isPresent() && !answer.get().matches()) {
                List<String> missing = answer.get().missing();
                List<String> differ = answer.get().differ().stream()
                        .map(file -> file.path() + ": " + file.size() + " bytes here, " + file.here() + " there")
                        .toList();
                throw new MessageException(
                        Reason.FILES_DIFFER_ON_TARGET,
                        "node " + target + " lacks " + missing.size() + " and has " + differ.size()
                                + " of another size of the files PID " + pid + " holds ("
                                + String.join(", ", missing.isEmpty() ? differ : missing)
                                + "): a copy there could not reopen them; deploy the same files on every node",
                        Map.of(
                                "target",
                                target.canonical(),
                                "missing",
                                String.join(" ", missing.stream().limit(20).toList()),
                                "differ",
                                String.join("; ", differ.stream().limit(20).toList())),
                        null);
            }
        }
    }

    /** A deleted file larger than the dump may carry: CRIU would fail on it, after freezing the process. */
    public void ghosts(long pid) {
        DeletedFiles.largerThan(pid, config.ghostLimit()).ifPresent(ghost -> {
            throw new MessageException(
                    Reason.GHOST_FILE_TOO_LARGE,
                    "PID " + pid + " holds the deleted file " + ghost.file() + " of " + ghost.size()
                            + " bytes, more than a dump carries (" + config.ghostLimit()
                            + " bytes): raise RFORK_CRIU_GHOST_LIMIT to fork it",
                    Map.of(
                            "file",
                            ghost.file(),
                            "size",
                            Long.toString(ghost.size()),
                            "limit",
                            Long.toString(config.ghostLimit())),
                    null);
        });
    }

    /** @param sender the broker user who asked, as the broker validated it */
    public void process(long pid, String sender) {
        if (!ProcFs.isRunning(pid)) {
            throw new MessageException(
                    Reason.NO_SUCH_PROCESS,
                    "no running process has PID " + pid + " on this node",
                    Map.of("pid", Long.toString(pid)),
                    null);
        }
        OptionalLong tgid = ProcFs.threadGroup(pid);
        if (tgid.isPresent() && tgid.getAsLong() != pid) {
            // CRIU would crash on it ("BUG at criu/pstree.c"), after seizing the process.
            throw new MessageException(
                    Reason.NO_SUCH_PROCESS,
                    "PID " + pid + " is not a process but a thread of " + "process " + tgid.getAsLong()
                            + "; name the process to fork it",
                    Map.of("pid", Long.toString(pid), "tgid", Long.toString(tgid.getAsLong())),
                    null);
        }
        if (pid == 1 || isWorkerOrAncestor(pid)) {
            throw new MessageException(
                    Reason.FORBIDDEN,
                    "PID " + pid + " is init, this worker or one of its ancestors; freezing it would freeze the worker",
                    Map.of("pid", Long.toString(pid)),
                    null);
        }
        if (sender == null) {
            throw new MessageException(
                    Reason.FORBIDDEN,
                    "the broker did not say who sent this request: "
                            + "its broker.xml must load the plugin dev.rfork.broker.SenderStamp (see broker-config/broker.xml)",
                    Map.of("pid", Long.toString(pid)),
                    null);
        }
        OptionalLong uid = ProcFs.uid(pid);
        if (uid.isEmpty() || !config.forkGrants().allows(sender, uid.getAsLong())) {
            String owner = uid.isPresent() ? Long.toString(uid.getAsLong()) : "?";
            throw new MessageException(
                    Reason.FORBIDDEN,
                    "broker user '" + sender + "' may not fork processes of uid "
                            + owner + " on this node (grants: " + config.forkGrants() + "; RFORK_FORK_GRANTS, or "
                            + "RFORK_FORKABLE_UIDS for the app and worker accounts)",
                    Map.of("pid", Long.toString(pid), "uid", owner, "user", sender),
                    null);
        }
        if (ProcFs.sessionId(pid).orElse(-1) == 0) {
            // CRIU would refuse it too ("A session leader of N is outside of its pid namespace"):
            // restoring it could merge processes of different sessions into one.
            throw new MessageException(
                    Reason.CRIU_DUMP_FAILED,
                    "PID " + pid + " cannot be checkpointed: the leader "
                            + "of its session is outside this node's PID namespace (session id 0, e.g. a child of an init "
                            + "that never called setsid); start the program with setsid, from a shell or a service manager",
                    Map.of("pid", Long.toString(pid), "sessionId", "0"),
                    null);
        }
    }

    private boolean isWorkerOrAncestor(long pid) {
        long current = workerPid;
        for (int depth = 0; depth < 64 && current > 0; depth++) {
            if (current == pid) {
                return true;
            }
            current = ProcFs.parentPid(current).orElse(0);
        }
        return false;
    }
}
