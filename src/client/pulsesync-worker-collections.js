// The collections worker as Vite sees it in this repository (demo, tests): it bundles
// this module and its import from source. `npm run build` replaces it in dist/ with one
// self-contained file (scripts/build.ts). See with-collections-worker.ts.
import '../../worker/collections-worker.ts';
