/**
 * The replica contract (src/testing/replica-contract.ts) on real IndexedDB in every
 * engine: the suite runs in a page, test by test, each reported here under its own
 * name, grouped by engine.
 */
import { afterAll, describe } from 'vitest';
import { openContractPage, registerPageTests, type OpenContractPage } from '../support/contract-pages.ts';
import { engines } from '../support/engines.ts';

// At the top level: vitest must know the pages' tests while it collects this file.
const contracts: OpenContractPage[] = [];
afterAll(async () => {
  for (const contract of contracts) await contract.close();
});
for (const engine of engines) contracts.push(await openContractPage('replica', engine));
for (const contract of contracts) describe(contract.engine, () => registerPageTests(contract));
