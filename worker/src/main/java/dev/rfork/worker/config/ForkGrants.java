package dev.rfork.worker.config;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which broker user may have processes of which owners forked: the broker tells the worker who
 * sent each request (its SenderStamp plugin), and the worker honours it only when granted.
 * Written {@code user=uid,uid;other=*}; an empty UID set means any owner ({@code *}).
 */
public record ForkGrants(Map<String, Set<Long>> byUser) {
    public ForkGrants {
        byUser = Collections.unmodifiableMap(new LinkedHashMap<>(byUser));
    }

    /** The default: the app and the worker accounts may fork processes of {@code uids}. */
    static ForkGrants of(String appUser, String workerUser, Set<Long> uids) {
        Map<String, Set<Long>> grants = new LinkedHashMap<>();
        grants.put(appUser, uids);
        grants.put(workerUser, uids);
        return new ForkGrants(grants);
    }

    static ForkGrants parse(String text) {
        Map<String, Set<Long>> grants = new LinkedHashMap<>();
        for (String entry : text.split(";")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] parts = entry.split("=", 2);
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new IllegalArgumentException("setting fork-grants (RFORK_FORK_GRANTS) wants user=uid,uid;user=*, "
                        + "got '" + entry.trim() + "'");
            }
            grants.put(parts[0].trim(), parseUids(parts[1].trim()));
        }
        return new ForkGrants(grants);
    }

    static Set<Long> parseUids(String text) {
        if (text.equals("*")) {
            return Set.of();
        }
        try {
            Set<Long> uids = Arrays.stream(text.split("[,\\s]+"))
                    .filter(s -> !s.isBlank())
                    .map(Long::valueOf)
                    .collect(Collectors.toUnmodifiableSet());
            if (uids.isEmpty()) {
                // An empty set means "any owner": only an explicit * may say that.
                throw new NumberFormatException("no UID");
            }
            return uids;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "a list of UIDs (numbers, or * for any) was expected, got '" + text + "'", e);
        }
    }

    public boolean allows(String user, long uid) {
        Set<Long> uids = user == null ? null : byUser.get(user);
        return uids != null && (uids.isEmpty() || uids.contains(uid));
    }

    @Override
    public String toString() {
        return byUser.entrySet().stream()
                .map(grant -> grant.getKey() + "="
                        + (grant.getValue().isEmpty()
                                ? "*"
                                : grant.getValue().stream()
                                        .sorted()
                                        .map(String::valueOf)
                                        .collect(Collectors.joining(","))))
                .collect(Collectors.joining(";"));
    }
}
