/** The API of smoke.html: proves the harness (build, worker bundling, IndexedDB, CORS). */
export interface SmokeApi {
  /** Puts `{ n }` into a fresh replica on the main thread and reads it back. */
  replicaRoundTrip(name: string, n: number): Promise<unknown>;
  /** The same inside a bundled module worker. */
  workerRoundTrip(name: string, n: number): Promise<unknown>;
  /** GET `${url}/sync/health` with the bearer token, from the page (a cross-origin fetch). */
  health(url: string, token: string): Promise<{ status: number; body: unknown }>;
}

declare global {
  interface Window {
    smoke: SmokeApi;
  }
}
