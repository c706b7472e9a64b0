/**
 * One fake clock for the "tabs" of a test, with timers per tab (a `TimeSource` each)
 * and a freeze switch per tab: a frozen tab's timers do not fire, however late they
 * are, until it wakes — as a frozen page's, a paused worker's or a hung script's. Time
 * moves only when the test says (`advance`), and every timer that fires is given the
 * chance to finish its work (`settled`) before the next one.
 */
import type { TimeSource } from '../../src/engine/timers.ts';

interface Timer {
  readonly tab: string;
  readonly due: number;
  readonly callback: () => void;
}

/** Lets real asynchronous work (fake IndexedDB, message ports, Comlink) run for a while. */
export async function settled(rounds = 50): Promise<void> {
  for (let round = 0; round < rounds; round++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The clock and the tabs' timers; see the module comment. */
export class TabClocks {
  now = 1_750_000_000_000;
  readonly #timers = new Set<Timer>();
  readonly #frozen = new Set<string>();

  /** The time source of tab `tab` (its worker's `time` option). */
  source(tab: string): Required<TimeSource> {
    return {
      now: () => this.now,
      setTimeout: (callback, ms) => {
        const timer: Timer = { tab, due: this.now + Math.max(0, ms), callback };
        this.#timers.add(timer);
        return timer;
      },
      clearTimeout: (handle) => {
        this.#timers.delete(handle as Timer);
      },
    };
  }

  freeze(tab: string): void {
    this.#frozen.add(tab);
  }

  wake(tab: string): void {
    this.#frozen.delete(tab);
  }

  /** Timers of `tab` waiting to fire, with the time left for each. */
  pending(tab: string): number[] {
    return [...this.#timers].filter((t) => t.tab === tab).map((t) => t.due - this.now);
  }

  /**
   * Moves the clock `ms` forward, firing in time order every timer due by then whose tab
   * is awake (the overdue timers of a tab that just woke first), settling after each.
   */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.#timers]
        .filter((t) => t.due <= end && !this.#frozen.has(t.tab))
        .sort((a, b) => a.due - b.due)[0];
      if (due === undefined) break;
      this.#timers.delete(due);
      this.now = Math.max(this.now, due.due);
      due.callback();
      await settled();
    }
    this.now = end;
    await settled();
  }
}
