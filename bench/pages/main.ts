/**
 * The bench page: exposes the measurements as `window.pulseBench` for bench/run.ts to
 * call with `page.evaluate`. Everything is timed inside the page with performance.now().
 */
import { applyVariant, packedPut, packedTradeoff, rawPut } from './limits.ts';
import { longTaskWatch } from './long-tasks.ts';
import { replicaApply, replicaPutMany, replicaPutOne } from './replica-probe.ts';
import { wirePull } from './wire-probe.ts';
import { engineInitialSync } from './engine-probe.ts';

const api = { rawPut, packedPut, packedTradeoff, applyVariant, longTaskWatch, replicaPutMany, replicaPutOne, replicaApply, wirePull, engineInitialSync };

/** What the bench page offers to the driver. */
export type PulseBenchApi = typeof api;

declare global {
  interface Window {
    pulseBench: PulseBenchApi;
  }
}

window.pulseBench = api;
document.title = 'pulsesync bench: ready';
