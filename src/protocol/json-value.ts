import type { JsonValue } from './types.ts';

/** Deepest nesting a record value may have. */
export const MAX_JSON_DEPTH = 64;

/**
 * Is `value` plain JSON: null, a boolean, a finite number, a string, an array or a
 * plain object of those, at most {@link MAX_JSON_DEPTH} deep? Dates, Maps, class
 * instances, `undefined`, NaN and cycles are refused: they would not survive the wire.
 * Hand-written rather than a schema because it runs on every record of every batch.
 */
export function isJsonValue(value: unknown, depth = 0): value is JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_JSON_DEPTH) return false;
      if (Array.isArray(value)) {
        for (const item of value) if (!isJsonValue(item, depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!isJsonValue((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
