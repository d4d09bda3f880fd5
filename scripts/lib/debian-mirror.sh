# Sourced by the install scripts: finds the Debian mirror this machine already uses, so that
# packages of another suite can be fetched through a private apt configuration without naming
# any mirror in the project (RFORK_DEBIAN_MIRROR overrides it).

# The system's Debian mirror, from its own apt sources (deb822 *.sources files or
# one-line *.list files). Prints "URI KEYRING" (KEYRING may be empty).
find_mirror() {
    local codename f
    codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            # one stanza per paragraph: print "types|uris|suites|signed-by"
            awk 'BEGIN { RS=""; FS="\n" }
                 { t=""; u=""; s=""; k=""; en="yes"
                   for (i = 1; i <= NF; i++) {
                     line = $i; if (line ~ /^[ \t]*#/) continue
                     key = tolower(line); sub(/:.*/, "", key)
                     val = line; sub(/^[^:]*:[ \t]*/, "", val)
                     if (key == "types") t = val; else if (key == "uris") u = val
                     else if (key == "suites") s = val; else if (key == "signed-by") k = val
                     else if (key == "enabled") en = tolower(val)
                   }
                   if (en != "no") print t "|" u "|" s "|" k }' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            sed -e 's/#.*//' "$f" | awk '$1 == "deb" {
                k = ""; i = 2
                if ($2 ~ /^\[/) {
                    opts = ""
                    for (; i <= NF; i++) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break } }
                    if (match(opts, /signed-by=[^] ]+/)) k = substr(opts, RSTART + 10, RLENGTH - 10)
                }
                print "deb|" $i "|" $(i + 1) "|" k }'
        done
    } | awk -F'|' -v cn="$codename" '
        $1 ~ /(^| )deb( |$)/ {
            n = split($3, suites, " "); ok = 0
            for (j = 1; j <= n; j++) if (suites[j] == cn || suites[j] == cn "-updates") ok = 1
            if (!ok) next
            m = split($2, uris, " ")
            for (j = 1; j <= m; j++) if (uris[j] !~ /security/) { print uris[j] " " $4; exit }
        }'
}

# Sets MIRROR and KEYRING: RFORK_DEBIAN_MIRROR, else the system's own mirror. Uses the
# caller's die().
use_debian_mirror() {
    MIRROR=${RFORK_DEBIAN_MIRROR:-}
    KEYRING=
    if [ -z "$MIRROR" ]; then
        read -r MIRROR KEYRING < <(find_mirror || true) || true
    fi
    [ -n "$MIRROR" ] || die "could not find the Debian mirror in the system's apt sources" \
        "set RFORK_DEBIAN_MIRROR to the URI of a Debian archive mirror (the .../debian directory)"
    if [ -z "$KEYRING" ] || [ ! -r "$KEYRING" ]; then
        KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
    fi
    [ -r "$KEYRING" ] || die "Debian archive keyring $KEYRING not found" "apt-get install -y debian-archive-keyring"
}

# private_apt DIR SUITE SUITE_SETTING TAG: an apt that sees only Debian SUITE of $MIRROR, with
# its own sources list, lists and cache under DIR, so the system's apt is never touched. Sets
# APTDIR and APT_OPTS and runs `apt-get update`; SUITE_SETTING names the variable that picks
# the suite, TAG prefixes the failure output. Needs use_debian_mirror first.
private_apt() {
    local suite=$2 setting=$3 tag=$4
    APTDIR=$1
    mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/debs"
    echo "deb [signed-by=$KEYRING] $MIRROR $suite main" >"$APTDIR/sources.list"
    APT_OPTS=(
        -o "Dir::Etc::sourcelist=$APTDIR/sources.list"
        -o "Dir::Etc::sourceparts=/nonexistent"
        -o "Dir::State::Lists=$APTDIR/lists"
        -o "Dir::Cache=$APTDIR/cache"
        -o "APT::Sandbox::User=root"
    )
    log "apt-get update (private sources list, lists and cache under $APTDIR) ..."
    if ! apt-get "${APT_OPTS[@]}" update >"$APTDIR/update.log" 2>&1; then
        tail -n 5 "$APTDIR/update.log" | sed "s/^/[$tag]   | /" >&2
        die "apt-get update of Debian '$suite' failed" \
            "check that $MIRROR is reachable and carries the '$suite' suite (or set RFORK_DEBIAN_MIRROR / $setting)"
    fi
}
