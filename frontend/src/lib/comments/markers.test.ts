import { describe, expect, it } from 'vitest';
import { layoutMarkers, topEmoji } from './markers';

const at = (...ts: number[]): { id: string; timeMs: number }[] => ts.map((t, i) => ({ id: `m${i}`, timeMs: t }));

describe('layoutMarkers', () => {
  it('places each item at its time when they are far apart', () => {
    const c = layoutMarkers(at(0, 30_000, 60_000), 60_000, 600, 16);
    expect(c.map((x) => x.pos)).toEqual([0, 0.5, 1]);
    expect(c.map((x) => x.items.length)).toEqual([1, 1, 1]);
    expect(c.map((x) => x.timeMs)).toEqual([0, 30_000, 60_000]);
  });

  it('merges items closer than the gap and centres the cluster', () => {
    // 600 px for 60 s: 10 px a second.
    const c = layoutMarkers(at(10_000, 11_000, 12_000, 40_000), 60_000, 600, 25);
    expect(c).toHaveLength(2);
    expect(c[0]!.items.map((x) => x.timeMs)).toEqual([10_000, 11_000, 12_000]);
    expect(c[0]!.pos).toBeCloseTo(110 / 600);
    expect(c[0]!.timeMs).toBe(10_000);
  });

  it('clusters more on a narrow strip', () => {
    const items = at(0, 5_000, 10_000, 15_000, 20_000);
    expect(layoutMarkers(items, 20_000, 1000, 16)).toHaveLength(5);
    expect(layoutMarkers(items, 20_000, 40, 16).length).toBeLessThan(5);
  });

  it('never makes a cluster wider than the gap (no chaining)', () => {
    // Each item 10 px after the previous; gap 15 px: pairs, not one long chain.
    const c = layoutMarkers(at(0, 1_000, 2_000, 3_000, 4_000), 10_000, 100, 15);
    for (const cl of c) {
      const first = cl.items[0]!.timeMs / 10_000 * 100;
      const last = cl.items[cl.items.length - 1]!.timeMs / 10_000 * 100;
      expect(last - first).toBeLessThan(15);
    }
    expect(c.flatMap((x) => x.items)).toHaveLength(5);
  });

  it('sorts by time and clamps to the video', () => {
    const c = layoutMarkers(at(90_000, -5, 5_000), 60_000, 600, 4);
    expect(c.map((x) => x.pos)).toEqual([0, 5_000 / 60_000, 1]);
  });

  it('puts everything at the start when the length is unknown', () => {
    const c = layoutMarkers(at(0, 0, 0), 0, 600, 16);
    expect(c).toHaveLength(1);
    expect(c[0]!.pos).toBe(0);
    expect(c[0]!.items).toHaveLength(3);
  });

  it('handles nothing, NaN and a zero width', () => {
    expect(layoutMarkers([], 1000, 100, 10)).toEqual([]);
    expect(layoutMarkers(at(Number.NaN), 1000, 100, 10)).toEqual([]);
    expect(layoutMarkers(at(0, 500, 1000), 1000, 0, 10)).toHaveLength(1);
  });
});

describe('topEmoji', () => {
  it('picks the most frequent, the first on ties', () => {
    expect(topEmoji([{ emoji: '👍' }, { emoji: '🔥' }, { emoji: '🔥' }])).toBe('🔥');
    expect(topEmoji([{ emoji: '👍' }, { emoji: '🔥' }])).toBe('👍');
    expect(topEmoji([])).toBe('');
  });
});
