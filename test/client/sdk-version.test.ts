/**
 * The build id the page and its worker compare at connect is a TS constant (a JSON
 * import of package.json breaks some bundlers): it must follow package.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PACKAGE_VERSION, SDK_VERSION, WORKER_API_REVISION } from '../../src/worker-api/version.ts';

describe('the SDK version', () => {
  it("is package.json's version, plus the worker API revision", () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(PACKAGE_VERSION).toBe(manifest.version);
    expect(SDK_VERSION).toBe(`${manifest.version}+api.${WORKER_API_REVISION}`);
  });
});
