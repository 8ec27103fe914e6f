import { describe, expect, it } from 'vitest';
import { readPrefs, startRate, writePrefs } from './prefs';

function mem(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
    clear: () => m.clear(),
    key: () => null,
    get length() {
      return m.size;
    },
  };
}

describe('player prefs', () => {
  it('remembers a speed from the menu', () => {
    const s = mem();
    expect(readPrefs(s).rate).toBeNull();
    writePrefs({ rate: 1.5 }, s);
    writePrefs({ muted: true }, s);
    writePrefs({ captions: true }, s);
    expect(readPrefs(s)).toEqual({ rate: 1.5, volume: 1, muted: true, captions: true });
  });
  it('ignores speeds the menu does not offer and garbage', () => {
    const s = mem();
    s.setItem('baton.player', JSON.stringify({ rate: 16, volume: 3, muted: 'yes', captions: 1 }));
    expect(readPrefs(s)).toEqual({ rate: null, volume: 1, muted: false, captions: false });
    s.setItem('baton.player', '{not json');
    expect(readPrefs(s).rate).toBeNull();
    expect(readPrefs(null).rate).toBeNull();
  });
  it('starts at the viewer’s speed, else the owner’s default, else normal', () => {
    expect(startRate({ rate: null })).toBe(1);
    expect(startRate({ rate: null }, 1.5)).toBe(1.5);
    // The viewer's own choice wins, normal speed included.
    expect(startRate({ rate: 1 }, 1.5)).toBe(1);
    expect(startRate({ rate: 0.75 }, 2)).toBe(0.75);
    // An owner's default the menu does not offer is ignored.
    expect(startRate({ rate: null }, 3)).toBe(1);
  });
});
