import { describe, expect, it } from 'vitest';
import { PlayTime } from './views';

describe('PlayTime', () => {
  it('adds up playing time and leaves out seeks and pauses', () => {
    const p = new PlayTime();
    for (let t = 0; t <= 2; t += 0.25) p.tick(t, true);
    expect(p.playedMs).toBeCloseTo(2000);
    p.tick(60, true); // a seek
    p.tick(60.5, true);
    expect(p.playedMs).toBeCloseTo(2500);
    p.tick(61, false);
    p.tick(90, true); // resumed elsewhere
    p.tick(90.25, true);
    expect(p.playedMs).toBeCloseTo(2750);
  });
});
