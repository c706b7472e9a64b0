#!/usr/bin/env node
// The pulsesync-server command. The package runs its compiled JavaScript (dist/).
// In a checkout of the repository (src/ beside bin/; src/ is not in the package) it runs
// the TypeScript source through tsx, a devDependency, so the tests and the demo always
// run the code as it is now, never a stale build.
import { existsSync } from 'node:fs';

const source = new URL('../src/server/cli.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import('../dist/src/server/cli.js'));
}
const code = await main(process.argv.slice(2), process.env);
process.exit(code);
