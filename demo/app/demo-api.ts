/**
 * The page's side of the demo server's routes (demo/demo-routes.ts): configuration,
 * the seed button and the button that replaces the server's data.
 */

/** What `GET /demo-config.json` answers. */
export interface DemoConfig {
  /** Base URL of the pulsesync-server. */
  readonly serverUrl: string;
  /** The dev token made for this run of `npm run demo`. */
  readonly token: string;
  /** How many records the seed button writes. */
  readonly seedCount: number;
  /** The collective they go to. */
  readonly seedCollective: string;
}

/** What a seeding run did. */
export interface SeedResult {
  readonly seeded: number;
  readonly ms: number;
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { cache: 'no-store', ...init });
  } catch {
    throw new Error(`the demo server does not answer (${path}): is npm run demo still running?`);
  }
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  if (!response.ok) throw new Error(body?.error?.message ?? `${path} answered HTTP ${response.status}`);
  return body as T;
}

/** Reads the demo configuration. */
export function loadDemoConfig(): Promise<DemoConfig> {
  return call<DemoConfig>('/demo-config.json');
}

/** Asks the demo server to push the seed records to the sync server. */
export function seedServer(): Promise<SeedResult> {
  return call<SeedResult>('/demo/seed', { method: 'POST' });
}

/** Asks the demo server to put back the sync server's data as it was when the demo started. */
export function replaceServerData(): Promise<{ readonly ms: number }> {
  return call<{ readonly ms: number }>('/demo/replace-server', { method: 'POST' });
}
