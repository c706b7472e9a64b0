// The bytes a page pays, minified and brotli-compressed (scripts/worker-size.ts adds the
// prebuilt workers, as served, and checks the sums; npm test checks them on the tarball).
//  - Core, the sync path: client + default worker ≤ 25 KB (25,000 B), each part with a
//    guard of its own (3.0 KB for the client here, 22,200 B for the worker) so growth
//    shows where it happened. Neither bundles the comlink package: page and worker
//    speak its protocol through src/worker-api/wire.ts. Collections must not add to it: an app that declares none
//    bundles none of their page code and starts the default worker.
//  - Collections: the client with defineCollections + the collections worker, under a
//    guard of their own (a little above today's figures); likewise pulsesync/react.
// The clients are bundled by esbuild as an app would (ESM): size-limit measures them.
// The workers ship prebuilt (esbuild + terser, scripts/build.ts) and no bundler touches
// them again, so they are measured as served, by brotli of the files themselves.
const esm = (config) => ({ ...config, format: 'esm' });

export default [
  {
    name: "client: import { createSyncClient } from 'pulsesync'",
    path: 'dist/src/index.js',
    import: '{ createSyncClient }',
    limit: '3.0 KB',
    modifyEsbuildConfig: esm,
  },
  {
    name: "client with collections: import { createSyncClient, defineCollections } from 'pulsesync'",
    path: 'dist/src/index.js',
    import: '{ createSyncClient, defineCollections }',
    // 4,403 B when set (the page's wire in place of Comlink); 4,225 B before whole-collection
    // reads on the page (src/client/page-records.ts, page-queries.ts: +993 B), 5,218 B with them.
    limit: '5.6 KB',
    modifyEsbuildConfig: esm,
  },
  {
    name: "react hooks: import { useQuery, useCount, useRecord, useSyncStatus } from 'pulsesync/react' (React itself not counted)",
    path: 'dist/src/react/index.js',
    import: '{ useQuery, useCount, useRecord, useSyncStatus }',
    ignore: ['react'],
    limit: '300 B',
    modifyEsbuildConfig: esm,
  },
];
