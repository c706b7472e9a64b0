/**
 * The shared-secret authenticator the command uses: `Authorization: Bearer <token>`.
 */
import { fullAccess, type Access, type Authenticate } from '../access.ts';

const encoder = new TextEncoder();

/**
 * Compares two strings in time that depends only on their lengths, so response timing
 * does not reveal how much of a guessed token was right. (`crypto.timingSafeEqual` is
 * Node-only; this runs in any runtime.)
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let difference = x.length ^ y.length;
  const length = Math.max(x.length, y.length);
  for (let i = 0; i < length; i++) difference |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return difference === 0;
}

/**
 * An {@link Authenticate} accepting `Authorization: Bearer <token>` with exactly
 * `token`, as user `userId` with full access; anything else is `null` (401).
 *
 * @example
 * createSyncServer({ store, authenticate: tokenAuth(process.env.PULSESYNC_TOKEN!) })
 */
export function tokenAuth(token: string, userId = 'token'): Authenticate {
  if (token.length === 0) throw new TypeError('tokenAuth: the token must not be empty');
  const access: Access = fullAccess(userId);
  return (request) => {
    const header = request.headers.get('authorization');
    const match = header === null ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return match !== null && constantTimeEqual(match[1] as string, token) ? access : null;
  };
}
