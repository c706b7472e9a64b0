/** The drift rule the server applies to pushed clocks (issue 11, finding 1). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CLOCK_DRIFT_MS, formatHlc } from '../../src/clock/hlc.ts';
import { isSyncError } from '../../src/protocol/errors.ts';
import { assertHlcWithinDrift } from '../../src/protocol/validate.ts';

const NOW = 1_700_000_000_000;

function failure(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('assertHlcWithinDrift', () => {
  it('refuses the poison value with INVALID_PAYLOAD naming the field and the drift', () => {
    const error = failure(() => assertHlcWithinDrift('999999999999999:999999:zzzz', NOW, DEFAULT_MAX_CLOCK_DRIFT_MS, 'changes[0].hlc'));
    expect(isSyncError(error, 'INVALID_PAYLOAD')).toBe(true);
    expect((error as Error).message).toMatch(/^changes\[0\]\.hlc is \d+ ms ahead/);
    expect((error as { details: unknown }).details).toMatchObject({
      field: 'changes[0].hlc',
      reason: 'clock-drift',
      maxDriftMs: DEFAULT_MAX_CLOCK_DRIFT_MS,
    });
  });

  it('refuses what is not a timestamp', () => {
    expect(isSyncError(failure(() => assertHlcWithinDrift(42, NOW, 1_000)), 'INVALID_PAYLOAD')).toBe(true);
  });

  it('takes a clock up to the bound ahead', () => {
    const hlc = formatHlc({ wallMs: NOW + 1_000, counter: 0, node: 'n' });
    expect(failure(() => assertHlcWithinDrift(hlc, NOW, 1_000))).toBeUndefined();
  });
});
