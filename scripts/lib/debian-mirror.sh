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
