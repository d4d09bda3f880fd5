#!/usr/bin/env bash
# Everything `docker compose up -d` needs, from a fresh machine, safe to run again:
#   scripts/cluster-env.sh        the cluster's shared secrets in .env (kept if present)
#   scripts/build-node-image.sh   Docker engine, base image, Maven build, rfork-node:latest
# Then:
#   docker compose up -d --wait
#   docker compose exec node1 rfork fork --pid P --to 172.28.0.12 --wait
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/cluster-env.sh"
bash "$ROOT/scripts/build-node-image.sh"
echo "[cluster-setup] ready: cd $ROOT && docker compose up -d --wait"
echo "[cluster-setup] consoles: http://127.0.0.1:8161/console/ (node1), :8162 (node2), :8163 (node3); user admin, password: scripts/cluster-env.sh --print"
