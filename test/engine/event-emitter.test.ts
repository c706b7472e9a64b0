/**
 * The typed event emitter the engine, the replicas and the client share: listeners hear
 * their event in the order they came, an unsubscribe removes its own (twice is safe),
 * and a listener that throws is logged without stopping the others.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from '../../src/events/event-emitter.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('EventEmitter', () => {
  it('calls the listeners of an event in subscription order, and only theirs', () => {
    const emitter = new EventEmitter<{ a: number; b: string }>();
    const heard: string[] = [];
    emitter.on('a', (n) => heard.push(`first ${n}`));
    emitter.on('a', (n) => heard.push(`second ${n}`));
    emitter.on('b', (s) => heard.push(`b ${s}`));
    emitter.emit('a', 1);
    expect(heard).toEqual(['first 1', 'second 1']);
  });

  it('unsubscribes one listener, safely twice, and keeps the others', () => {
    const emitter = new EventEmitter<{ a: number }>();
    const heard: number[] = [];
    const off = emitter.on('a', () => heard.push(1));
    emitter.on('a', () => heard.push(2));
    off();
    off();
    emitter.emit('a', 0);
    expect(heard).toEqual([2]);
    const again = emitter.on('a', () => heard.push(3));
    emitter.emit('a', 0);
    again();
    emitter.emit('a', 0);
    expect(heard).toEqual([2, 2, 3, 2]);
  });

  it('logs a throwing listener and still calls the next', () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const emitter = new EventEmitter<{ a: number }>();
    const heard: number[] = [];
    emitter.on('a', () => {
      throw new Error('boom');
    });
    emitter.on('a', (n) => heard.push(n));
    emitter.emit('a', 7);
    expect(heard).toEqual([7]);
    expect(logged).toHaveBeenCalledWith('pulsesync: a "a" listener threw', expect.any(Error));
  });
});
