# rfork node image: one node of an rfork cluster in one (privileged) container.
#
#   the worker (rfork worker)  +  a standalone Apache Artemis broker (console on 8161)
#   +  optionally vsftpd instead of the worker's embedded FTP server (RFORK_FTP_SERVER=external)
#
# Built from what `mvn package` leaves in the tree (no Maven inside the image):
#   cli/target/rfork.jar                         the CLI and worker (shaded jar)
#   broker-plugin/target/rfork-broker-plugin.jar  loaded by the standalone broker (its lib/)
#   worker/target/artemis/apache-artemis-VERSION  the Artemis distribution, unpacked by Maven
# scripts/build-node-image.sh does all of it (engine, base image, Maven, docker build).
#
# apt runs during the build (Debian packages and CRIU from Debian "sid"): where the Debian
# mirror's name resolves only through the host's /etc/hosts, build with host networking
# (`docker build --network host`; compose.yaml sets `build.network: host`).
#
# Run it privileged (CRIU needs it); see compose.yaml and docs/deploy.md.

# Pulled where a registry is reachable; made locally by scripts/base-image.sh where not.
FROM debian:bookworm-slim

ARG DEBIAN_FRONTEND=noninteractive
ARG ARTEMIS_VERSION=2.56.0
# Extra apt configuration for the build only, as apt.conf lines. scripts/build-node-image.sh
# passes the host's own Acquire::Check-Valid-Until/Check-Date "false" when the host has them
# (a snapshot mirror, whose sid Release file has "expired"); empty elsewhere.
ARG APT_CONF=

# --- system packages --------------------------------------------------------------------
#   openjdk-17-jre-headless   runs the worker, the CLI and the broker
#   python3                   test processes, the health check
#   procps util-linux bsdutils  ps; unshare/setsid (restore into a fresh PID namespace); script
#   vsftpd                    the external FTP server option
#   redis-server redis-tools  a real server to fork in demos and tests
#   iproute2 ca-certificates  ss/ip for diagnosis; TLS roots
#   openssl                   vsftpd reads the node's key as PEM (converted from its keystore)
#   tcpdump                   the test that captures the cluster's traffic (marker absent with TLS)
# policy-rc.d keeps package scripts from starting daemons during the build;
# /usr/share/man/man1 must exist for openjdk's update-alternatives in slim images.
RUN if [ -n "$APT_CONF" ]; then printf '%s\n' "$APT_CONF" > /etc/apt/apt.conf.d/99rfork-build; fi \
    && printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
    && chmod 0755 /usr/sbin/policy-rc.d \
    && mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends \
        openjdk-17-jre-headless python3 procps util-linux bsdutils vsftpd \
        redis-server redis-tools iproute2 ca-certificates openssl tcpdump \
    && rm -f /usr/sbin/policy-rc.d \
    && rm -rf /var/lib/apt/lists/*

# --- CRIU --------------------------------------------------------------------------------
# The same way as on a host (scripts/install-criu.sh): the newest criu (>= 4.2) of Debian
# "sid" with its own libc in /opt/rfork/criu, run through /usr/local/sbin/rfork-criu. A
# build is not privileged, so it cannot run CRIU: --no-check only downloads and unpacks,
# and the entrypoint runs `rfork-criu check` when the container starts.
COPY scripts/install-criu.sh /tmp/rfork-scripts/install-criu.sh
COPY scripts/lib/ /tmp/rfork-scripts/lib/
RUN bash /tmp/rfork-scripts/install-criu.sh --no-check \
    && rm -rf /tmp/rfork-scripts /var/lib/rfork/install-criu.lock /etc/apt/apt.conf.d/99rfork-build \
    && /usr/local/sbin/rfork-criu --version

# --- Apache Artemis ----------------------------------------------------------------------
# The distribution (ARTEMIS_HOME); the broker instance is created at the first start under
# /var/lib/rfork/artemis (docker/node-entrypoint.sh).
COPY worker/target/artemis/apache-artemis-${ARTEMIS_VERSION} /opt/artemis

# --- rfork -------------------------------------------------------------------------------
COPY broker-config/ /opt/rfork/broker-config/
COPY cli/target/rfork.jar /opt/rfork/rfork.jar
COPY broker-plugin/target/rfork-broker-plugin.jar /opt/rfork/rfork-broker-plugin.jar
COPY docker/rfork /usr/local/bin/rfork
COPY docker/node-entrypoint.sh docker/node-supervisor.sh docker/node-healthcheck.py /opt/rfork/
RUN chmod 0755 /usr/local/bin/rfork /opt/rfork/node-entrypoint.sh /opt/rfork/node-healthcheck.py

# Defaults for the worker AND for every `rfork` command run in the container (docker exec):
# the node's standalone broker, reached on loopback. useTopologyForLoadBalancing=false: the
# Artemis client would otherwise spread its connections over every broker of the cluster it
# learns of, and a worker would consume another node's `checkpoint` (PIDs of another machine)
# while nobody consumes its own `restore.<node>` on its own broker.
ENV RFORK_HOME=/var/lib/rfork \
    ARTEMIS_HOME=/opt/artemis \
    RFORK_BROKER_EMBEDDED=false \
    RFORK_BROKER_URL="tcp://127.0.0.1:61616?useTopologyForLoadBalancing=false"
WORKDIR /
# 61616 broker (CORE, AMQP, STOMP; cluster), 8161 web console, 2121 + 31000-31099 FTP,
# 9464 the worker's Prometheus endpoint (/metrics, user admin)
EXPOSE 61616 8161 2121 31000-31099 9464
HEALTHCHECK --interval=10s --timeout=8s --start-period=120s --retries=3 \
    CMD ["python3", "/opt/rfork/node-healthcheck.py"]
ENTRYPOINT ["/opt/rfork/node-entrypoint.sh"]
