import { describe, expect, it } from 'vitest';

import { clockIn, describeHours } from './api';

describe('describeHours', () => {
  it('joins runs of days like the server does', () => {
    expect(describeHours({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:30' })).toBe('Mon–Fri 09:00–17:30');
    expect(describeHours({ days: ['mon', 'wed', 'fri'], start: '08:30', end: '12:00' })).toBe('Mon, Wed, Fri 08:30–12:00');
    expect(describeHours({ days: ['sat', 'sun'], start: '00:00', end: '24:00' })).toBe('Sat, Sun 00:00–24:00');
    expect(describeHours({ days: ['mon', 'fri', 'sat', 'sun'], start: '10:00', end: '14:00' })).toBe('Mon, Fri–Sun 10:00–14:00');
  });
});

describe('clockIn', () => {
  it('tells the time in a zone, half-hour offsets included', () => {
    const t = new Date('2026-03-09T03:00:00Z');
    expect(clockIn('Asia/Kolkata', t)).toBe('08:30');
    expect(clockIn('Asia/Tokyo', t)).toBe('12:00');
    expect(clockIn('Not/AZone', t)).toBe('');
  });
});
