#!/bin/sh
# The widened chaos scenario (push and pull racing, offline starts) by hand: 2,000
# in-process seeds per policy and 1,000 reset seeds, in chunks of 500, one after
# another, niced, from a snapshot of the committed tree (a clean clone at $SNAP, so
# edits in the worktree meanwhile change nothing; its commit goes to snapshot-commit.txt).
# Resumable: a chunk whose log ends with vitest's summary is not run again; a chunk
# killed from outside (exit 137) is tried again, twice at most.
#   sh chaos-logs/run-race.sh            # run (or resume)
#   python3 chaos-logs/sum-race.py       # counts so far
here=$(cd "$(dirname "$0")/.." && pwd)
logs=$here/chaos-logs/race
SNAP=${SNAP:-/tmp/chaosrace-snap}
mkdir -p "$logs"
if [ ! -d "$SNAP" ]; then
  git clone -q "$here" "$SNAP" && (cd "$SNAP" && git checkout -q "$(cd "$here" && git rev-parse HEAD)") \
    && cp -al "$here/node_modules" "$SNAP/node_modules"
fi
(cd "$SNAP" && git rev-parse HEAD) > "$logs/snapshot-commit.txt"
cd "$SNAP" || exit 1
chunk() { # name, env..., test file
  name=$1; shift; file=$1; shift
  log="$logs/$name.log"
  if [ -f "$log" ] && grep -q "Duration" "$log" && ! grep -q "Unhandled Error" "$log"; then return; fi
  for try in 1 2 3; do
    echo "$(date -Is) start $name (try $try)" >> "$logs/progress.txt"
    env "$@" nice -n 10 npx vitest run --reporter=verbose "$file" > "$log" 2>&1
    rc=$?
    echo "$(date -Is) end $name rc=$rc" >> "$logs/progress.txt"
    if [ $rc -ne 137 ] && ! grep -q "Unhandled Error" "$log"; then break; fi
  done
}
for first in 1 501 1001 1501; do
  for policy in last-write-wins server-wins; do
    chunk "$policy-$first" test/engine/chaos-convergence.test.ts CHAOS_POLICY=$policy CHAOS_TRANSPORT=memory CHAOS_FIRST_SEED=$first CHAOS_SEEDS=500 CHAOS_SQLITE_SEEDS=0
  done
  chunk "reset-$first" test/engine/chaos-reset.test.ts CHAOS_FIRST_SEED=$first CHAOS_RESET_SEEDS=500
done
echo "$(date -Is) all done" >> "$logs/progress.txt"
