// The default worker as Vite sees it in this repository (demo, tests): it bundles this
// module and its import from source. `npm run build` replaces it in dist/ with one
// self-contained file (scripts/build.ts). See with-default-worker.ts.
import '../../worker/default-worker.ts';
