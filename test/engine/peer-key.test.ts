import { describe, expect, it } from 'vitest';
import { inCollectives, peerKey } from '../../src/engine/peer-key.ts';

describe('peer key', () => {
  it('is the server id plus the sorted collective filter, or * for all', () => {
    expect(peerKey('srv-1', undefined)).toBe('srv-1|*');
    expect(peerKey('srv-1', ['todos', 'notes'])).toBe('srv-1|notes,todos');
  });

  it('differs whenever the filter differs, even with commas in names', () => {
    expect(peerKey('s', ['a,b'])).not.toBe(peerKey('s', ['a', 'b']));
    expect(peerKey('s', ['notes'])).not.toBe(peerKey('s', ['notes', 'todos']));
  });

  it('lets every collective through without a filter, only listed ones with one', () => {
    expect(inCollectives('drafts', undefined)).toBe(true);
    expect(inCollectives('drafts', ['notes'])).toBe(false);
    expect(inCollectives('notes', ['notes'])).toBe(true);
  });
});
