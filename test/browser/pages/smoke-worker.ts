/** A module worker for the smoke page: a replica round trip off the main thread. */
import { openReplica } from '../../../src/store/index.ts';

self.onmessage = async (event: MessageEvent<{ name: string; n: number }>) => {
  const { name, n } = event.data;
  try {
    const replica = await openReplica({ name });
    await replica.put('smoke', 'one', { n });
    const entry = await replica.get('smoke', 'one');
    replica.close();
    self.postMessage({ ok: true, value: entry?.value });
  } catch (error) {
    self.postMessage({ ok: false, error: String(error) });
  }
};
