/**
 * What every test page promises the Node side: `window.testPageReady` once its script
 * has run. Each page declares its own API beside this (e.g. client-api.ts).
 */
declare global {
  interface Window {
    /** Set by a test page when its API is on `window`. */
    testPageReady?: boolean;
  }
}

export {};
