/**
 * The replica contract (src/testing/replica-contract.ts) on real IndexedDB in Chromium:
 * the suite runs in a page, test by test, each reported here under its own name.
 */
import { afterAll } from 'vitest';
import { openContractPage, registerPageTests } from '../support/contract-pages.ts';

// At the top level: vitest must know the page's tests while it collects this file.
const contract = await openContractPage('replica');
afterAll(() => contract.close());
registerPageTests(contract);
