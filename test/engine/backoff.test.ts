import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { Backoff, retryDelay } from '../../src/engine/backoff.ts';
import { DEFAULT_RETRY_CONFIG } from '../../src/engine/config.ts';

const offline = new SyncError(ErrorCode.TRANSPORT, 'connection refused');

describe('backoff', () => {
  it('doubles from 500 ms and stops growing at 30 s', () => {
    const delays = Array.from({ length: 9 }, (_, i) => retryDelay(DEFAULT_RETRY_CONFIG, i + 1));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('says exhausted once maxRetries failures in a row are reached, and keeps retrying at the cap', () => {
    const backoff = new Backoff({ initialDelayMs: 100, multiplier: 3, maxDelayMs: 10_000, maxRetries: 3 });
    expect(backoff.fail(offline)).toEqual({ attempt: 1, nextDelayMs: 100, exhausted: false });
    expect(backoff.fail(offline)).toEqual({ attempt: 2, nextDelayMs: 300, exhausted: false });
    expect(backoff.fail(offline)).toEqual({ attempt: 3, nextDelayMs: 10_000, exhausted: true });
    expect(backoff.fail(offline)).toEqual({ attempt: 4, nextDelayMs: 10_000, exhausted: true });
  });

  it('starts again from the first delay after a success', () => {
    const backoff = new Backoff(DEFAULT_RETRY_CONFIG);
    backoff.fail(offline);
    backoff.fail(offline);
    backoff.reset();
    expect(backoff.fail(offline).nextDelayMs).toBe(500);
  });

  it("waits at least as long as a rate-limited server's Retry-After asks, up to maxDelayMs", () => {
    const backoff = new Backoff(DEFAULT_RETRY_CONFIG);
    const slowDown = new SyncError(ErrorCode.RATE_LIMITED, 'too many requests', { details: { retryAfterMs: 20_000 } });
    expect(backoff.fail(slowDown).nextDelayMs).toBe(20_000);
    const forever = new SyncError(ErrorCode.RATE_LIMITED, 'too many requests', { details: { retryAfterMs: 3_000_000_000 } });
    expect(backoff.fail(forever).nextDelayMs).toBe(30_000);
    const brief = new SyncError(ErrorCode.RATE_LIMITED, 'too many requests', { details: { retryAfterMs: 10 } });
    expect(backoff.fail(brief).nextDelayMs).toBe(2000); // the third failure in a row
  });
});
