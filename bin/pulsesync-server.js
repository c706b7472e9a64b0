#!/usr/bin/env node
// The pulsesync-server command: the server is TypeScript, run through tsx's loader
// (registered here, so no build step is needed to run it).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/server/cli.ts');
const code = await main(process.argv.slice(2), process.env);
process.exit(code);
