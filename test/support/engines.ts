/**
 * Which browser engines the browser suites run in, and starting one. All three by
 * default; `PULSESYNC_ENGINES=chromium,firefox` narrows a local run. Under `CI=true`
 * every engine runs: a narrowed list fails, and so does an engine that cannot start —
 * none is ever skipped in silence.
 */
import type { BrowserEngine, EngineName } from '../../tools/browser-engine.ts';
import { ENGINE_NAMES } from '../../tools/browser-engine.ts';
import { chromiumEngine } from '../../tools/chromium.ts';
import { firefoxEngine } from '../../tools/firefox.ts';
import { webkitEngine } from '../../tools/webkit.ts';

export type { EngineName } from '../../tools/browser-engine.ts';

function isEngine(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}

/** The engines this run covers (PULSESYNC_ENGINES, default all). */
export function selectedEngines(env: Readonly<Record<string, string | undefined>> = process.env): EngineName[] {
  const asked = env['PULSESYNC_ENGINES']?.trim();
  if (asked === undefined || asked === '') return [...ENGINE_NAMES];
  const names = asked.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  const unknown = names.filter((n) => !isEngine(n));
  if (unknown.length > 0) throw new Error(`PULSESYNC_ENGINES: unknown engine ${unknown.join(', ')} (known: ${ENGINE_NAMES.join(', ')})`);
  const chosen = ENGINE_NAMES.filter((n) => names.includes(n));
  const left = ENGINE_NAMES.filter((n) => !chosen.includes(n));
  if (env['CI'] === 'true' && left.length > 0) {
    throw new Error(`PULSESYNC_ENGINES=${asked} under CI=true would skip ${left.join(', ')}: CI runs every engine`);
  }
  return chosen;
}

/** The engines of this run, for `describe.each(engines)`. */
export const engines: readonly EngineName[] = selectedEngines();

const LAUNCH: Record<EngineName, () => Promise<BrowserEngine>> = {
  chromium: chromiumEngine,
  firefox: () => firefoxEngine(),
  webkit: webkitEngine,
};

/**
 * Starts `name` (with `launch`, a variant of it, such as Firefox in private browsing);
 * a failure says which engine and what to install.
 */
export async function launchEngine(name: EngineName, launch: () => Promise<BrowserEngine> = LAUNCH[name]): Promise<BrowserEngine> {
  try {
    return await launch();
  } catch (error) {
    throw new Error(
      `${name} could not start: ${error instanceof Error ? error.message : String(error)}. ` +
        'test/run-all.sh installs chromium, firefox-esr, webkit2gtk-driver and xvfb; to leave an engine out of a local run, set PULSESYNC_ENGINES (CI runs them all).',
      { cause: error },
    );
  }
}
