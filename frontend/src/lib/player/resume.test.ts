import { describe, expect, it } from 'vitest';
import { MAX_SPOTS, readSpot, resumeAt, saveSpot, worthResuming } from './resume';

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

describe('resume where you left off', () => {
  it('keeps the middle, not the first 5 s or the last 5%', () => {
    expect(worthResuming(4.9, 100)).toBe(false);
    expect(worthResuming(5, 100)).toBe(true);
    expect(worthResuming(94.9, 100)).toBe(true);
    expect(worthResuming(95, 100)).toBe(false);
    expect(worthResuming(NaN, 100)).toBe(false);
    // Length not known yet: only the start rule applies.
    expect(worthResuming(30, NaN)).toBe(true);
  });
  it('remembers per video and forgets at the end', () => {
    const s = mem();
    saveSpot('a', 83.27, 120, 1, s);
    saveSpot('b', 10, 60, 2, s);
    expect(resumeAt(readSpot('a', s))).toBe(83.2);
    expect(resumeAt(readSpot('b', s), 60)).toBe(10);
    expect(resumeAt(readSpot('c', s))).toBeNull();
    // Watched to the end: the next visit starts at the beginning.
    saveSpot('a', 119, 120, 3, s);
    expect(readSpot('a', s)).toBeUndefined();
    // Went back to the start.
    saveSpot('b', 2, 60, 4, s);
    expect(readSpot('b', s)).toBeUndefined();
  });
  it('uses the current length when the video was trimmed since', () => {
    const s = mem();
    saveSpot('a', 50, 100, 1, s);
    // Now 52 s long: 50 s is in its last 5%.
    expect(resumeAt(readSpot('a', s), 52)).toBeNull();
    expect(resumeAt(readSpot('a', s), 80)).toBe(50);
  });
  it('keeps the most recent videos only', () => {
    const s = mem();
    for (let i = 0; i < MAX_SPOTS + 5; i++) saveSpot(`v${i}`, 30, 100, i, s);
    expect(readSpot('v0', s)).toBeUndefined();
    expect(readSpot('v4', s)).toBeUndefined();
    expect(readSpot('v5', s)?.t).toBe(30);
    expect(readSpot(`v${MAX_SPOTS + 4}`, s)?.t).toBe(30);
  });
  it('survives garbage and no storage', () => {
    const s = mem();
    s.setItem('baton.resume', '{nope');
    expect(readSpot('a', s)).toBeUndefined();
    s.setItem('baton.resume', JSON.stringify({ a: { t: 'x' }, b: { t: 9, d: 20, at: 1 } }));
    expect(readSpot('a', s)).toBeUndefined();
    expect(readSpot('b', s)?.t).toBe(9);
    expect(readSpot('a', null)).toBeUndefined();
    saveSpot('a', 30, 100, 1, null);
  });
});
