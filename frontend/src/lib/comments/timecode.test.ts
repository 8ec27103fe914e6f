import { describe, expect, it } from 'vitest';
import { formatRange, formatTimecode, parseTimecode, spokenTimecode } from './timecode';

describe('formatTimecode', () => {
  it.each([
    [0, '0:00'],
    [-5, '0:00'],
    [Number.NaN, '0:00'],
    [999, '0:00'],
    [1_000, '0:01'],
    [134_900, '2:14'],
    [3_599_999, '59:59'],
    [3_723_000, '1:02:03'],
  ])('%d -> %s', (ms, want) => {
    expect(formatTimecode(ms)).toBe(want);
  });
});

describe('formatRange', () => {
  it('shows a range or a moment', () => {
    expect(formatRange(70_000, 85_000)).toBe('1:10–1:25');
    expect(formatRange(70_000)).toBe('1:10');
    expect(formatRange(70_000, 70_000)).toBe('1:10');
    expect(formatRange(70_000, 10)).toBe('1:10');
  });
});

describe('spokenTimecode', () => {
  it.each([
    [0, '0 seconds'],
    [1_000, '1 second'],
    [134_000, '2 minutes 14 seconds'],
    [60_000, '1 minute'],
    [3_601_000, '1 hour 1 second'],
  ])('%d -> %s', (ms, want) => {
    expect(spokenTimecode(ms)).toBe(want);
  });
});

describe('parseTimecode', () => {
  it.each([
    ['2:14', 134_000],
    [' 2:14 ', 134_000],
    ['0:00', 0],
    ['75', 75_000],
    ['1:02:03', 3_723_000],
    ['2:14.5', 134_500],
    ['2:14.25', 134_250],
    ['02:04', 124_000],
    ['90:00', 5_400_000],
  ])('%j -> %d', (s, want) => {
    expect(parseTimecode(s)).toBe(want);
  });

  it.each(['', ' ', '-1', '1:60', '1:2:60', 'abc', '1::2', ':30', '1:', '1.2.3', '1:02:03:04', '1e3', '0x10', '2:14.', '١:٢'])(
    'refuses %j',
    (s) => {
      expect(parseTimecode(s)).toBeNull();
    },
  );

  it('round-trips what it formats', () => {
    for (const ms of [0, 1_000, 59_000, 61_000, 3_599_000, 3_723_000]) {
      expect(parseTimecode(formatTimecode(ms))).toBe(ms);
    }
  });
});
