/**
 * Targets, one way for every section: a ratio a figure must reach against a reference
 * measured beside it, or a bound on a figure itself (a task length, a byte count).
 */

/**
 * A target. `ratioAtLeast`: the figure divided by its reference, as a speed (so above 1
 * is faster), must reach this. The others bound the figure itself, in its own unit.
 */
export type Target =
  | { readonly ratioAtLeast: number }
  | { readonly atMost: number }
  | { readonly below: number }
  | { readonly atLeast: number };

/** Is the target met by `value` (a ratio for `ratioAtLeast`, else the figure)? Undefined when there is no finite value. */
export function meets(target: Target | undefined, value: number): boolean | undefined {
  if (target === undefined || !Number.isFinite(value)) return undefined;
  if ('ratioAtLeast' in target) return value >= target.ratioAtLeast;
  if ('atMost' in target) return value <= target.atMost;
  if ('below' in target) return value < target.below;
  return value >= target.atLeast;
}

/** The target as the table prints it: `≥ 0.90×`, `≤ 50 ms`, `< 25 KB`. */
export function describeTarget(target: Target | undefined, unit: string): string {
  if (target === undefined) return '';
  if ('ratioAtLeast' in target) return `≥ ${target.ratioAtLeast.toFixed(2)}×`;
  if ('atMost' in target) return `≤ ${target.atMost} ${unit}`;
  if ('below' in target) return `< ${target.below} ${unit}`;
  return `≥ ${target.atLeast} ${unit}`;
}
