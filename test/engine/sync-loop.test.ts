import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { RetryState } from '../../src/engine/backoff.ts';
import { DEFAULT_RETRY_CONFIG } from '../../src/engine/config.ts';
import { SyncLoop } from '../../src/engine/sync-loop.ts';

const timers = {
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function loopWith(outcomes: () => Promise<void>) {
  const runsAt: number[] = [];
  const failures: RetryState[] = [];
  let successes = 0;
  const loop = new SyncLoop(
    {
      runCycle: () => {
        runsAt.push(Date.now());
        return outcomes();
      },
      onSuccess: () => void (successes += 1),
      onFailure: (_error, retry) => void failures.push(retry),
    },
    { intervalMs: 1000, retry: DEFAULT_RETRY_CONFIG, timers },
  );
  return { loop, runsAt, failures, successes: () => successes };
}

describe('sync loop', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs at once, then every interval while cycles succeed', async () => {
    const { loop, runsAt, successes } = loopWith(async () => {});
    loop.start();
    await vi.advanceTimersByTimeAsync(3500);
    expect(runsAt).toEqual([0, 1000, 2000, 3000]);
    expect(successes()).toBe(4);
    await loop.close();
  });

  it('retries a failing cycle after 500, 1000, 2000 … ms, capped at 30 s', async () => {
    const { loop, runsAt, failures } = loopWith(() => Promise.reject(new SyncError(ErrorCode.TRANSPORT, 'down')));
    loop.start();
    await vi.advanceTimersByTimeAsync(200_000);
    const gaps = runsAt.slice(1).map((t, i) => t - (runsAt[i] as number));
    expect(gaps.slice(0, 9)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(failures[8]).toEqual({ attempt: 9, nextDelayMs: 30_000, exhausted: false });
    expect(failures[9]).toEqual({ attempt: 10, nextDelayMs: 30_000, exhausted: true });
    await loop.close();
  });

  it('does not cut a backoff short on request(), but does after a success', async () => {
    let fail = true;
    const { loop, runsAt } = loopWith(() => (fail ? Promise.reject(new SyncError(ErrorCode.TRANSPORT, 'down')) : Promise.resolve()));
    loop.start();
    await vi.advanceTimersByTimeAsync(10);
    loop.request();
    await vi.advanceTimersByTimeAsync(10);
    expect(runsAt).toEqual([0]);
    fail = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(runsAt).toEqual([0, 500]);
    loop.request();
    await vi.advanceTimersByTimeAsync(0);
    expect(runsAt).toEqual([0, 500, 520]);
    await loop.close();
  });

  it('burns no retries while paused, and runs at once on resume', async () => {
    const { loop, runsAt, failures } = loopWith(() => Promise.reject(new SyncError(ErrorCode.TRANSPORT, 'down')));
    loop.start();
    await vi.advanceTimersByTimeAsync(1);
    loop.pause();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runsAt).toEqual([0]);
    loop.resume();
    await vi.advanceTimersByTimeAsync(1);
    expect(runsAt).toEqual([0, 60_001]);
    expect(failures.map((f) => f.attempt)).toEqual([1, 1]);
    await loop.close();
  });

  it('close() waits for the cycle in flight and schedules nothing after', async () => {
    let finish!: () => void;
    const { loop, runsAt } = loopWith(() => new Promise<void>((resolve) => (finish = resolve)));
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    let closed = false;
    const closing = loop.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(5000);
    expect(closed).toBe(false);
    finish();
    await closing;
    await vi.advanceTimersByTimeAsync(5000);
    expect(runsAt).toEqual([0]);
    expect(loop.state).toBe('closed');
  });
});
