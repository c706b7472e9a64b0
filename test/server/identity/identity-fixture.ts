/**
 * What the identity tests share: the users and their rights, the three stores, a
 * server over a fetch handler on one of them, and a snapshot of everything a refused
 * request must leave as it was (rows, latest version, instance records).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectiveAccess, type Authenticate } from '../../../src/server/access.ts';
import { createFetchHandler, type FetchHandlerOptions } from '../../../src/server/http/fetch-handler.ts';
import { tokenAuth } from '../../../src/server/http/token-auth.ts';
import { postgresServerStore } from '../../../src/server/postgres.ts';
import { sqliteServerStore } from '../../../src/server/sqlite.ts';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import { createSyncServer, type SyncServer, type SyncServerOptions } from '../../../src/server/sync-server.ts';
import type { InstanceRecord, ServerRecord, ServerStore } from '../../../src/server/types.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../../setup/postgres.ts';
import { overHandler, type Send } from './wire-replica.ts';

export const ALICE = 'alice-token';
export const BOB = 'bob-token';
/** May read `shared` and nothing else, write nothing. */
export const CAROL = 'carol-token';
/** One token for every caller, as `pulsesync-server --token` gives. */
export const SHARED = 'shared-token';

const sharedToken = tokenAuth(SHARED);

/**
 * Alice and Bob share `shared`, each has a private collective, and `inbox` is Alice's:
 * Bob may drop things in it but not read it.
 */
export const authenticate: Authenticate = (request) => {
  switch (request.headers.get('authorization')) {
    case `Bearer ${ALICE}`:
      return collectiveAccess('alice', { read: ['shared', 'private:alice', 'inbox'], write: ['shared', 'private:alice', 'inbox'] });
    case `Bearer ${BOB}`:
      return collectiveAccess('bob', { read: ['shared', 'private:bob'], write: ['shared', 'private:bob', 'inbox'] });
    case `Bearer ${CAROL}`:
      return collectiveAccess('carol', { read: ['shared'], write: [] });
    default:
      return sharedToken(request);
  }
};

/** The three stores; one that cannot run here (Postgres without its binaries) is left out. */
export const STORES: readonly { readonly kind: string; readonly open: (dir: string) => ServerStore | Promise<ServerStore> }[] = [
  { kind: 'memory', open: () => memoryServerStore() },
  { kind: 'sqlite', open: (dir) => sqliteServerStore(join(dir, 'identity.db')) },
  ...(postgresSkipReason() === undefined ? [{ kind: 'postgres', open: async () => postgresServerStore(await freshPostgresDatabase('identity')) }] : []),
];

/** A server on a fresh store of `kind`, served by a fetch handler. */
export interface IdentityServer {
  readonly server: SyncServer;
  readonly send: Send;
  close(): Promise<void>;
}

export async function openServer(
  open: (dir: string) => ServerStore | Promise<ServerStore>,
  options: Partial<SyncServerOptions> = {},
  handlerOptions: FetchHandlerOptions = {},
): Promise<IdentityServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-identity-'));
  const server = createSyncServer({ store: await open(dir), authenticate, ...options });
  const handler = createFetchHandler(server, { onError: () => undefined, ...handlerOptions });
  return {
    server,
    send: overHandler(handler),
    async close() {
      handler.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Everything a refused request must leave unchanged. */
export async function snapshot(store: ServerStore, instanceIds: readonly string[]): Promise<{ latest: number; rows: readonly ServerRecord[]; instances: (InstanceRecord | undefined)[] }> {
  const page = await store.readChanges({ after: 0, limit: 100_000 });
  return { latest: await store.latestVersion(), rows: page.rows, instances: await Promise.all(instanceIds.map((id) => store.getInstance(id))) };
}
