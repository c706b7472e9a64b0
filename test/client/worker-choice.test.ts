/**
 * `pulsesync/client` brings no worker: its `createSyncClient`, and its collections'
 * `createClient` called directly, refuse options that name none (`worker` or
 * `workerUrl`), after the name and url checks, and start nothing.
 */
import { describe, expect, it } from 'vitest';
import { createSyncClient, defineCollections } from '../../src/client-entry.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';

function refusal(make: () => unknown): SyncError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(SyncError);
    return error as SyncError;
  }
  throw new Error('expected a refusal');
}

const options = { name: 'notes', url: 'https://sync.example.com' };

describe("pulsesync/client's createSyncClient without a worker", () => {
  it('refuses INVALID_CONFIG naming the worker, and says how to get one', () => {
    const error = refusal(() => createSyncClient(options));
    expect(error.code).toBe(ErrorCode.INVALID_CONFIG);
    expect(error.details).toEqual({ field: 'worker' });
    expect(error.message).toBe(
      "createSyncClient from 'pulsesync/client' needs options.worker or options.workerUrl; import createSyncClient from 'pulsesync' to get the prebuilt worker",
    );
  });

  it('checks the name and the url first', () => {
    expect(refusal(() => createSyncClient({ ...options, name: '' })).details).toEqual({ field: 'name' });
    expect(refusal(() => createSyncClient({ ...options, url: '' })).details).toEqual({ field: 'url' });
  });

  it('refuses with collections too, and so does their createClient called directly', () => {
    const collections = defineCollections({ todos: {} });
    expect(refusal(() => createSyncClient({ ...options, collections })).details).toEqual({ field: 'worker' });
    expect(refusal(() => collections.createClient(options)).details).toEqual({ field: 'worker' });
  });
});
