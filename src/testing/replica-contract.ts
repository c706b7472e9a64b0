/**
 * The contract every LocalStore implementation passes: the IndexedDB replica under
 * fake-indexeddb in Node and in real Chromium, the memory replica, and any later
 * layout. It uses the LocalStore interface only: `open(name)` opens (or reopens) the
 * replica called `name`. Registered with vitest's `describe`/`it`, like automerge-repo's
 * `runStorageAdapterTests`; the Chromium run bundles this file with a page-side shim
 * of those functions (test/support/contract-page/).
 */
import { afterEach, describe } from 'vitest';
import type { LocalStore } from '../store/types.ts';
import { fieldTests } from './replica-contract-fields.ts';
import type { FreshReplica } from './replica-contract-fixtures.ts';
import { identityTests } from './replica-contract-identity.ts';
import { localWriteTests } from './replica-contract-local.ts';
import { noteTests } from './replica-contract-notes.ts';
import { remoteApplyTests } from './replica-contract-remote.ts';
import { snapshotTests } from './replica-contract-snapshot.ts';

export { failureCode, pulled } from './replica-contract-fixtures.ts';

/**
 * Opens the replica `name`; a second call with the same name reopens the same data.
 * With `fields`, a replica that keeps field-level records and history (for the IndexedDB
 * replica: `openReplica({ fields: replicaFields })`); the field-level part asks for it.
 */
export type OpenReplica = (name: string, options?: { readonly fields?: boolean }) => Promise<LocalStore>;

/**
 * Registers the contract suite for one implementation, in a `describe` named after
 * `label`. Every test opens replicas under names of its own and closes them afterwards;
 * `open` must reopen the same data when given a name again (including while another
 * store object holds it, as a second tab).
 *
 * @example
 * runReplicaContract((name) => memoryReplica({ name, databases }), 'memory replica');
 */
export function runReplicaContract(open: OpenReplica, label = 'LocalStore'): void {
  describe(`LocalStore contract: ${label}`, () => {
    const opened: LocalStore[] = [];
    let counter = 0;

    /** A fresh replica with its own name, and a way to reopen it. */
    const fresh = (options?: { readonly fields?: boolean }): ReturnType<FreshReplica> => {
      const name = `contract-${Date.now()}-${++counter}`;
      const reopen = async () => {
        const replica = await open(name, options);
        opened.push(replica);
        return replica;
      };
      return reopen().then((replica) => ({ replica, reopen }));
    };

    afterEach(() => {
      for (const replica of opened.splice(0)) replica.close();
    });

    localWriteTests(() => fresh());
    remoteApplyTests(() => fresh());
    noteTests(() => fresh());
    identityTests(() => fresh());
    snapshotTests(() => fresh());
    fieldTests(() => fresh({ fields: true }));
  });
}
