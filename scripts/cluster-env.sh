#!/usr/bin/env bash
# Write the cluster's shared secrets to .env at the repository root (read by compose.yaml),
# once: an existing .env is kept, and only secrets missing from it are added. Every node of a
# cluster must use the same values (brokers cluster with them, workers log in to each
# other's brokers and FTP servers with them). .env is git-ignored and owner-only.
# Then the cluster's TLS files in .cluster-tls/ (`rfork certificates`): one CA, and a
# certificate for each node's address (RFORK_CLUSTER_NET.11, .12, .13); compose mounts
# trust/ and its own nodes/ADDRESS/ into each node, never ca/ (the CA's key).
#
#   scripts/cluster-env.sh            # create or complete .env and .cluster-tls/
#   scripts/cluster-env.sh --print    # also print the admin (console) password
#
# To change the secrets: remove .env, run this again, then `docker compose up -d
# --force-recreate` (each node rewrites its broker's users at start). A new CA: remove
# .cluster-tls/ too. Elsewhere: RFORK_ENV_FILE, RFORK_TLS_DIR, RFORK_CLUSTER_NET.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE=${RFORK_ENV_FILE:-$ROOT/.env}
TLS_DIR=${RFORK_TLS_DIR:-$ROOT/.cluster-tls}
NET=${RFORK_CLUSTER_NET:-172.28.0}
KEYS=(RFORK_APP_PASSWORD RFORK_WORKER_PASSWORD RFORK_FTP_PASSWORD RFORK_CLUSTER_PASSWORD RFORK_ADMIN_PASSWORD
    RFORK_TLS_CA_PASSWORD RFORK_TLS_KEYSTORE_PASSWORD RFORK_TLS_TRUSTSTORE_PASSWORD)

LOG_TAG=cluster-env
# shellcheck source=lib/log.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/log.sh"

print=0
for arg in "$@"; do
    case $arg in
    --print) print=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "[cluster-env] ERROR: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done

# 24 random bytes as 48 hex digits: no character that needs quoting anywhere (XML, shells,
# chpasswd, properties files, URLs).
secret() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }

umask 077
if [ ! -f "$ENV_FILE" ]; then
    {
        echo "# rfork cluster secrets, written by scripts/cluster-env.sh on $(date -u '+%F %T') UTC."
        echo "# The same values on every node. Keep this file private (it is git-ignored)."
    } >"$ENV_FILE"
    log "creating $ENV_FILE"
fi
added=()
for key in "${KEYS[@]}"; do
    if ! grep -qE "^$key=." "$ENV_FILE"; then
        echo "$key=$(secret)" >>"$ENV_FILE"
        added+=("$key")
    fi
done
chmod 600 "$ENV_FILE"
if [ "${#added[@]}" -gt 0 ]; then
    log "added: ${added[*]}"
else
    log "$ENV_FILE already holds all ${#KEYS[@]} secrets: kept"
fi

# The TLS files, with the passwords just written (`rfork certificates` reads them from the
# environment); a node's certificate that exists is kept.
log "TLS files in $TLS_DIR for ${NET}.11, .12 and .13 ('rfork certificates'; a new CA takes a few seconds) ..."
(
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
    "$ROOT/rfork" certificates --dir "$TLS_DIR" --node "${NET}.11,${NET}.12,${NET}.13"
) | sed "s/^/[$LOG_TAG]   /" || die "rfork certificates failed (output above)" \
    "run '$ROOT/rfork certificates --help', or remove $TLS_DIR to start over with a new CA"

if [ "$print" = 1 ]; then
    log "console login: admin / $(sed -n 's/^RFORK_ADMIN_PASSWORD=//p' "$ENV_FILE")"
else
    log "console login: admin / the RFORK_ADMIN_PASSWORD in $ENV_FILE ($0 --print shows it)"
fi
