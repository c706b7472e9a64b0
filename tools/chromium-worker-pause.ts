/**
 * Freezes one dedicated worker in Chromium the way a developer's breakpoint does:
 * `Debugger.pause` over the Chrome DevTools Protocol, on the worker's own target. While
 * paused, nothing of it runs — timers, fetch answers, messages and lock news all wait —
 * but it lives on and keeps what it holds (its Web Locks, its connections), which is
 * exactly the leader that "freezes" of issue 12.
 *
 * Why not `Page.setWebLifecycleState({ state: 'frozen' })` on its page: measured on
 * Chromium 156 headless, the command is accepted and does nothing — the page's own
 * timers keep firing, no `freeze` event comes, and its dedicated worker keeps running —
 * because a visible page is never frozen, and a headless page stays visible (minimised
 * window and background target tried). Playwright gives CDP sessions to pages only, so
 * the worker is reached from a browser-level session (as `sampleWorkerHeap` does).
 */
import type { Browser, CDPSession } from 'playwright-core';

/** A paused worker. */
export interface PausedWorker {
  /** Epoch ms when Chromium reported the worker paused. */
  readonly pausedAt: number;
  /** Lets it run again (and detaches); resolves once Chromium confirms. */
  resume(): Promise<void>;
}

/**
 * Pauses the dedicated worker whose DevTools target id is `targetId` — which is also its
 * Web Locks `clientId`, so `navigator.locks.query()` in any page of the origin names
 * the worker holding a lock. Resolves once the worker is paused: it must run some
 * script to stop in (a timer, an answer, a message), which a syncing worker does soon.
 * `wake`, called once the pause is asked for, can give it one (release a held answer).
 *
 * Where it stops matters: a worker paused in an IndexedDB request's callback keeps its
 * transaction open, and every other connection's transaction on those stores waits
 * for as long as it is paused (a real browser does not freeze such a page). So a test
 * pauses a worker that waits on the network, and wakes it with the answer.
 */
export async function pauseWorker(browser: Browser, targetId: string, wake: () => void = () => undefined, timeoutMs = 10_000): Promise<PausedWorker> {
  const session: CDPSession = await browser.newBrowserCDPSession();
  const { sessionId } = await session.send('Target.attachToTarget', { targetId, flatten: false });
  let nextId = 0;
  const answers = new Map<number, (message: { error?: { message: string } }) => void>();
  let onPaused = (): void => undefined;
  const paused = new Promise<number>((resolve) => (onPaused = () => resolve(Date.now())));
  session.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as { id?: number; method?: string; error?: { message: string } };
    if (message.method === 'Debugger.paused') onPaused();
    if (message.id === undefined) return;
    answers.get(message.id)?.(message);
    answers.delete(message.id);
  });
  const send = (method: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      answers.set(id, (message) => (message.error === undefined ? resolve() : reject(new Error(`${method}: ${message.error.message}`))));
      session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) }).catch(reject);
    });
  await send('Debugger.enable');
  await send('Debugger.pause');
  wake();
  let timer: NodeJS.Timeout | undefined;
  const pausedAt = await Promise.race([
    paused,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker ${targetId} ran no script to pause in within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    pausedAt,
    async resume() {
      await send('Debugger.resume');
      await send('Debugger.disable').catch(() => undefined);
      await session.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
      await session.detach().catch(() => undefined);
    },
  };
}
