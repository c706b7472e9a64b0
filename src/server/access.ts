/**
 * Who is calling, and what they may touch. `authenticate(request)` turns a request
 * into an {@link Access} (or `null`: 401); every handler of `createSyncServer` takes
 * one. A handler called without one (`access === undefined`) runs in-process with
 * full access, as in tests and the memory transport.
 */

/** What one caller may do. */
export interface Access {
  /**
   * Stable id of the caller: its identity. An instance id belongs to the identity that
   * first wrote under it; another identity is refused `INSTANCE_FORBIDDEN` under it.
   * Callers sharing one identity (one token) are told apart by instance keys.
   */
  readonly userId: string;
  /** May the caller pull changes of this collective? */
  canRead(collective: string): boolean;
  /** May the caller push changes to this collective? */
  canWrite(collective: string): boolean;
  /**
   * Every collective the caller may read, when that is a list (it must agree with
   * `canRead`). A pull of "all my collectives" then asks the store for exactly these.
   * Without it the server lists every collective on the server and asks `canRead` of
   * each, which grows with the server: give it whenever you can.
   */
  readonly readable?: readonly string[];
}

/** Turns an incoming request into the caller's {@link Access}, or `null` when it has no valid identity. */
export type Authenticate = (request: Request) => Access | null | Promise<Access | null>;

const FULL_ACCESS = new WeakSet<Access>();

/** Access to every collective, read and write. */
export function fullAccess(userId: string): Access {
  const access: Access = { userId, canRead: () => true, canWrite: () => true };
  FULL_ACCESS.add(access);
  return access;
}

/**
 * Does `access` reach every collective? True for in-process calls (`undefined`) and
 * {@link fullAccess}; then a pull needs no collective list to stay inside its rights.
 */
export function isFullAccess(access: Access | undefined): boolean {
  return access === undefined || FULL_ACCESS.has(access);
}

/**
 * Access limited to named collectives.
 *
 * @example
 * collectiveAccess('alice', { read: ['notes', 'public'], write: ['notes'] })
 */
export function collectiveAccess(
  userId: string,
  allowed: { readonly read: readonly string[]; readonly write: readonly string[] },
): Access {
  const read = new Set(allowed.read);
  const write = new Set(allowed.write);
  return { userId, canRead: (c) => read.has(c), canWrite: (c) => write.has(c), readable: [...read] };
}
