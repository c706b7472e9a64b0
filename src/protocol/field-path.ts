/**
 * Paths into a record's value, for field-level writes. A path is a list of object keys
 * from the top of the value: `['address', 'city']`; `[]` is the whole record. A list,
 * not a dotted string, so a key may hold any character, dots included (the page's
 * `patch` may offer `'address.city'` as a shorthand and split it).
 *
 * Arrays are values, never containers of paths: an index names a different element
 * once two replicas insert concurrently, so a list is written whole. A path runs
 * through objects only, and writing below a value that is not a plain object (a
 * string, an array, nothing) first makes it an empty object, as `lodash.set` does.
 *
 * Keys are written as own properties, `__proto__` included: a plain assignment would
 * set the object's prototype instead of a key, and the key would vanish from the JSON.
 */
import type { JsonValue } from './types.ts';

/** A path into a record's value: object keys from the top; `[]` is the whole record. */
export type FieldPath = readonly string[];

/** A JSON object, as the path helpers build and walk them. */
type JsonObject = { [key: string]: JsonValue };

/** Is `value` a plain JSON object (not an array, not null)? */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Is `prefix` the path of `path` or of one of its ancestors? */
export function isPathPrefix(prefix: FieldPath, path: FieldPath): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}

/** Does one of the two paths hold the other (or are they the same)? */
export function pathsOverlap(a: FieldPath, b: FieldPath): boolean {
  return a.length <= b.length ? isPathPrefix(a, b) : isPathPrefix(b, a);
}

/** Total order of paths: key by key, a parent before its children. */
export function comparePaths(a: FieldPath, b: FieldPath): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Do any two of `paths` overlap (one is the other, or holds it)? Sorted, a path's
 * descendants follow it at once, so neighbours tell.
 */
export function anyPathsOverlap(paths: readonly FieldPath[]): boolean {
  const sorted = [...paths].sort(comparePaths);
  for (let i = 1; i < sorted.length; i++) if (isPathPrefix(sorted[i - 1] as FieldPath, sorted[i] as FieldPath)) return true;
  return false;
}

/** A map key of a path: distinct paths, distinct keys. */
export function pathKey(path: FieldPath): string {
  return JSON.stringify(path);
}

/** Sets `key` of `target` as an own, enumerable property (see the file comment). */
function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The value at `path` in `value`, or undefined when the path does not lead to one. */
export function readPath(value: JsonValue | undefined, path: FieldPath): JsonValue | undefined {
  let at = value;
  for (const key of path) {
    if (!isJsonObject(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

/**
 * The object that holds the last key of `path` (non-empty) inside `root`, made on the
 * way: every value above it that is not a plain object becomes an empty one. `root`
 * must be an object; it is changed in place.
 */
function parentFor(root: JsonObject, path: FieldPath): JsonObject {
  let at = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = Object.hasOwn(at, key) ? at[key] : undefined;
    if (isJsonObject(next)) {
      at = next;
    } else {
      const made: JsonObject = {};
      setOwn(at, key, made);
      at = made;
    }
  }
  return at;
}

/**
 * `root` with `value` written at `path` (`undefined`: the key removed), changed in
 * place where it is an object. Returns the new root: at `[]` the value itself, and a
 * fresh object when the root was not one.
 */
export function writePath(root: JsonValue | undefined, path: FieldPath, value: JsonValue | undefined): JsonValue | undefined {
  if (path.length === 0) return value;
  const top: JsonObject = isJsonObject(root) ? root : {};
  const parent = parentFor(top, path);
  const key = path[path.length - 1] as string;
  if (value === undefined) delete parent[key];
  else setOwn(parent, key, value);
  return top;
}

/** A deep copy of a JSON value (own keys only, `__proto__` kept as a key). */
export function copyJson<T extends JsonValue | undefined>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => copyJson(item)) as T;
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) setOwn(copy, key, copyJson((value as JsonObject)[key] as JsonValue));
  return copy as T;
}

/**
 * A JSON text of `value` with object keys sorted, so two equal values give one text
 * whatever the order their keys were written in.
 */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as JsonObject)[key] as JsonValue)}`).join(',')}}`;
}
