#!/usr/bin/env bash
# The test command: sets up the machine, then runs every test - unit tests, integration tests
# with a real Artemis broker, real FTP servers (embedded and vsftpd) and real CRIU, and the
# multi-node tests: three privileged containers from the project's image, the root compose.yaml.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
# Docker engine, the offline base image, the build, the node image (each skipped when done).
bash "$ROOT/scripts/build-node-image.sh"
cd "$ROOT"
echo "[test] running all tests (mvn verify: unit, integration and the three-node clusters; about 20-25 minutes)"
mvn -B -ntp verify "$@"
