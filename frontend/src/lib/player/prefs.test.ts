import { describe, expect, it } from 'vitest';
import { readPrefs, writePrefs } from './prefs';

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
    expect(readPrefs(s).rate).toBe(1);
    writePrefs({ rate: 1.5 }, s);
    writePrefs({ muted: true }, s);
    expect(readPrefs(s)).toEqual({ rate: 1.5, volume: 1, muted: true });
  });
  it('ignores speeds the menu does not offer and garbage', () => {
    const s = mem();
    s.setItem('baton.player', JSON.stringify({ rate: 16, volume: 3, muted: 'yes' }));
    expect(readPrefs(s)).toEqual({ rate: 1, volume: 1, muted: false });
    s.setItem('baton.player', '{not json');
    expect(readPrefs(s).rate).toBe(1);
    expect(readPrefs(null).rate).toBe(1);
  });
});
