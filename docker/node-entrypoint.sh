#!/usr/bin/env bash
# Entrypoint of the rfork node image: one node = CRIU + a standalone Artemis broker (clustered
# with the other nodes' brokers) + an FTP server + the worker.
#
#   1. check CRIU works here (the image build could not: it is not privileged);
#   2. create the broker instance once (RFORK_HOME/artemis), write its configuration with
#      `rfork broker-config` (broker.xml with the cluster of RFORK_NODES, users, roles) and
#      the console's Jolokia CORS policy, start it (log: /var/log/artemis.log), wait for 61616;
#   3. RFORK_FTP_SERVER=external: start vsftpd (config written from the environment);
#      embedded (the default): the worker runs its own FTP server;
#   4. run `rfork worker` on the standalone broker.
#
# The script then stays as the node's supervisor (docker/node-supervisor.sh): a component that
# ends is started again (the broker with the worker), and the node's processes and the copies
# the worker restored run on; only a component that keeps failing stops the node, for the
# container's restart policy. On SIGTERM (docker stop) it stops the worker first (it finishes the
# request in hand), then vsftpd, then the broker, each cleanly. Run the container with an init
# (`init: true`, `docker run --init`): it reaps orphans, e.g. the copies of a worker that died.
#
# Environment: every RFORK_* setting of docs/configuration.md, and
#   RFORK_NODE               this node's address (default: the container's first IP)
#   RFORK_NODES              the other nodes, comma-separated (the Artemis cluster's peers)
#   RFORK_APP_PASSWORD RFORK_WORKER_PASSWORD RFORK_FTP_PASSWORD RFORK_CLUSTER_PASSWORD
#   RFORK_ADMIN_PASSWORD     shared secrets, the same on every node (required with RFORK_NODES)
#   RFORK_FTP_SERVER         embedded (default) | external (vsftpd in this container)
#   RFORK_BROKER_EMBEDDED    false (default here: the standalone broker) | true
#   RFORK_CONSOLE_ORIGINS    extra origins allowed to use the console's Jolokia, as
#                            patterns, comma-separated (e.g. *://console.example.com*)
#   RFORK_CONSOLE_BIND       the address the web console listens on (default 0.0.0.0)
#   RFORK_BROKER_MEMORY      the broker's maximum heap (default 1G)
#   RFORK_TLS                on (default) | off (plain text, unsafe); with it on, RFORK_TLS_KEYSTORE and
#                            RFORK_TLS_TRUSTSTORE (+ _PASSWORD) name the cluster's files
#                            (scripts/cluster-env.sh, compose mounts them), else the node makes its own
set -euo pipefail

log() { echo "[rfork-node] $*"; }
die() {
    echo "[rfork-node] ERROR: $1" >&2
    shift
    local line
    for line in "$@"; do echo "[rfork-node]   how to fix: $line" >&2; done
    exit 1
}

export RFORK_HOME=${RFORK_HOME:-/var/lib/rfork}
ARTEMIS_HOME=${ARTEMIS_HOME:-/opt/artemis}
INSTANCE=$RFORK_HOME/artemis
BROKER_LOG=/var/log/artemis.log
FTPD_LOG=/var/log/vsftpd.log
CRIU=${RFORK_CRIU:-/usr/local/sbin/rfork-criu}

if [ "$#" -gt 0 ]; then
    # `docker run IMAGE rfork doctor`, `docker run -it IMAGE bash`...: run that instead of a node.
    exec "$@"
fi

# ------------------------------------------------------------------- settings ---

if [ -z "${RFORK_NODE:-}" ]; then
    RFORK_NODE=$(hostname -I 2>/dev/null | awk '{print $1}')
    [ -n "$RFORK_NODE" ] || die "RFORK_NODE is not set and the container has no IP address" \
        "set RFORK_NODE to the address the other nodes reach this one on"
    log "RFORK_NODE not set: using the container's address $RFORK_NODE (set it in the container's environment so that 'docker exec ... rfork' commands use it too)"
fi
export RFORK_NODE
export RFORK_BROKER_EMBEDDED=${RFORK_BROKER_EMBEDDED:-false}
export RFORK_BROKER_PORT=${RFORK_BROKER_PORT:-61616}
# (the image sets it; see the Dockerfile for why useTopologyForLoadBalancing=false)
export RFORK_BROKER_URL=${RFORK_BROKER_URL:-tcp://127.0.0.1:$RFORK_BROKER_PORT?useTopologyForLoadBalancing=false}
export RFORK_FTP_SERVER=${RFORK_FTP_SERVER:-embedded}
case $RFORK_FTP_SERVER in embedded | external) ;; *)
    die "RFORK_FTP_SERVER must be 'embedded' or 'external', got '$RFORK_FTP_SERVER'" \
        "embedded: the worker's own FTP server; external: vsftpd in this container" ;;
esac
case $RFORK_BROKER_EMBEDDED in true | false) ;; *)
    die "RFORK_BROKER_EMBEDDED must be 'true' or 'false', got '$RFORK_BROKER_EMBEDDED'" ;;
esac

# Every node must know the same secrets, or the brokers cannot cluster and the FTP logins
# fail: a node that generated its own would only fail later, and less clearly.
missing=()
for key in APP WORKER FTP CLUSTER ADMIN; do
    var=RFORK_${key}_PASSWORD
    [ -n "${!var:-}" ] || missing+=("$var")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ -n "${RFORK_NODES:-}" ]; then
        die "not set: ${missing[*]} (a node of a cluster needs the cluster's shared secrets)" \
            "compose: run scripts/cluster-env.sh once (writes .env), then 'docker compose up -d'" \
            "elsewhere: set the same RFORK_*_PASSWORD values on every node (docs/deploy.md)"
    fi
    log "not set: ${missing[*]}: this single node generates its own into $RFORK_HOME/secrets.properties"
fi
if [ "$RFORK_FTP_SERVER" = external ] && [ -z "${RFORK_FTP_PASSWORD:-}" ]; then
    die "RFORK_FTP_SERVER=external needs RFORK_FTP_PASSWORD (vsftpd's account is created from it)" \
        "set RFORK_FTP_PASSWORD, the same on every node"
fi

# TLS: the cluster's files must be where the settings say (compose mounts them from .cluster-tls/);
# a node alone makes its own on first start (rfork broker-config, or the worker).
export RFORK_TLS=${RFORK_TLS:-on}
case $RFORK_TLS in on | off) ;; *) die "RFORK_TLS must be 'on' or 'off', got '$RFORK_TLS'" ;; esac
if [ "$RFORK_TLS" = on ]; then
    for var in RFORK_TLS_KEYSTORE RFORK_TLS_TRUSTSTORE; do
        if [ -n "${!var:-}" ] && [ ! -s "${!var}" ]; then
            die "$var names ${!var}, which does not exist here" \
                "compose: run scripts/cluster-env.sh once (it makes .cluster-tls/ for RFORK_CLUSTER_NET), then 'docker compose up -d'" \
                "elsewhere: mount the node's keystore and the cluster's truststore there (docs/security.md)"
        fi
    done
    if [ -n "${RFORK_NODES:-}" ] && [ -z "${RFORK_TLS_TRUSTSTORE:-}" ]; then
        die "a node of a cluster needs the cluster's CA: RFORK_TLS_TRUSTSTORE and RFORK_TLS_KEYSTORE are not set" \
            "compose: run scripts/cluster-env.sh (writes .env and .cluster-tls/)" \
            "elsewhere: 'rfork certificates' makes them (docs/security.md); or RFORK_TLS=off (unsafe: plain text)"
    fi
else
    log "WARNING: RFORK_TLS=off: the broker, the cluster links and FTP (process memory, passwords) travel in plain text"
fi

log "node $RFORK_NODE, peers: ${RFORK_NODES:-none}, TLS: $RFORK_TLS, broker: $([ "$RFORK_BROKER_EMBEDDED" = true ] \
    && echo embedded || echo "standalone Artemis ($INSTANCE)"), FTP: $RFORK_FTP_SERVER"

# ----------------------------------------------------------------------- CRIU ---

if ! criu_out=$("$CRIU" check 2>&1); then
    printf '%s\n' "$criu_out" | grep -v RLIMIT_NOFILE | tail -n 10 | sed 's/^/[rfork-node]   | /' >&2
    die "CRIU does not work in this container: '$CRIU check' failed (its output is above)" \
        "run the container privileged: 'docker run --privileged ...', compose: 'privileged: true'" \
        "the host's kernel needs checkpoint/restore (CONFIG_CHECKPOINT_RESTORE); if criu does not know this kernel, rebuild the image (scripts/build-node-image.sh) for the newest criu"
fi
log "CRIU: $("$CRIU" --version 2>/dev/null | sed -n 's/^Version: *//p' | head -n1), criu check: $(printf '%s\n' "$criu_out" | tail -n1)"

# --------------------------------------------------------------------- helpers ---

port_open() { # port_open HOST PORT
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

random_secret() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }

# Which pages may use the console's Jolokia: those served from localhost, 127.0.0.1 (the
# published port on the host) or the node's address, plus RFORK_CONSOLE_ORIGINS; patterns
# with Jolokia's '*' wildcard. Strict checking stays on.
write_jolokia_policy() { # write_jolokia_policy FILE
    local origins=("*://localhost*" "*://127.0.0.1*") extra o
    case $RFORK_NODE in *:*) ;; *) origins+=("*://$RFORK_NODE*") ;; esac
    if [ -n "${RFORK_CONSOLE_ORIGINS:-}" ]; then
        IFS=', ' read -r -a extra <<<"$RFORK_CONSOLE_ORIGINS"
        origins+=("${extra[@]}")
    fi
    {
        echo '<?xml version="1.0" encoding="utf-8"?>'
        echo '<!-- Written by rfork docker/node-entrypoint.sh at every start: which web pages may use the'
        echo '     console'"'"'s Jolokia (JMX over HTTP). Add origins with RFORK_CONSOLE_ORIGINS. -->'
        echo '<restrict>'
        echo '  <cors>'
        for o in "${origins[@]}"; do
            [ -n "$o" ] && echo "    <allow-origin>$o</allow-origin>"
        done
        echo '    <strict-checking/>'
        echo '  </cors>'
        echo '</restrict>'
    } >"$1"
}

# shellcheck source=node-supervisor.sh
. "$(dirname "${BASH_SOURCE[0]}")/node-supervisor.sh"

# --------------------------------------------------------------------- broker ---

start_broker() {
    log "starting the broker (log: $BROKER_LOG, console: http://$RFORK_NODE:8161/console/, user admin) ..."
    echo "=== $(date -u '+%F %T') broker start for node $RFORK_NODE" >>"$BROKER_LOG"
    (
        cd "$INSTANCE"
        # rfork.node names the broker after its node (broker.xml's <name>), in the console too.
        export JAVA_ARGS_APPEND="-Drfork.node=$RFORK_NODE ${JAVA_ARGS_APPEND:-}"
        exec "$INSTANCE/bin/artemis" run
    ) </dev/null >>"$BROKER_LOG" 2>&1 &
    started broker $!
    local start=$SECONDS
    until port_open 127.0.0.1 "$RFORK_BROKER_PORT"; do
        if ! kill -0 "${PID_OF[broker]}" 2>/dev/null; then
            on_exit_broker
            stop_all
            die "the broker exited during start-up (log tail above, full log: $BROKER_LOG)"
        fi
        if [ $((SECONDS - start)) -ge 120 ]; then
            on_exit_broker
            stop_all
            die "the broker did not listen on port $RFORK_BROKER_PORT within 120 s (log: $BROKER_LOG)"
        fi
        sleep 0.2
    done
    log "broker listening on $RFORK_BROKER_PORT after $((SECONDS - start)) s"
}

on_exit_broker() { tail -n 20 "$BROKER_LOG" | sed 's/^/[rfork-node]   | /' >&2; }

trap 'log "stop requested during start-up"; stop_all; exit 143' TERM INT
mkdir -p "$RFORK_HOME"
if [ "$RFORK_BROKER_EMBEDDED" = false ]; then
    if [ ! -x "$INSTANCE/bin/artemis" ]; then
        log "creating the Artemis broker instance $INSTANCE (first start) ..."
        # The users file is rewritten below by 'rfork broker-config' (admin, worker, app):
        # the password given here is a throw-away, so no secret shows in the process list.
        if ! "$ARTEMIS_HOME/bin/artemis" create --silent --force \
                --user admin --password "$(random_secret)" --role admin --require-login \
                --host 0.0.0.0 --http-host 0.0.0.0 --nio --no-autotune \
                --java-memory "${RFORK_BROKER_MEMORY:-1G}" \
                "$INSTANCE" >"$RFORK_HOME/artemis-create.log" 2>&1; then
            tail -n 15 "$RFORK_HOME/artemis-create.log" | sed 's/^/[rfork-node]   | /' >&2
            rm -rf "$INSTANCE"
            die "artemis create failed (output above, full: $RFORK_HOME/artemis-create.log)" \
                "check that $ARTEMIS_HOME holds the Artemis distribution and $RFORK_HOME is writable"
        fi
    fi
    # At every start, so that a changed RFORK_NODES or secret takes effect on restart.
    rfork broker-config --out "$INSTANCE/etc" | sed 's/^/[rfork-node] /'
    write_jolokia_policy "$INSTANCE/etc/jolokia-access.xml"
    # broker.xml loads rfork's plugin (it stamps each message with its sender's account).
    mkdir -p "$INSTANCE/lib" && cp /opt/rfork/rfork-broker-plugin.jar "$INSTANCE/lib/"
    # the console's address (bootstrap.xml's web binding), e.g. 127.0.0.1 on a host network
    sed -i -E "s#(<binding name=\"artemis\" uri=\"https?://)[^:\"]*(:[0-9]+\")#\\1${RFORK_CONSOLE_BIND:-0.0.0.0}\\2#" \
        "$INSTANCE/etc/bootstrap.xml"

    start_broker
fi

# ------------------------------------------------------------ vsftpd (external) ---

start_vsftpd() {
    log "starting vsftpd on port $FTP_PORT (passive $PASSIVE, root $INBOX, log: $FTPD_LOG) ..."
    vsftpd /etc/vsftpd.rfork.conf </dev/null >>"$FTPD_LOG" 2>&1 &
    started vsftpd $!
    local start=$SECONDS
    until port_open "$RFORK_NODE" "$FTP_PORT"; do
        if ! kill -0 "${PID_OF[vsftpd]}" 2>/dev/null || [ $((SECONDS - start)) -ge 20 ]; then
            on_exit_vsftpd
            stop_all
            die "vsftpd did not start (log tail above)"
        fi
        sleep 0.1
    done
}

on_exit_vsftpd() { tail -n 10 "$FTPD_LOG" | sed 's/^/[rfork-node]   | /' >&2; }

if [ "$RFORK_FTP_SERVER" = external ]; then
    FTP_USER=${RFORK_FTP_USER:-rfork}
    FTP_PORT=${RFORK_FTP_PORT:-2121}
    PASSIVE=${RFORK_FTP_PASSIVE_PORTS:-31000-31099}
    SPOOL=${RFORK_SPOOL:-$RFORK_HOME/spool}
    INBOX=$SPOOL/inbox
    # vsftpd enters the FTP root as the FTP user, who cannot pass through the spool (root's,
    # mode 700: it also holds the images this node dumped). The inbox is therefore also
    # mounted at FTP_ROOT, and vsftpd's root is that mount: the user reaches the inbox only.
    FTP_ROOT=/srv/rfork-ftp

    if ! id -u "$FTP_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir "$FTP_ROOT" --shell /usr/sbin/nologin "$FTP_USER"
    fi
    # PAM (pam_shells) admits only users whose shell is listed in /etc/shells.
    grep -qx /usr/sbin/nologin /etc/shells || echo /usr/sbin/nologin >>/etc/shells
    printf '%s:%s\n' "$FTP_USER" "$RFORK_FTP_PASSWORD" | chpasswd
    printf '%s\n' "$FTP_USER" >/etc/vsftpd.rfork-users

    mkdir -p "$SPOOL" "$INBOX" "$FTP_ROOT" /var/run/vsftpd/empty
    chmod 700 "$SPOOL"
    chown "$FTP_USER:" "$INBOX"
    chmod 700 "$INBOX"
    mountpoint -q "$FTP_ROOT" || mount --bind "$INBOX" "$FTP_ROOT" \
        || die "cannot bind-mount $INBOX at $FTP_ROOT" "run the container privileged"

    case $RFORK_NODE in
    *:*) listen="listen=NO
listen_ipv6=YES" ;;
    *) listen="listen=YES
listen_ipv6=NO" ;;
    esac
    pasv_resolve=NO
    [[ $RFORK_NODE =~ ^[0-9.]+$ || $RFORK_NODE == *:* ]] || pasv_resolve=YES
    tls_conf="ssl_enable=NO"
    if [ "$RFORK_TLS" = on ]; then
        # vsftpd reads PEM: the node's key and certificate, from its PKCS12 keystore, owner-only.
        keystore=${RFORK_TLS_KEYSTORE:-$RFORK_HOME/tls/node.p12}
        pass=${RFORK_TLS_KEYSTORE_PASSWORD:-$(sed -n 's/^tls\.keystore\.password=//p' "$RFORK_HOME/secrets.properties" 2>/dev/null)}
        mkdir -p -m 700 /run/rfork-vsftpd
        PASS="$pass" openssl pkcs12 -in "$keystore" -passin env:PASS -nokeys -out /run/rfork-vsftpd/cert.pem \
            && PASS="$pass" openssl pkcs12 -in "$keystore" -passin env:PASS -nocerts -nodes \
                -out /run/rfork-vsftpd/key.pem \
            || die "cannot read the node's keystore $keystore for vsftpd" "check RFORK_TLS_KEYSTORE_PASSWORD"
        chmod 600 /run/rfork-vsftpd/*.pem
        # Explicit FTPS, required for the login and every data connection. require_ssl_reuse=NO:
        # Java's FTPS client cannot resume the control connection's TLS session on a data
        # connection; pasv_promiscuous=NO (the default) still ties each data connection to the
        # control connection's address.
        tls_conf="ssl_enable=YES
allow_anon_ssl=NO
force_local_logins_ssl=YES
force_local_data_ssl=YES
ssl_sslv2=NO
ssl_sslv3=NO
ssl_tlsv1=YES
require_ssl_reuse=NO
ssl_ciphers=HIGH
rsa_cert_file=/run/rfork-vsftpd/cert.pem
rsa_private_key_file=/run/rfork-vsftpd/key.pem"
    fi
    cat >/etc/vsftpd.rfork.conf <<EOF
# Written by rfork docker/node-entrypoint.sh at every start (RFORK_FTP_SERVER=external).
# One account ($FTP_USER), uploads only into this node's spool inbox.
$listen
listen_port=$FTP_PORT
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=$FTP_ROOT
local_umask=077
userlist_enable=YES
userlist_deny=NO
userlist_file=/etc/vsftpd.rfork-users
pam_service_name=vsftpd
pasv_enable=YES
pasv_address=$RFORK_NODE
pasv_addr_resolve=$pasv_resolve
pasv_min_port=${PASSIVE%-*}
pasv_max_port=${PASSIVE#*-}
connect_from_port_20=NO
seccomp_sandbox=NO
secure_chroot_dir=/var/run/vsftpd/empty
xferlog_enable=YES
vsftpd_log_file=$FTPD_LOG
dirmessage_enable=NO
$tls_conf
EOF
    start_vsftpd
fi

# --------------------------------------------------------------------- worker ---

start_worker() {
    log "starting the worker: rfork worker"
    rfork worker </dev/null &
    started worker $!
}

start_worker
set +e
supervise
status=$?
set -e
trap '' TERM INT
stop_all
log "stopped"
exit "$status"
