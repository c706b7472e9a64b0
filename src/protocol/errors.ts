/**
 * The one error type of pulsesync. Every failure that reaches a caller, a status or
 * the wire carries a stable string `code` (switch on it) and a message a person can
 * act on. Errors cross the worker boundary and the network as {@link SyncErrorData}
 * and are rebuilt with {@link SyncError.from}.
 */

/** The words of `S`, a list separated by single spaces. */
type Words<S extends string> = S extends `${infer Word} ${infer Rest}` ? Word | Words<Rest> : S;

/** `{ NAME: 'NAME', … }` of the space-separated `names`. */
function codeObject<const S extends string>(names: S): { readonly [Name in Words<S>]: Name } {
  return Object.fromEntries(names.split(' ').map((name) => [name, name])) as { readonly [Name in Words<S>]: Name };
}

/**
 * Stable error codes. Add new ones at the end; never rename one. Each code is its own
 * name; the object is built from one string of the names, which ships in fewer bytes
 * than an object literal naming each twice. The type says what each code means, and
 * tsc refuses the string if it lacks one of its names. (Double quotes in the type, as
 * tsc prints the literal types of an `as const` object: the API reports are unchanged.)
 */
export const ErrorCode: {
  /** The server refused the handshake (see the message for its reason). */
  readonly HANDSHAKE_REJECTED: "HANDSHAKE_REJECTED";
  /** Client and server speak different protocol versions. */
  readonly PROTOCOL_VERSION: "PROTOCOL_VERSION";
  /** The network or the peer failed (connection refused, reset, bad gateway). */
  readonly TRANSPORT: "TRANSPORT";
  /** A request took longer than its time limit. */
  readonly TIMEOUT: "TIMEOUT";
  /** A message, argument or record failed validation. Nothing was changed. */
  readonly INVALID_PAYLOAD: "INVALID_PAYLOAD";
  /** A configuration value is missing, of the wrong type or out of range. */
  readonly INVALID_CONFIG: "INVALID_CONFIG";
  /** No valid identity was presented. */
  readonly UNAUTHORIZED: "UNAUTHORIZED";
  /** The identity may not read or write this collective. */
  readonly FORBIDDEN: "FORBIDDEN";
  /** A body, value or batch is larger than the server accepts. */
  readonly PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE";
  /** The server asks the client to slow down (HTTP 429/503). */
  readonly RATE_LIMITED: "RATE_LIMITED";
  /** A change was based on a server version that is no longer current. */
  readonly CONFLICT: "CONFLICT";
  /** The client's pull cursor is ahead of anything the server has written. */
  readonly CURSOR_AHEAD: "CURSOR_AHEAD";
  /** The browser refused to store more data. */
  readonly QUOTA_EXCEEDED: "QUOTA_EXCEEDED";
  /** The local database was closed (by the browser, another tab or `close()`). */
  readonly DATABASE_CLOSED: "DATABASE_CLOSED";
  /** Opening the local database is blocked by another tab holding an older version. */
  readonly DATABASE_BLOCKED: "DATABASE_BLOCKED";
  /** Any other IndexedDB failure; `cause` holds the DOMException. */
  readonly STORAGE: "STORAGE";
  /** `start()` was called on a manager that is already running. */
  readonly ALREADY_STARTED: "ALREADY_STARTED";
  /** The operation was cut short because sync is stopping or stopped. */
  readonly SHUTDOWN: "SHUTDOWN";
  /** The main-thread bundle and the worker come from different builds. */
  readonly VERSION_MISMATCH: "VERSION_MISMATCH";
  /** Unknown route or resource. */
  readonly NOT_FOUND: "NOT_FOUND";
  /** A bug or an unexpected failure on the other side. */
  readonly INTERNAL: "INTERNAL";
  /**
   * The server's answer is well formed but breaks the protocol's rules (a cursor that
   * goes back or does not advance, rows the client did not ask for). Nothing of it was
   * applied; the client backs off and asks again.
   */
  readonly INVALID_RESPONSE: "INVALID_RESPONSE";
  /**
   * The instance id belongs to another identity, or to a replica holding its instance
   * key, which this one did not send. Nothing was stored. Start a fresh replica
   * identity (new instance id, new key), keeping pending writes.
   */
  readonly INSTANCE_FORBIDDEN: "INSTANCE_FORBIDDEN";
  /**
   * Another replica writes under this instance id (a copied profile, a restored
   * backup): their changes diverge. Nothing was stored. Start a fresh replica identity,
   * keeping pending writes, and pull from the start.
   */
  readonly INSTANCE_CLONED: "INSTANCE_CLONED";
  /**
   * A warning, not a failure: `persist: true` asked the browser to keep this origin's
   * storage and it could not (no `navigator.storage`, as in WebKit's automation and
   * older Safari) or would not; `details.reason` says which. Sync goes on, but the
   * browser may evict the replica under storage pressure.
   */
  readonly NOT_PERSISTED: "NOT_PERSISTED";
  /**
   * The pull cursor is older than the server's tombstone horizon: deletes written after
   * it have since been removed, so the feed from there would miss them. Nothing was
   * sent. Run a client reset: pull a fresh snapshot from cursor 0 (dropping local rows
   * it does not hold), keep the pending writes and push them again on top.
   * `details.floor` is the version the cursor must reach (see `PullRequest.snapshotMark`).
   */
  readonly CURSOR_EXPIRED: "CURSOR_EXPIRED";
  /** Writes are still waiting to be pushed, and the call would lose them (`clearLocalData`). */
  readonly PENDING_WRITES: "PENDING_WRITES";
} = /* @__PURE__ */ codeObject(
  'HANDSHAKE_REJECTED PROTOCOL_VERSION TRANSPORT TIMEOUT INVALID_PAYLOAD INVALID_CONFIG UNAUTHORIZED FORBIDDEN PAYLOAD_TOO_LARGE RATE_LIMITED CONFLICT CURSOR_AHEAD QUOTA_EXCEEDED DATABASE_CLOSED DATABASE_BLOCKED STORAGE ALREADY_STARTED SHUTDOWN VERSION_MISMATCH NOT_FOUND INTERNAL INVALID_RESPONSE INSTANCE_FORBIDDEN INSTANCE_CLONED NOT_PERSISTED CURSOR_EXPIRED PENDING_WRITES',
);

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The plain-data shape of a {@link SyncError}, as it crosses a worker or the wire. */
export interface SyncErrorData {
  readonly code: ErrorCode;
  readonly message: string;
  /** Extra machine-readable facts (e.g. `retryAfterMs`, `field`). */
  readonly details?: Readonly<Record<string, unknown>>;
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** Is `value` one of the stable error codes? */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN_CODES.has(value);
}

/** The error every pulsesync API throws or reports. */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  declare readonly code: ErrorCode;
  declare readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Readonly<Record<string, unknown>> } = {},
  ) {
    // Error takes `cause` from options that have one (and reads nothing else of them).
    super(message, options);
    this.code = code;
    this.details = options.details;
  }

  /** Plain data for postMessage / JSON; `cause` is reduced to its message. */
  toJSON(): SyncErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds a SyncError from plain data, or wraps anything else under `fallback`. */
  static from(value: unknown, fallback: ErrorCode = ErrorCode.INTERNAL): SyncError {
    if (value instanceof SyncError) return value;
    if (isSyncErrorData(value)) {
      return new SyncError(
        value.code,
        value.message,
        value.details === undefined ? {} : { details: value.details },
      );
    }
    const message = value instanceof Error ? value.message : String(value);
    return new SyncError(fallback, message, { cause: value });
  }
}

/** Does `value` look like serialised {@link SyncErrorData}? */
export function isSyncErrorData(value: unknown): value is SyncErrorData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return isErrorCode(v['code']) && typeof v['message'] === 'string';
}

/** Is `error` a SyncError with the given code? */
export function isSyncError(error: unknown, code?: ErrorCode): error is SyncError {
  return error instanceof SyncError && (code === undefined || error.code === code);
}
