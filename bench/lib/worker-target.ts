/**
 * The Chrome DevTools Protocol on a dedicated worker. Playwright hands out CDP sessions
 * for pages only, so we attach to the worker's target from the browser-level session
 * (non-flattened) and relay messages with `Target.sendMessageToTarget`. Every SDK run
 * makes a fresh client, hence a fresh worker: the caller lists the worker targets before
 * creating the client and attaches to the one that appeared.
 */
import type { CDPSession } from 'playwright-core';

/** A CDP session on one worker. */
export interface WorkerSession {
  readonly targetId: string;
  readonly url: string;
  /** Sends a CDP command to the worker; rejects on a protocol error or after `timeoutMs`. */
  send<T>(method: string, params?: object, timeoutMs?: number): Promise<T>;
  /** Evaluates `expression` in the worker (promises awaited) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  detach(): Promise<void>;
}

interface TargetInfo {
  readonly targetId: string;
  readonly type: string;
  readonly url: string;
}

/** The ids of the worker targets that exist now. */
export async function workerTargetIds(browser: CDPSession): Promise<Set<string>> {
  const { targetInfos } = (await browser.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
  return new Set(targetInfos.filter((t) => t.type === 'worker').map((t) => t.targetId));
}

/**
 * Attaches to a worker target not in `before` whose URL contains `urlPart`; waits up to
 * `timeoutMs` for it to appear (the worker starts asynchronously).
 */
export async function attachNewWorker(browser: CDPSession, before: ReadonlySet<string>, urlPart: string, timeoutMs = 5_000): Promise<WorkerSession> {
  const deadline = Date.now() + timeoutMs;
  let target: TargetInfo | undefined;
  while (target === undefined) {
    const { targetInfos } = (await browser.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
    target = targetInfos.find((t) => t.type === 'worker' && !before.has(t.targetId) && t.url.includes(urlPart));
    if (target !== undefined) break;
    if (Date.now() > deadline) throw new Error(`no new worker target with "${urlPart}" in its URL after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { sessionId } = (await browser.send('Target.attachToTarget', { targetId: target.targetId, flatten: false })) as { sessionId: string };
  let nextId = 0;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const onMessage = (event: { sessionId?: string; message: string }): void => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: { message: string } };
    if (message.id === undefined) return;
    const waiter = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(`CDP: ${message.error.message}`));
    else waiter?.resolve(message.result);
  };
  browser.on('Target.receivedMessageFromTarget', onMessage);
  const send = <T>(method: string, params: object = {}, timeoutMs2 = 30_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`CDP ${method} on the worker: no answer within ${timeoutMs2} ms`));
      }, timeoutMs2);
      waiting.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      browser.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch((error: unknown) => {
        waiting.delete(id);
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  return {
    targetId: target.targetId,
    url: target.url,
    send,
    async evaluate<T>(expression: string): Promise<T> {
      const answer = await send<{ result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', {
        expression,
        returnByValue: true,
        awaitPromise: true,
      });
      if (answer.exceptionDetails !== undefined) throw new Error(`in the worker: ${answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text}`);
      return answer.result.value as T;
    },
    async detach() {
      browser.off('Target.receivedMessageFromTarget', onMessage);
      for (const w of waiting.values()) w.reject(new Error('detached'));
      waiting.clear();
      await browser.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
    },
  };
}

/** Polls the worker's used JS heap until stopped. */
export interface HeapSampler {
  /** Stops; the highest used JS heap seen, in bytes (NaN if never read). */
  stop(): Promise<number>;
}

/**
 * Polls `Runtime.getHeapUsage` every `everyMs`. A sampled peak: a spike shorter than
 * the period can be missed, and garbage not yet collected counts as used.
 */
export function sampleHeap(worker: WorkerSession, everyMs = 50): HeapSampler {
  let peak = Number.NaN;
  let running = true;
  const loop = (async () => {
    while (running) {
      const used = await worker
        .send<{ usedSize: number }>('Runtime.getHeapUsage', {}, 5_000)
        .then((r) => r.usedSize)
        .catch(() => Number.NaN);
      if (Number.isFinite(used)) peak = Number.isNaN(peak) ? used : Math.max(peak, used);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}
