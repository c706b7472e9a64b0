// The bytes a page pays, minified and brotli-compressed. The budget is client + worker
// ≤ 25 KB (25,000 B), checked on their sum (scripts/worker-size.ts, npm test); each part
// also has a guard of its own (4.2 KB for the client here, 21.5 KB for the worker) so that
// growth shows where it happened.
//  - The client is bundled by esbuild as an app would (ESM): size-limit measures it.
//  - The worker ships prebuilt (esbuild + terser, scripts/build.ts) and no bundler touches
//    it again, so it is measured as served, by brotli of the file itself
//    (scripts/size.ts and test/consumers/package.test.ts), not re-bundled here.
const esm = (config) => ({ ...config, format: 'esm' });

export default [
  {
    name: "client: import { createSyncClient } from 'pulsesync'",
    path: 'dist/src/index.js',
    import: '{ createSyncClient }',
    limit: '4.2 KB',
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
