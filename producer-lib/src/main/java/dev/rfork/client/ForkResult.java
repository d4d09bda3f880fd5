package dev.rfork.client;

import java.util.UUID;

/**
 * What {@link SelfFork} returns, in each copy: which one this is, and where the other runs.
 *
 * @param parentPid the original's PID on {@code parentNode} (also this process's PID, as seen
 *                  by itself, in the copy: the copy keeps its PID inside its PID namespace)
 * @param childPid  the copy's PID on {@code childNode}'s host; null in the copy itself
 */
public record ForkResult(
        Role role, UUID requestId, String parentNode, long parentPid, String childNode, Long childPid) {

    public enum Role {
        PARENT,
        CHILD
    }

    public boolean isParent() {
        return role == Role.PARENT;
    }

    public boolean isChild() {
        return role == Role.CHILD;
    }
}
