/**
 * A server that answers SHUTDOWN (it is going down for a deploy) is a failure like any
 * other: start() settles and the loop retries. Only the manager's own stop() ends a
 * loop quietly. (Found by the client fuzz: start() waited for ever.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport, until } from './fixtures.ts';

describe('a server shutting down at the first handshake', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('start() still resolves, status shows the failure, and the next attempt connects', async () => {
    const { server } = newServer();
    const scripted = scriptedTransport(memoryTransport(server, { live: false }));
    scripted.fail('handshake', new SyncError(ErrorCode.SHUTDOWN, 'the server is shutting down'), 1);
    const { replica } = await newReplica();
    const manager = connect(replica, scripted.transport, { retry: { initialDelayMs: 100, maxDelayMs: 1_000 } });
    let started = false;
    void manager.start().then(() => (started = true));
    await until(() => started, 'start() to settle after a SHUTDOWN answer');
    expect(manager.status().error?.code).toBe(ErrorCode.SHUTDOWN);
    await replica.put('notes', 'n1', 'hello');
    await vi.advanceTimersByTimeAsync(2_000);
    await until(() => scripted.callsOf('push').length > 0, 'a push after the retried handshake');
    expect(scripted.callsOf('handshake').length).toBe(2);
    await manager.stop();
  });
});
