export { HybridClock, HLC_ZERO, compareHlc, formatHlc, isHlc, parseHlc } from './hlc.ts';
export type { Hlc, HlcParts, HybridClockOptions } from './hlc.ts';
