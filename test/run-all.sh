#!/usr/bin/env bash
# The README's test command: sets up everything the tests need on a fresh Debian
# machine with Node 20+, then runs all the tests (`npm test`).
#   - Debian's chromium (browser tests) and postgresql (Postgres store tests), with apt;
#   - the npm packages (npm ci, from package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
if [ ! -x /usr/bin/chromium ] || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "test/run-all.sh: installing chromium and postgresql with apt" >&2
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium postgresql
fi

npm ci --no-audit --no-fund
npm test
