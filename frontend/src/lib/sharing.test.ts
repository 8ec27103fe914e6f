import { describe, expect, it } from 'vitest';
import type { Sharing } from './api';
import { initials, safeNext } from './auth';
import { sharingChange, sharingSummary } from './sharing';

const open: Sharing = { visibility: 'link', hasPassword: false, expiresAt: '', maxViews: 0, allowDownload: true, guestComments: true };
const fields = {
  visibility: 'link' as const, passwordOn: false, password: '', expiry: 'never' as const,
  expiresLocal: '', maxViews: '', allowDownload: true, guestComments: true,
};
const now = new Date('2030-01-01T12:00:00Z');

describe('sharingChange', () => {
  it('sends nothing when nothing changed', () => {
    expect(sharingChange(open, fields, now)).toEqual({});
  });

  it('sends only what changed', () => {
    expect(sharingChange(open, { ...fields, visibility: 'private', allowDownload: false }, now))
      .toEqual({ visibility: 'private', allowDownload: false });
  });

  it('sets, keeps and removes a password', () => {
    expect(sharingChange(open, { ...fields, passwordOn: true, password: 'open sesame' }, now)).toEqual({ password: 'open sesame' });
    const locked = { ...open, hasPassword: true };
    expect(sharingChange(locked, { ...fields, passwordOn: true }, now)).toEqual({});
    expect(sharingChange(locked, fields, now)).toEqual({ password: '' });
    expect(() => sharingChange(open, { ...fields, passwordOn: true }, now)).toThrow(/password/);
    expect(() => sharingChange(open, { ...fields, passwordOn: true, password: 'abc' }, now)).toThrow(/4 characters/);
  });

  it('ends the link on a future date or after views, and only one of them', () => {
    const c = sharingChange(open, { ...fields, expiry: 'date', expiresLocal: '2030-02-01T09:30' }, now);
    expect(c.expiresAt).toBe(new Date('2030-02-01T09:30').toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(() => sharingChange(open, { ...fields, expiry: 'date', expiresLocal: '2029-12-31T09:30' }, now)).toThrow(/future/);
    expect(sharingChange({ ...open, expiresAt: '2030-02-01T00:00:00Z' }, { ...fields, expiry: 'views', maxViews: '5' }, now))
      .toEqual({ maxViews: 5, expiresAt: null });
    expect(() => sharingChange(open, { ...fields, expiry: 'views', maxViews: '0' }, now)).toThrow(/whole number/);
    expect(() => sharingChange(open, { ...fields, expiry: 'views', maxViews: '2.5' }, now)).toThrow(/whole number/);
    expect(sharingChange({ ...open, maxViews: 3 }, fields, now)).toEqual({ maxViews: 0 });
  });
});

describe('sharingSummary', () => {
  it('says who may watch in a few words', () => {
    expect(sharingSummary(open)).toBe('Anyone with the link');
    expect(sharingSummary({ ...open, hasPassword: true, maxViews: 1 })).toBe('Anyone with the link · password, 1 view');
    expect(sharingSummary({ ...open, visibility: 'private' })).toBe('Only you');
    expect(sharingSummary({ ...open, visibility: 'workspace', expiresAt: '2030-01-01T00:00:00Z' })).toBe('Workspace · expires');
    expect(sharingSummary(undefined)).toBe('');
  });
});

describe('safeNext', () => {
  it('only ever goes to a path on this site', () => {
    expect(safeNext('/record')).toBe('/record');
    expect(safeNext('/v/abc?t=1')).toBe('/v/abc?t=1');
    for (const bad of [null, '', 'https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      expect(safeNext(bad)).toBe('/');
    }
  });
});

describe('initials', () => {
  it('takes the first and last word', () => {
    expect(initials('Olive Owner')).toBe('OO');
    expect(initials('ada lovelace byron')).toBe('AB');
    expect(initials('max')).toBe('M');
    expect(initials('  ')).toBe('?');
    expect(initials('Élodie Ünal')).toBe('ÉÜ');
  });
});
