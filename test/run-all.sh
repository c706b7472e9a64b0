#!/usr/bin/env bash
# The README's test command: sets up everything the tests need on a fresh Debian
# machine with Node 20+, then runs all the tests (`npm test`).
#   - with apt: the browsers of the browser suites — Debian's chromium, firefox-esr, and
#     WebKitGTK's webkit2gtk-driver (WebKitWebDriver and the MiniBrowser it drives) with
#     xvfb to give MiniBrowser a display — and postgresql (Postgres store tests);
#   - the npm packages (npm ci, from package-lock.json).
# Every browser suite runs in all three engines; under CI=true an engine that cannot
# start fails the run (test/support/engines.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || missing+=(webkit2gtk-driver)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test/run-all.sh: installing ${missing[*]} with apt" >&2
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# No browser download at install: the tests drive the browsers installed above.
export PUPPETEER_SKIP_DOWNLOAD=1
npm ci --no-audit --no-fund
npm test
