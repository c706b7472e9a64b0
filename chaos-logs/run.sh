#!/bin/sh
# Runs the chaos seeds of the report; each log ends with its exit status.
cd "$(dirname "$0")/.."
run() { # name, env...
  name=$1; shift
  env "$@" CHAOS_SQLITE_SEEDS=0 nice -n 10 npx vitest run test/engine/chaos-convergence.test.ts > "chaos-logs/$name.log" 2>&1
  echo "exit $?" >> "chaos-logs/$name.log"
}
case "$1" in
  a) nice -n 10 npx vitest run test/engine/chaos-convergence.test.ts > chaos-logs/ci-200.log 2>&1; echo "exit $?" >> chaos-logs/ci-200.log
     run lww-1-1000 CHAOS_POLICY=last-write-wins CHAOS_FIRST_SEED=1 CHAOS_SEEDS=1000
     run lww-1001-2000 CHAOS_POLICY=last-write-wins CHAOS_FIRST_SEED=1001 CHAOS_SEEDS=1000 ;;
  b) run sw-1-1000 CHAOS_POLICY=server-wins CHAOS_FIRST_SEED=1 CHAOS_SEEDS=1000
     run sw-1001-2000 CHAOS_POLICY=server-wins CHAOS_FIRST_SEED=1001 CHAOS_SEEDS=1000 ;;
esac
case "$1" in
  ci) nice -n 10 npx vitest run test/engine/chaos-convergence.test.ts > chaos-logs/ci-200.log 2>&1; echo "exit $?" >> chaos-logs/ci-200.log ;;
  sw3) run sw-2001-3000 CHAOS_POLICY=server-wins CHAOS_FIRST_SEED=2001 CHAOS_SEEDS=1000 ;;
esac
case "$1" in
  lww3) run lww-2001-3000 CHAOS_POLICY=last-write-wins CHAOS_FIRST_SEED=2001 CHAOS_SEEDS=1000 ;;
  sw4) run sw-3001-4000 CHAOS_POLICY=server-wins CHAOS_FIRST_SEED=3001 CHAOS_SEEDS=1000 ;;
esac
