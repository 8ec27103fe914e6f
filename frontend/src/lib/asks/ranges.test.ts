import { describe, expect, it } from 'vitest';
import { PlayTracker, formatReplyBy, mergeRanges } from './ranges';

describe('PlayTracker', () => {
  it('extends a range during playback and closes it on a seek', () => {
    const t = new PlayTracker();
    for (let ms = 0; ms <= 5000; ms += 250) t.tick(ms);
    // A seek to 60 s: the jump is not watching.
    t.close();
    for (let ms = 60000; ms <= 62000; ms += 250) t.tick(ms);
    expect(t.ranges()).toEqual([[0, 5000], [60000, 62000]]);
  });

  it('does not count a jump reported as a tick', () => {
    const t = new PlayTracker();
    t.tick(0);
    t.tick(1000);
    t.tick(30000);
    t.tick(31000);
    expect(t.ranges()).toEqual([[0, 1000], [30000, 31000]]);
  });

  it('allows larger steps at a higher speed', () => {
    const t = new PlayTracker();
    t.tick(0, 2);
    t.tick(3500, 2);
    expect(t.ranges()).toEqual([[0, 3500]]);
  });
});

describe('mergeRanges', () => {
  it('joins overlapping ranges', () => {
    expect(mergeRanges([[5, 9], [0, 2], [2, 4], [8, 12]])).toEqual([[0, 4], [5, 12]]);
  });
});

describe('formatReplyBy', () => {
  it('writes the deadline in the given zone', () => {
    expect(formatReplyBy('2026-12-11T17:00:00Z', 'Europe/Berlin')).toBe('Fri 11 Dec, 18:00');
    expect(formatReplyBy('2026-12-11T17:00:00Z', 'Asia/Tokyo')).toBe('Sat 12 Dec, 02:00');
  });
});
