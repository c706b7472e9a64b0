/**
 * Which engines a run covers: all three unless PULSESYNC_ENGINES narrows a local run;
 * under CI=true nothing may be left out.
 */
import { describe, expect, it } from 'vitest';
import { selectedEngines } from '../support/engines.ts';

describe('the engines of a run', () => {
  it('are all three by default, in CI too', () => {
    expect(selectedEngines({})).toEqual(['chromium', 'firefox', 'webkit']);
    expect(selectedEngines({ CI: 'true' })).toEqual(['chromium', 'firefox', 'webkit']);
  });

  it('can be narrowed locally, in any case and order', () => {
    expect(selectedEngines({ PULSESYNC_ENGINES: 'WebKit, chromium' })).toEqual(['chromium', 'webkit']);
  });

  it('refuses an unknown engine, and a narrowed list under CI=true', () => {
    expect(() => selectedEngines({ PULSESYNC_ENGINES: 'safari' })).toThrow(/unknown engine safari/);
    expect(() => selectedEngines({ PULSESYNC_ENGINES: 'chromium', CI: 'true' })).toThrow(/would skip firefox, webkit/);
  });
});
