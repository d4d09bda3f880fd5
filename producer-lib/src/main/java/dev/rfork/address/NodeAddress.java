package dev.rfork.address;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a node: an IPv4 or IPv6 literal, or a DNS host name, validated and put in one
 * canonical form so that the same node always yields the same queue name. Never resolves
 * names: parsing is pure and cannot send traffic anywhere.
 */
public final class NodeAddress {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");
    private static final Pattern HOST_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private final String canonical;
    private final boolean ipv6;

    private NodeAddress(String canonical, boolean ipv6) {
        this.canonical = canonical;
        this.ipv6 = ipv6;
    }

    /** Parses and normalises {@code text}; throws {@link InvalidNodeAddressException} saying what is wrong. */
    public static NodeAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidNodeAddressException(text, "is empty");
        }
        if (text.chars().anyMatch(Character::isISOControl)) {
            // trim() would drop a trailing NUL or line feed and accept what the sender did not write.
            throw new InvalidNodeAddressException(text, "contains a control character");
        }
        String trimmed = text.trim();
        if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
            trimmed = trimmed.substring(1, trimmed.length() - 1);
        }
        if (trimmed.contains(":")) {
            return parseIpv6(text, trimmed);
        }
        var ipv4 = IPV4.matcher(trimmed);
        if (ipv4.matches()) {
            return parseIpv4(text, ipv4);
        }
        return parseHostName(text, trimmed);
    }

    private static NodeAddress parseIpv4(String text, Matcher ipv4) {
        StringBuilder canonical = new StringBuilder();
        for (int group = 1; group <= 4; group++) {
            int octet = Integer.parseInt(ipv4.group(group));
            if (octet > 255) {
                throw new InvalidNodeAddressException(text, "has an IPv4 octet above 255");
            }
            canonical.append(group > 1 ? "." : "").append(octet);
        }
        if (canonical.toString().equals("0.0.0.0") || canonical.toString().startsWith("255.")) {
            throw new InvalidNodeAddressException(text, "is not a unicast address");
        }
        return new NodeAddress(canonical.toString(), false);
    }

    private static NodeAddress parseIpv6(String text, String literal) {
        if (!IPV6_CHARS.matcher(literal).matches()) {
            throw new InvalidNodeAddressException(text, "is not an IPv6 literal (zone ids are not supported)");
        }
        try {
            // A string of hex digits, colons and dots is a literal: getByName parses it without DNS.
            InetAddress parsed = InetAddress.getByName(literal);
            if (parsed.isAnyLocalAddress() || parsed.isMulticastAddress()) {
                throw new InvalidNodeAddressException(text, "is not a unicast address");
            }
            String host = parsed.getHostAddress();
            if (!host.contains(":")) {
                // Java reads ::ffff:a.b.c.d as the IPv4 address itself: the same node, the same queue.
                var ipv4 = IPV4.matcher(host);
                if (!ipv4.matches()) {
                    throw new InvalidNodeAddressException(text, "is not an IPv6 literal");
                }
                return parseIpv4(text, ipv4);
            }
            return new NodeAddress(compressIpv6(host), true);
        } catch (UnknownHostException e) {
            throw new InvalidNodeAddressException(text, "is not an IPv6 literal");
        }
    }

    private static NodeAddress parseHostName(String text, String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".")) {
            lower = lower.substring(0, lower.length() - 1);
        }
        if (lower.isEmpty() || lower.length() > 253) {
            throw new InvalidNodeAddressException(text, "is not a host name of 1 to 253 characters");
        }
        for (String label : lower.split("\\.", -1)) {
            if (!HOST_LABEL.matcher(label).matches()) {
                throw new InvalidNodeAddressException(
                        text, "is neither an IP address nor a host name (label '" + label + "')");
            }
        }
        if (lower.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
            throw new InvalidNodeAddressException(text, "looks like an IPv4 address but is not one");
        }
        return new NodeAddress(lower, false);
    }

    /** RFC 5952 form: lower case, longest run of zero groups replaced by "::". */
    private static String compressIpv6(String full) {
        String[] groups = full.split(":");
        for (int i = 0; i < groups.length; i++) {
            groups[i] = Integer.toHexString(Integer.parseInt(groups[i], 16));
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < groups.length; i++) {
            int j = i;
            while (j < groups.length && groups[j].equals("0")) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
        }
        if (bestStart < 0) {
            return String.join(":", groups);
        }
        String head = String.join(":", Arrays.copyOfRange(groups, 0, bestStart));
        String tail = String.join(":", Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return head + "::" + tail;
    }

    /** The canonical text, e.g. {@code 10.0.0.5}, {@code fd00::5} or {@code node2}. */
    public String canonical() {
        return canonical;
    }

    /**
     * The form used inside queue names. Artemis reads "::" as the separator of a fully
     * qualified queue name, so IPv6 colons become dashes (which no IPv4 address or IPv6
     * literal contains, and which cannot start a host name label).
     */
    public String queueToken() {
        return ipv6 ? canonical.replace(':', '-') : canonical;
    }

    /** The form to connect to, with brackets around IPv6 literals for use with a port. */
    public String hostForUri() {
        return ipv6 ? "[" + canonical + "]" : canonical;
    }

    public boolean isIpv6() {
        return ipv6;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof NodeAddress that && canonical.equals(that.canonical);
    }

    @Override
    public int hashCode() {
        return canonical.hashCode();
    }

    @Override
    public String toString() {
        return canonical;
    }
}
