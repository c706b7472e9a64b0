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
}

/**
 * A replica's clock. `tick()` stamps a local event; `observe()` folds in a remote
 * timestamp so the next local stamp is later than everything already seen.
 *
 * Monotonic even when the wall clock jumps back: the logical part carries on from the
 * last stamp. Tolerant of skew: a device whose clock runs ahead pulls the others'
 * clocks forward with it instead of having its writes lose or be refused.
 */
export class HybridClock {
  readonly node: string;
  readonly #now: () => number;
  #wallMs = 0;
  #counter = 0;

  constructor(options: HybridClockOptions) {
    if (options.node.length === 0 || options.node.includes(':')) {
      throw new TypeError('HybridClock: node must be a non-empty string without ":"');
    }
    this.node = options.node;
    this.#now = options.now ?? Date.now;
    if (options.last !== undefined) this.observe(options.last);
  }

  /** A new timestamp for a local event, later than every earlier one. */
  tick(): Hlc {
    const wall = Math.min(Math.floor(this.#now()), MAX_WALL);
    if (wall > this.#wallMs) {
      this.#wallMs = wall;
      this.#counter = 0;
    } else {
      this.#advanceCounter();
    }
    return this.#current();
  }

  /** Takes in a timestamp seen from elsewhere (a pulled change, a stored record). */
  observe(remote: Hlc): void {
    const parts = parseHlc(remote);
    if (parts === undefined) return;
    if (parts.wallMs > this.#wallMs) {
      this.#wallMs = parts.wallMs;
      this.#counter = parts.counter;
    } else if (parts.wallMs === this.#wallMs && parts.counter > this.#counter) {
      this.#counter = parts.counter;
    }
  }

  /** The latest timestamp issued or seen (for persisting). */
  last(): Hlc {
    return this.#current();
  }

  #advanceCounter(): void {
    if (this.#counter < MAX_COUNTER) {
      this.#counter += 1;
    } else {
      // A million stamps in one millisecond: borrow the next millisecond.
      this.#wallMs += 1;
      this.#counter = 0;
    }
  }

  #current(): Hlc {
    return formatHlc({ wallMs: this.#wallMs, counter: this.#counter, node: this.node });
  }
}
