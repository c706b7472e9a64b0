/**
 * Can this build have field-level records (`field-last-write-wins`)? False only in
 * pulsesync's prebuilt default worker, whose build defines `globalThis.PULSESYNC_FIELDS`
 * as `false` (scripts/build.ts): it never has them, and the code that would reach them
 * goes (their policy among the wire's, their store and worker seams). Every other build
 * (the full worker, an app's own worker, Node) keeps it and asks at run time, by
 * `fields` being given or not.
 */
export const FIELDS_BUILT: boolean = (globalThis as { PULSESYNC_FIELDS?: boolean }).PULSESYNC_FIELDS !== false;
