/**
 * Yielding to the event loop between the steps of a long request, so that no one
 * request holds it for long (issue 11, finding 3): a health check, a pull or another
 * push gets its turn between the chunks of a large push instead of after all of them.
 */

/**
 * Resolves on a later turn of the event loop, after pending I/O. `setImmediate` where
 * the runtime has it (Node, Bun): it runs after I/O callbacks, without the clamp of
 * nested zero timeouts, and tests that fake `setTimeout` leave it real. A zero timeout
 * elsewhere.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof globalThis.setImmediate === 'function') globalThis.setImmediate(resolve);
    else globalThis.setTimeout(resolve, 0);
  });
}
