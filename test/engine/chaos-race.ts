/**
 * A replica's push and pull racing each other. One manager never overlaps them: its
 * runs (the push loop's, the pull loop's, `syncOnce`'s) go through one queue
 * (`run-queue.ts`), and within a pull run no push happens (the next page is asked before
 * the current one is applied, but that is pull after pull). They overlap when two
 * managers drive one database: two tabs that both sync (the scenario's `second tab`; in
 * the worker, a leader that outlived its term, which the leader fence and the stores'
 * cursor checks stand behind), or an app driving two managers itself. So a race here is
 * two one-way managers of the same replica, a push-only one and a pull-only one, with
 * the answer of one held on its way back until the other is done:
 *
 * - `pull-held`: the pull is asked first and its answer (which may have left the server
 *   before the push arrived) comes back after the push's acknowledgement (the stale-pull
 *   rule, `CursorAdvance.acked`, refuses it and pulls again);
 * - `push-held`: the push is applied first and its acknowledgement comes back after a
 *   whole pull was answered and applied;
 * - `together`: both run at once, the pull some turns behind, faults and delays deciding
 *   the order.
 *
 * Waits count turns of the event loop, so an in-process seed replays the same way.
 *
 * Races catch what a scenario that always pushes before it pulls missed. With the
 * stale-pull rule off (the `cursor.acked` compare of `planFeedBatch`, `write-plans.ts`,
 * taken out), seeds 1–300 of the chaos before races all passed, both
 * `CHAOS_TRANSPORT=memory` convergence and reset chaos; with races, these fail, each with
 * a replica missing its own write the server holds (a stale pull overwrote it, or a
 * snapshot's end dropped it):
 * - `CHAOS_TRANSPORT=memory CHAOS_SEED=… npx vitest run test/engine/chaos-convergence.test.ts`:
 *   12 of 300: last-write-wins 87, 119, 151, 155, 195, 263 and server-wins 140 (these
 *   replay exactly), and 33, 38, 153, 213, 279 (with users: close to exactly). Both bugs
 *   the rule fixed are among them: in 119, 151 (a resolver's merge) and 155 a pull
 *   answered before the push and applied after its acknowledgement overwrote the pushed
 *   write; in 87, 140, 195 and 263 an offline start's first snapshot, asked before the
 *   push, dropped the offline write at its end (`offline-start-race.test.ts`);
 * - `CHAOS_SEED=… npx vitest run test/engine/chaos-reset.test.ts`: 9 of 300 (besides 232,
 *   which fails with the rule too, see `chaos-findings.test.ts`): 21, 58, 60, 144, 154,
 *   178, 196, 254, 291.
 * With the rule, all of them pass.
 */
import type { SyncTransport } from '../../src/transport/types.ts';
import { wrapTransport } from '../../src/transport/wrap-transport.ts';
import type { SeededRandom } from '../../src/testing/seeded-random.ts';

/** How the two sides of a race meet (see the file comment). */
export type RaceKind = 'pull-held' | 'push-held' | 'together';

/**
 * Makes a one-way `syncOnce` of the racing replica over `transport`: its manager is made
 * now (what it draws is drawn now), the returned call runs it. Faults are the caller's
 * to judge: the call never throws.
 */
export type OneWayRun = (direction: 'push-only' | 'pull-only', transport: SyncTransport) => () => Promise<void>;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await turn();
}

/**
 * `transport` with the answers of `method` held on their way back: `served` settles once
 * the server has dealt with the first call (answered, or the call failed on the way), and
 * the answers go on only after `release()`. Every other call passes straight through.
 */
export function holdAnswers(transport: SyncTransport, method: 'push' | 'pull') {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let answered!: () => void;
  const served = new Promise<void>((resolve) => (answered = resolve));
  let open = false;
  const held = wrapTransport(transport, {
    async call({ operation, send }) {
      if (operation !== method || open) return send();
      try {
        return await send();
      } finally {
        answered();
        await released;
      }
    },
  });
  return {
    transport: held,
    served,
    release() {
      open = true;
      release();
    },
  };
}

/** One race, its waits drawn up front (before the first `await`, so concurrent replicas draw in a fixed order). */
export interface RacePlan {
  readonly kind: RaceKind;
  /** Turns the held answer waits after the other side is done; in `together`, the turns the pull starts late. */
  readonly lag: number;
}

/** Draws a race: which side is held, and for how long. */
export function drawRace(random: SeededRandom, kind: RaceKind = random.pick(['pull-held', 'pull-held', 'push-held', 'together'] as const)): RacePlan {
  return { kind, lag: random.int(0, 12) };
}

/** Runs the race `plan` over `transport` (see the file comment). */
export async function runRace(plan: RacePlan, transport: SyncTransport, make: OneWayRun): Promise<void> {
  if (plan.kind === 'together') {
    const [push, pull] = [make('push-only', transport), make('pull-only', transport)];
    await Promise.all([push(), turns(plan.lag).then(pull)]);
    return;
  }
  const pullFirst = plan.kind === 'pull-held';
  const gate = holdAnswers(transport, pullFirst ? 'pull' : 'push');
  const [held, other] = pullFirst
    ? [make('pull-only', gate.transport), make('push-only', transport)]
    : [make('push-only', gate.transport), make('pull-only', transport)];
  const first = held();
  // A run that fails before its call of the held kind (its handshake lost) never reaches the gate.
  await Promise.race([gate.served, first]);
  await other();
  await turns(plan.lag);
  gate.release();
  await first;
}
