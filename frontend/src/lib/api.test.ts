import { describe, expect, it } from 'vitest';
import { ApiError, fallbackMessage, isSettled, parseApiError } from './api';
import { embedCode, embedUrl, shareAt, slugFromPath, startFrom } from './route';

describe('parseApiError', () => {
  it('uses the server code and message', () => {
    const err = parseApiError(404, '{"error":{"code":"not_found","message":"Video not found."}}');
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toBeInstanceOf(Error);
    expect(err.status).toBe(404);
    expect(err.code).toBe('not_found');
    expect(err.message).toBe('Video not found.');
    expect(err.notFound).toBe(true);
  });

  it('keeps the status code when the body is not JSON', () => {
    const err = parseApiError(502, '<html>Bad Gateway</html>');
    expect(err.code).toBe('http_502');
    expect(err.message).toBe(fallbackMessage(502));
    expect(err.notFound).toBe(false);
  });

  it.each([
    ['', 'empty body'],
    ['{}', 'no error object'],
    ['{"error":"boom"}', 'error is a string'],
    ['{"error":{"code":"x","message":"   "}}', 'blank message'],
    ['null', 'null'],
    ['[1,2]', 'array'],
  ])('falls back for %j (%s)', (body) => {
    const err = parseApiError(413, body);
    expect(err.message).toBe('That file is too large.');
  });

  it('keeps a code even when the message is missing', () => {
    const err = parseApiError(415, '{"error":{"code":"unsupported_format"}}');
    expect(err.code).toBe('unsupported_format');
    expect(err.message).toBe("That file type isn’t supported.");
  });

  it('has a message for every status', () => {
    for (const s of [0, 400, 401, 403, 404, 409, 418, 429, 500, 503]) {
      expect(fallbackMessage(s)).not.toBe('');
    }
  });
});

describe('isSettled', () => {
  it('is true only for final states', () => {
    expect(isSettled('ready')).toBe(true);
    expect(isSettled('failed')).toBe(true);
    expect(isSettled('created')).toBe(false);
    expect(isSettled('uploading')).toBe(false);
    expect(isSettled('processing')).toBe(false);
  });
});

describe('routes', () => {
  it.each([
    ['/v/abc123', 'v', 'abc123'],
    ['/v/abc123/', 'v', 'abc123'],
    ['/embed/xyz', 'embed', 'xyz'],
    ['/v/a%20b', 'v', 'a b'],
    ['/v/', 'v', ''],
    ['/v/a/b', 'v', ''],
    ['/embed/xyz', 'v', ''],
    ['/v/%E0%A4%A', 'v', ''],
  ])('slugFromPath(%j, %j) = %j', (path, prefix, want) => {
    expect(slugFromPath(path, prefix)).toBe(want);
  });

  it('builds the embed URL from the share URL origin', () => {
    expect(embedUrl('https://baton.example.com/v/abc', 'abc', 'http://localhost')).toBe(
      'https://baton.example.com/embed/abc',
    );
    expect(embedUrl('', 'abc', 'http://localhost:8080')).toBe('http://localhost:8080/embed/abc');
  });

  it('escapes the title in embed code', () => {
    const code = embedCode('https://x/embed/a', 'Say "hi" <b>&');
    expect(code).toContain('title="Say &quot;hi&quot; &lt;b&gt;&amp;"');
    expect(code).toContain('src="https://x/embed/a"');
  });
});

describe('embed options and timed links', () => {
  it('builds responsive and fixed embed code with start and autoplay', () => {
    const r = embedCode('https://x/embed/a', 'T', { responsive: true, width: 640, height: 360, start: 83.6, autoplay: true });
    expect(r).toContain('src="https://x/embed/a?t=83&amp;autoplay=1&amp;muted=1"');
    expect(r).toContain('aspect-ratio:16/9');
    const f = embedCode('https://x/embed/a', 'T', { responsive: false, width: 800, height: 450, start: 0, autoplay: false });
    expect(f).toContain('width="800" height="450"');
    expect(f).toContain('src="https://x/embed/a"');
  });
  it('adds and reads ?t=', () => {
    expect(shareAt('https://x/v/abc', 83.9)).toBe('https://x/v/abc?t=83');
    expect(shareAt('https://x/v/abc', 0)).toBe('https://x/v/abc');
    expect(startFrom('?t=83')).toBe(83);
    expect(startFrom('?t=1m23s')).toBe(83);
    expect(startFrom('?t=1:23')).toBe(83);
    expect(startFrom('?t=oops')).toBe(0);
    expect(startFrom('')).toBe(0);
  });
});
