/**
 * How the Postgres store runs a tombstone sweep's statements (see `sql/sweep-steps.ts`):
 * on one pooled connection, in a READ COMMITTED transaction that first takes the
 * pushes' advisory lock, so no version is handed out while the sweep takes its mark
 * and no push writes a record whose tombstone the sweep is removing.
 */
import type pg from 'pg';
import type { SweepRunner } from '../sql/sweep-steps.ts';
import { PG_SQL } from './postgres-schema.ts';

/** The sweep runner over `client`, a connection checked out for one sweep transaction. */
export function postgresSweepRunner(client: pg.ClientBase): SweepRunner {
  return {
    rows: async <T>(text: string, params: readonly unknown[]) => (await client.query(text, [...params])).rows as T[],
    begin: async () => {
      await client.query(PG_SQL.beginPush);
    },
    commit: async () => void (await client.query('COMMIT')),
    rollback: async () => void (await client.query('ROLLBACK').catch(() => undefined)),
    // One statement for every collective of a batch, whatever their number.
    raiseFloors: async (floors) => void (await client.query(PG_SQL.raiseGcFloors, [[...floors.keys()], [...floors.values()]])),
  };
}
