/**
 * Instance keys: secrets the server issues at handshake, one per instance id and
 * identity, which a replica sends back with every request under that id. They tell
 * apart replicas that share one identity (the command's single token), where binding an
 * id to its identity alone proves nothing.
 *
 * A key is `<nonce>.<mac>`, the MAC an HMAC-SHA-256 under the store's secret over the
 * identity, the instance id and the nonce. So the server checks a key without keeping
 * it (every process over one database shares the secret), only keys it issued pass, and
 * a key is worthless to another identity or under another id. The nonce is the key's
 * id: a binding keeps the nonce, never the key. Web Crypto only, so any runtime serves.
 */
import type { InstanceId, InstanceKey } from '../protocol/types.ts';

/** Issues and checks instance keys. */
export interface InstanceKeys {
  /** A fresh key for `instanceId` under identity `userId`. */
  issue(userId: string, instanceId: InstanceId): Promise<InstanceKey>;
  /** The key's id when `key` is one this server issued for `userId` and `instanceId`; otherwise undefined. */
  verify(key: string, userId: string, instanceId: InstanceId): Promise<string | undefined>;
}

const encoder = new TextEncoder();
const NONCE = /^[A-Za-z0-9_-]{22}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** What the MAC covers; JSON so that no choice of fields can run into the next one. */
function signed(userId: string, instanceId: InstanceId, nonce: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(['pulsesync instance key', userId, instanceId, nonce]));
}

/** Instance keys signed with the secret `secret()` answers (read once, on first use). */
export function instanceKeys(secret: () => Promise<string>): InstanceKeys {
  let hmac: Promise<CryptoKey> | undefined;
  const key = (): Promise<CryptoKey> => {
    hmac ??= secret()
      .then((text) => globalThis.crypto.subtle.importKey('raw', encoder.encode(text), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']))
      .catch((error: unknown) => {
        hmac = undefined; // a store that failed to answer is asked again next time
        throw error;
      });
    return hmac;
  };
  return {
    async issue(userId, instanceId) {
      const nonce = base64url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
      const mac = await globalThis.crypto.subtle.sign('HMAC', await key(), signed(userId, instanceId, nonce));
      return `${nonce}.${base64url(new Uint8Array(mac))}`;
    },
    async verify(candidate, userId, instanceId) {
      const [nonce, mac, extra] = candidate.split('.');
      if (nonce === undefined || mac === undefined || extra !== undefined || !NONCE.test(nonce) || !MAC.test(mac)) return undefined;
      // subtle.verify compares in constant time.
      const valid = await globalThis.crypto.subtle.verify('HMAC', await key(), fromBase64url(mac), signed(userId, instanceId, nonce));
      return valid ? nonce : undefined;
    },
  };
}
