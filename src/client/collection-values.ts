/**
 * A collection's values on their way in and out, on the page (schemas and migrations
 * are functions: they cannot cross to the worker). In: checked by the schema, stamped
 * with the app-data version. Out: the stamp removed, older versions migrated.
 *
 * The rule between app versions: a value carries the version that wrote it (`$v`,
 * absent for version 1). A client reads values of its version or older (migrating the
 * older); values of a newer version are kept in its replica and synced untouched, but
 * its reads leave them out, until it is updated.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { JsonValue } from '../protocol/types.ts';
import { VERSION_KEY } from '../query/types.ts';
import type { CollectionOptions } from './collection-types.ts';

type Declared = CollectionOptions<unknown, unknown>;

/** Checks a declaration on the page; fails `INVALID_CONFIG`. */
export function checkDeclaration(name: string, options: Declared): void {
  const { version, migrate } = options;
  if (version !== undefined && !(Number.isSafeInteger(version) && version >= 1)) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, `collections.${name}.version must be an integer ≥ 1, got ${String(version)}`, {
      details: { field: `collections.${name}.version` },
    });
  }
  if ((version ?? 1) > 1 && typeof migrate !== 'function') {
    throw new SyncError(ErrorCode.INVALID_CONFIG, `collections.${name}: version ${version} needs migrate(value, fromVersion) to read older values`, {
      details: { field: `collections.${name}.migrate` },
    });
  }
}

function pathOf(issue: { readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined }): string {
  return (issue.path ?? []).map((step) => String(typeof step === 'object' ? step.key : step)).join('.');
}

/**
 * The value to store for `value`: the schema's output, stamped with the version.
 * Fails `INVALID_PAYLOAD` naming the failing path (nothing is written).
 */
export async function valueToStore(name: string, options: Declared, id: string, value: unknown): Promise<JsonValue> {
  let out = value;
  const schema = options.schema;
  if (schema !== undefined) {
    const result = await schema['~standard'].validate(value);
    if (result.issues !== undefined) {
      const issues = result.issues.map((issue) => ({ path: pathOf(issue), message: issue.message }));
      const first = issues[0];
      const where = first?.path === '' || first === undefined ? 'the value' : first.path;
      throw new SyncError(
        ErrorCode.INVALID_PAYLOAD,
        `${name}/${id}: ${where}: ${first?.message ?? 'invalid'}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}; nothing was written`,
        { details: { collection: name, id, issues } },
      );
    }
    out = result.value;
  }
  if (options.version === undefined) return out as JsonValue;
  if (typeof out !== 'object' || out === null || Array.isArray(out)) {
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, `${name}/${id}: a versioned collection holds objects, got ${JSON.stringify(out)}`, {
      details: { collection: name, id },
    });
  }
  return { ...(out as Record<string, JsonValue>), [VERSION_KEY]: options.version };
}

/**
 * The value a stored one reads as: unstamped, migrated when older; undefined when a
 * newer version wrote it.
 */
export function valueFromStore(options: Declared, stored: JsonValue): unknown {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored) || !(VERSION_KEY in stored)) {
    return (options.version ?? 1) > 1 ? options.migrate?.(stored, 1) : stored;
  }
  const { [VERSION_KEY]: written, ...value } = stored;
  const from = typeof written === 'number' ? written : 1;
  const current = options.version ?? 1;
  return from > current ? undefined : from < current ? options.migrate?.(value, from) : value;
}
