/**
 * `npm run demo`: starts the pulsesync-server (SQLite in `.demo-data/`) and the demo
 * page, prints where to open it, and stops both on Ctrl-C.
 */
import { startDemo } from './start-demo.ts';

const demo = await startDemo({ verbose: process.argv.includes('--verbose') });

console.log(`
  pulsesync demo is running

  Open          ${demo.url}
  2nd device    ${demo.url}?device=phone   (another local database; or another browser profile)
  Sync server   ${demo.serverUrl}   (SQLite in .demo-data/, dev token made for this run)

  Ctrl-C stops both.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log('\nStopping the demo…');
    demo.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
