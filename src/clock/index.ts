export { DEFAULT_MAX_CLOCK_DRIFT_MS, HybridClock, HLC_ZERO, compareHlc, formatHlc, isHlc, isWithinDrift, parseHlc } from './hlc.ts';
export type { Hlc, HlcParts, HybridClockOptions } from './hlc.ts';
