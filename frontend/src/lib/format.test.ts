import { describe, expect, it } from 'vitest';
import {
  clampPercent,
  formatBytes,
  formatClock,
  formatDate,
  formatDuration,
  formatDurationLong,
  formatRelativeTime,
  looksLikeVideo,
  titleFromFileName,
} from './format';

describe('formatDuration', () => {
  it.each([
    [0, ''],
    [-5, ''],
    [Number.NaN, ''],
    [400, '0:01'],
    [1_000, '0:01'],
    [59_400, '0:59'],
    [59_600, '0:59'],
    [7_960, '0:07'],
    [65_000, '1:05'],
    [600_000, '10:00'],
    [3_599_000, '59:59'],
    [3_600_000, '1:00:00'],
    [3_723_000, '1:02:03'],
  ])('%d ms -> %j', (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });

  it('has a spoken form', () => {
    expect(formatDurationLong(65_000)).toBe('1 minute 5 seconds');
    expect(formatDurationLong(3_600_000)).toBe('1 hour');
    expect(formatDurationLong(0)).toBe('');
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1_000, '1.0 KB'],
    [12_345, '12 KB'],
    [1_234_567, '1.2 MB'],
    [12_000_000, '12 MB'],
    [999_600_000, '1.0 GB'],
    [1_500_000_000, '1.5 GB'],
    [-1, ''],
  ])('%d -> %j', (n, want) => {
    expect(formatBytes(n)).toBe(want);
  });
});

describe('formatRelativeTime', () => {
  const now = new Date(2025, 5, 15, 12, 0, 0); // 15 June 2025, 12:00 local
  const ago = (secs: number): Date => new Date(now.getTime() - secs * 1000);

  it.each([
    [0, 'just now'],
    [30, 'just now'],
    [-120, 'just now'], // a clock slightly ahead
    [60, '1 minute ago'],
    [5 * 60, '5 minutes ago'],
    [50 * 60, '1 hour ago'],
    [3 * 3600, '3 hours ago'],
  ])('%d s ago -> %j', (secs, want) => {
    expect(formatRelativeTime(ago(secs), now, 'en')).toBe(want);
  });

  it('counts calendar days', () => {
    expect(formatRelativeTime(new Date(2025, 5, 14, 9, 0), now, 'en')).toBe('yesterday');
    expect(formatRelativeTime(new Date(2025, 5, 12, 18, 0), now, 'en')).toBe('3 days ago');
  });

  it('gives the date after four weeks', () => {
    expect(formatRelativeTime(new Date(2025, 2, 3, 9, 0), now, 'en')).toBe('Mar 3');
    expect(formatRelativeTime(new Date(2024, 2, 3, 9, 0), now, 'en')).toBe('Mar 3, 2024');
  });

  it('is empty for an invalid date', () => {
    expect(formatRelativeTime(new Date('nope'), now, 'en')).toBe('');
    expect(formatDate(new Date('nope'), now, 'en')).toBe('');
  });
});

describe('titleFromFileName', () => {
  it.each([
    ['Q3 demo.mp4', 'Q3 demo'],
    ['release.notes.v2.webm', 'release.notes.v2'],
    ['noext', 'noext'],
    ['.hidden', '.hidden'],
    ['C:\\fakepath\\clip.mov', 'clip'],
    ['  spaced  .mkv', 'spaced'],
    ['.mp4 ', '.mp4'],
    ['', 'Untitled video'],
    [' .mp4', 'Untitled video'],
  ])('%j -> %j', (name, want) => {
    expect(titleFromFileName(name)).toBe(want);
  });
});

describe('looksLikeVideo', () => {
  it.each([
    ['a.mp4', 'video/mp4', true],
    ['a.bin', 'video/x-matroska', true],
    ['a.mkv', '', true],
    ['a.webm', 'application/octet-stream', true],
    ['a.pdf', 'application/pdf', false],
    ['a.mp4', 'image/png', false],
    ['notes.txt', '', false],
  ])('%s (%s) -> %s', (name, type, want) => {
    expect(looksLikeVideo(name, type)).toBe(want);
  });
});

describe('clampPercent', () => {
  it('keeps progress whole and in range', () => {
    expect(clampPercent(-3)).toBe(0);
    expect(clampPercent(42.6)).toBe(43);
    expect(clampPercent(140)).toBe(100);
    expect(clampPercent(Number.NaN)).toBe(0);
  });
});

describe('formatClock', () => {
  it.each([
    [0, '0:00'],
    [999, '0:00'],
    [1000, '0:01'],
    [65_400, '1:05'],
    [3_723_000, '1:02:03'],
    [-5, '0:00'],
    [Number.NaN, '0:00'],
  ])('%d ms -> %s', (ms, want) => {
    expect(formatClock(ms)).toBe(want);
  });
});
