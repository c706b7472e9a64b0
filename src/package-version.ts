/**
 * The package version, as a constant rather than a JSON import: `import … from
 * 'package.json'` fails under webpack 5 (named export from a JSON module), needs import
 * attributes in Node, and would drag package.json into the build. `npm version` rewrites
 * this file (scripts/write-version.ts) and the build refuses to run when it disagrees
 * with package.json.
 */
export const PACKAGE_VERSION = '0.1.0';
