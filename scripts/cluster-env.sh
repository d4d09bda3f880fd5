#!/usr/bin/env bash
# Write the cluster's shared secrets to .env at the repository root (read by compose.yaml),
# once: an existing .env is kept, and only secrets missing from it are added. Every node of a
# cluster must use the same values (brokers cluster with them, workers log in to each
# other's brokers and FTP servers with them). .env is git-ignored and owner-only.
#
#   scripts/cluster-env.sh            # create or complete .env
#   scripts/cluster-env.sh --print    # also print the admin (console) password
#
# To change the secrets: remove .env, run this again, then `docker compose up -d
# --force-recreate` (each node rewrites its broker's users at start).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE=${RFORK_ENV_FILE:-$ROOT/.env}
KEYS=(RFORK_APP_PASSWORD RFORK_WORKER_PASSWORD RFORK_FTP_PASSWORD RFORK_CLUSTER_PASSWORD RFORK_ADMIN_PASSWORD)

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
if [ "$print" = 1 ]; then
    log "console login: admin / $(sed -n 's/^RFORK_ADMIN_PASSWORD=//p' "$ENV_FILE")"
else
    log "console login: admin / the RFORK_ADMIN_PASSWORD in $ENV_FILE ($0 --print shows it)"
fi
