/** Section 4: the server alone. Filled in once src/server lands. */
import type { ResultRow } from '../lib/table.ts';

export async function runServer(_options: { root: string; runs: number; log: (m: string) => void }): Promise<ResultRow[]> {
  return [{ section: '4 Server (50 clients, loopback)', figure: 'push / pull', value: 'not available yet: no src/server', unit: '' }];
}
