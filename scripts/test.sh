#!/usr/bin/env bash
# The test command: sets up the machine (scripts/setup.sh), then runs every test - unit tests
# and integration tests with a real Artemis broker, real FTP servers and real CRIU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
echo "[test] building and running all tests (mvn verify; about 5 minutes)"
mvn -B -ntp verify "$@"
