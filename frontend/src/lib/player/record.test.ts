import { describe, expect, it } from 'vitest';
import { captionsLabel, chapterAt, sameChapters } from './record';
import { speedLabel } from './ownerspeed';

describe('player record helpers', () => {
  const ch = [{ startMs: 0, title: 'Intro' }, { startMs: 15_000, title: 'Demo' }, { startMs: 40_000, title: 'Next steps' }];
  it('finds the chapter playing', () => {
    expect(chapterAt(ch, 0)).toBe(0);
    expect(chapterAt(ch, 14_999)).toBe(0);
    expect(chapterAt(ch, 15_000)).toBe(1);
    expect(chapterAt(ch, 99_000)).toBe(2);
    expect(chapterAt([{ startMs: 5000, title: 'Late' }], 1000)).toBe(-1);
    expect(chapterAt([], 1000)).toBe(-1);
  });
  it('compares chapter lists', () => {
    expect(sameChapters(ch, ch.map((c) => ({ ...c })))).toBe(true);
    expect(sameChapters(ch, ch.slice(1))).toBe(false);
    expect(sameChapters(ch, [...ch.slice(0, 2), { startMs: 40_000, title: 'Wrap-up' }])).toBe(false);
  });
  it('names captions in the viewer’s words', () => {
    expect(captionsLabel('en')).toBe('English');
    expect(captionsLabel('en-US')).toBe('English');
    expect(captionsLabel('sv')).toBe('SV');
    expect(captionsLabel('')).toBe('Captions');
    expect(captionsLabel(undefined)).toBe('Captions');
  });
  it('labels speeds', () => {
    expect(speedLabel(1)).toBe('Normal');
    expect(speedLabel(1.5)).toBe('1.5×');
  });
});
