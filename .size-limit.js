// The bytes a page pays (npm run size; checked in npm test by test/consumers/budgets.test.ts).
// Bundled by esbuild as an app would (ESM: the client finds its worker with
// `new URL(…, import.meta.url)`), minified, brotli-compressed.
const esm = (config) => ({ ...config, format: 'esm' });

export default [
  {
    name: 'client + worker: what a page downloads (pulsesync entry and the prebuilt worker)',
    path: ['dist/src/index.js', 'dist/src/client/pulsesync-worker.js'],
    limit: '25 KB',
    modifyEsbuildConfig: esm,
  },
  {
    name: "client alone: import { createSyncClient } from 'pulsesync'",
    path: 'dist/src/index.js',
    import: '{ createSyncClient }',
    modifyEsbuildConfig: esm,
  },
  {
    name: 'worker alone: the prebuilt worker',
    path: 'dist/src/client/pulsesync-worker.js',
    modifyEsbuildConfig: esm,
  },
  {
    name: "react hooks: import { useQuery, useCount, useRecord, useSyncStatus } from 'pulsesync/react' (React itself not counted)",
    path: 'dist/src/react/index.js',
    import: '{ useQuery, useCount, useRecord, useSyncStatus }',
    ignore: ['react'],
    modifyEsbuildConfig: esm,
  },
];
