/**
 * Hybrid logical clock (Kulkarni et al., 2014). A timestamp is a string
 * `WWWWWWWWWWWWWWW:CCCCCC:NODE`: wall-clock milliseconds (15 digits), a counter
 * (6 digits) and the instance id that made it. Fixed widths make the plain string
 * order the clock order, with ties broken by instance id, so timestamps compare with
 * `<` in JS, in IndexedDB keys and in SQL alike.
 */

/** A serialised HLC timestamp; compare with {@link compareHlc} or plain `<`. */
export type Hlc = string;

/** A timestamp taken apart. */
export interface HlcParts {
  readonly wallMs: number;
  readonly counter: number;
  readonly node: string;
}

const WALL_DIGITS = 15;
const COUNTER_DIGITS = 6;
const MAX_COUNTER = 999_999;
const MAX_WALL = 10 ** WALL_DIGITS - 1;
const HLC_PATTERN = /^(\d{15}):(\d{6}):([^:]{1,64})$/;

/**
 * How far ahead of the wall clock a timestamp may be, by default: 5 minutes. Far more
 * than the skew of clocks kept by NTP, far less than what would let one writer's clock
 * stop others' writes (issue 11, finding 1). The server refuses pushed timestamps
 * beyond its bound (`assertHlcWithinDrift` in `protocol/validate.ts`); a replica
 * neither adopts a pulled one beyond it nor stamps one.
 */
export const DEFAULT_MAX_CLOCK_DRIFT_MS = 5 * 60_000;

/** The lowest possible timestamp: older than any real one. */
export const HLC_ZERO: Hlc = formatHlc({ wallMs: 0, counter: 0, node: '0' });

/** Serialises parts into a comparable string. */
export function formatHlc(parts: HlcParts): Hlc {
  return `${String(parts.wallMs).padStart(WALL_DIGITS, '0')}:${String(parts.counter).padStart(COUNTER_DIGITS, '0')}:${parts.node}`;
}

/** Parses a timestamp; returns `undefined` when it is not one. */
export function parseHlc(value: string): HlcParts | undefined {
  const match = HLC_PATTERN.exec(value);
  if (match === null) return undefined;
  return { wallMs: Number(match[1]), counter: Number(match[2]), node: match[3] as string };
}

/** Is `value` a well-formed timestamp? */
export function isHlc(value: unknown): value is Hlc {
  return typeof value === 'string' && HLC_PATTERN.test(value);
}

/**
 * Is `hlc` a well-formed timestamp at most `maxDriftMs` ahead of the wall clock `nowMs`?
 * Behind is always fine (old changes, slow clocks); only a clock running ahead does
 * harm, since every replica that adopts it stamps its writes that far ahead too.
 */
export function isWithinDrift(hlc: string, nowMs: number, maxDriftMs: number): boolean {
  const parts = parseHlc(hlc);
  return parts !== undefined && parts.wallMs <= nowMs + maxDriftMs;
}

/** Total order of timestamps: negative, zero or positive like `Array.sort`'s callback. */
export function compareHlc(a: Hlc, b: Hlc): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Options of {@link HybridClock}. */
export interface HybridClockOptions {
  /** This replica's instance id; it breaks ties between equal times. */
  readonly node: string;
  /** Wall clock in milliseconds; injected so tests can move time. Default `Date.now`. */
  readonly now?: () => number;
  /** The last timestamp this replica issued or saw (restored from storage). */
  readonly last?: Hlc;
  /**
   * How far ahead of the wall clock this clock may run. Default
   * {@link DEFAULT_MAX_CLOCK_DRIFT_MS}.
   */
  readonly maxDriftMs?: number;
}

/**
 * A replica's clock. `tick()` stamps a local event; `observe()` folds in a remote
 * timestamp so the next local stamp is later than everything already seen.
 *
 * Monotonic even when the wall clock jumps back: the logical part carries on from the
 * last stamp. Tolerant of skew, within a bound: a device whose clock runs ahead by up
 * to `maxDriftMs` pulls the others' clocks forward with it instead of having its writes
 * lose or be refused. Beyond the bound a timestamp is not adopted (`observe` returns
 * false), so one writer's absurd clock cannot stamp everybody's writes with a time the
 * server refuses. Every stamp `tick()` returns is well formed and within the bound.
 */
export class HybridClock {
  declare readonly node: string;
  readonly #now: () => number;
  readonly #maxDriftMs: number;
  #wallMs = 0;
  #counter = 0;

  constructor(options: HybridClockOptions) {
    if (options.node.length === 0 || options.node.includes(':')) {
      throw new TypeError('HybridClock: node must be a non-empty string, no ":"');
    }
    const maxDriftMs = options.maxDriftMs ?? DEFAULT_MAX_CLOCK_DRIFT_MS;
    if (!Number.isFinite(maxDriftMs) || maxDriftMs < 0) {
      throw new TypeError(`HybridClock: maxDriftMs must be a number >= 0, got ${maxDriftMs}`);
    }
    this.node = options.node;
    this.#now = options.now ?? Date.now;
    this.#maxDriftMs = maxDriftMs;
    // A stored stamp beyond the bound (a replica that adopted a poisoned clock before
    // the bound existed) is dropped here: the replica heals on its next write.
    if (options.last !== undefined) this.observe(options.last);
  }

  /** A new timestamp for a local event, later than every earlier one (see below). */
  tick(): Hlc {
    const wall = this.#wall();
    if (wall > this.#wallMs) this.#set(wall, 0);
    else if (this.#counter < MAX_COUNTER) this.#counter += 1;
    // A million stamps in one millisecond: borrow the next millisecond.
    else this.#set(this.#wallMs + 1, 0);
    // Only when the wall clock was set back by more than the bound since the last
    // stamp (or a million stamps in the bound's last millisecond). Carrying on would
    // stamp writes that the server refuses until the wall clock catches up; starting
    // again from the wall clock gives up ordering after those earlier stamps instead.
    if (this.#wallMs > this.#limit(wall)) this.#set(wall, 0);
    return this.last();
  }

  /**
   * Takes in a timestamp seen from elsewhere (a pulled change, a stored record).
   * Returns false, and changes nothing, when it is malformed or further ahead of the
   * wall clock than the bound.
   */
  observe(remote: Hlc): boolean {
    const parts = parseHlc(remote);
    if (parts === undefined || parts.wallMs > this.#limit(this.#wall())) return false;
    if (parts.wallMs > this.#wallMs || (parts.wallMs === this.#wallMs && parts.counter > this.#counter)) this.#set(parts.wallMs, parts.counter);
    return true;
  }

  /** The latest timestamp issued or seen (for persisting). */
  last(): Hlc {
    return formatHlc({ wallMs: this.#wallMs, counter: this.#counter, node: this.node });
  }

  #set(wallMs: number, counter: number): void {
    this.#wallMs = wallMs;
    this.#counter = counter;
  }

  /** The wall clock, within the 15 digits of the format. */
  #wall(): number {
    return this.#limit(Math.floor(this.#now()), 0);
  }

  /** The latest wall time a stamp may carry: the bound, and the 15 digits of the format. */
  #limit(wall: number, driftMs = this.#maxDriftMs): number {
    return Math.min(wall + driftMs, MAX_WALL);
  }
}
