/** smoke.html: see smoke-api.ts. */
import { openReplica } from '../../../src/store/index.ts';
import './page-api.ts';
import './smoke-api.ts';

window.smoke = {
  async replicaRoundTrip(name, n) {
    const replica = await openReplica({ name });
    await replica.put('smoke', 'one', { n });
    const entry = await replica.get('smoke', 'one');
    replica.close();
    return entry?.value;
  },
  workerRoundTrip(name, n) {
    const worker = new Worker(new URL('./smoke-worker.ts', import.meta.url), { type: 'module' });
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<{ ok: boolean; value?: unknown; error?: string }>) => {
        worker.terminate();
        if (event.data.ok) resolve(event.data.value);
        else reject(new Error(event.data.error));
      };
      worker.onerror = (event) => {
        worker.terminate();
        reject(new Error(`smoke worker failed: ${event.message}`));
      };
      worker.postMessage({ name, n });
    });
  },
  async health(url, token) {
    const response = await fetch(`${url}/sync/health`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: await response.json().catch(() => null) };
  },
};
window.testPageReady = true;
