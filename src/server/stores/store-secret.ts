/** The secret a store makes on first use (see `ServerStore.secret`). */

/** 32 random bytes as hex: enough that nobody guesses it, text so any store keeps it. */
export function newStoreSecret(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
