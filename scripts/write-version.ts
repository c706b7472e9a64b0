/**
 * Writes package.json's version into src/package-version.ts. npm runs it on
 * `npm version` (the "version" script), so the constant follows every release.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
const file = new URL('src/package-version.ts', root);
const text = readFileSync(file, 'utf8');
const next = text.replace(/export const PACKAGE_VERSION = '[^']*';/, `export const PACKAGE_VERSION = '${version}';`);
if (!next.includes(`'${version}'`)) throw new Error(`${file.pathname}: no PACKAGE_VERSION line to rewrite`);
writeFileSync(file, next);
console.log(`src/package-version.ts: ${version}`);
