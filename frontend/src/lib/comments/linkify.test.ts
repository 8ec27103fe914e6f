import { describe, expect, it } from 'vitest';
import { linkify, safeHref } from './linkify';

const join = (text: string): string => linkify(text).map((s) => s.text).join('');
const links = (text: string): { text: string; href: string }[] =>
  linkify(text).flatMap((s) => (s.kind === 'link' ? [{ text: s.text, href: s.href }] : []));

describe('linkify', () => {
  it('finds http and https links and leaves the rest as text', () => {
    expect(linkify('see https://example.com/a?b=1#c now')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c' },
      { kind: 'text', text: ' now' },
    ]);
    expect(links('HTTP://Example.COM/x')).toEqual([{ text: 'HTTP://Example.COM/x', href: 'http://example.com/x' }]);
  });

  it('drops trailing punctuation and unbalanced brackets', () => {
    expect(links('(see https://example.com/a).')).toEqual([{ text: 'https://example.com/a', href: 'https://example.com/a' }]);
    expect(links('https://en.wikipedia.org/wiki/Foo_(bar), ok')[0]?.text).toBe('https://en.wikipedia.org/wiki/Foo_(bar)');
    expect(links('Is it https://example.com?')[0]?.text).toBe('https://example.com');
    expect(links('[https://example.com/x]')[0]?.text).toBe('https://example.com/x');
  });

  it.each([
    'javascript:alert(1)',
    'javascript:window.__pwned=1',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    '//evil.example/x',
    '/relative/path',
    'https://',
    'http://',
    'https:// spaced.example',
    'xhttps://example.com',
    '<a href="javascript:alert(1)">x</a>',
  ])('makes no link of %j', (s) => {
    for (const l of links(s)) expect(l.href).toMatch(/^https?:\/\//);
    expect(links(s).some((l) => /javascript|data:|vbscript|file:/i.test(l.href))).toBe(false);
    expect(join(s)).toBe(s);
  });

  it('stops links at quotes, angle brackets and bidi controls', () => {
    expect(links('https://example.com/"onmouseover="alert(1)')[0]?.text).toBe('https://example.com/');
    expect(links("https://example.com/'x")[0]?.text).toBe('https://example.com/');
    expect(links('<https://example.com/x>')[0]?.text).toBe('https://example.com/x');
    expect(links('https://example.com/\u202Egnp.exe')[0]?.text).toBe('https://example.com/');
    expect(links('https://exa\u200Bmple.com')[0]?.text).toBe('https://exa');
  });

  it('gives back the input exactly when joined', () => {
    const hostile = [
      '<script>window.__pwned=1</script>',
      '<img src=x onerror="window.__pwned=1">',
      '</textarea><script>window.__pwned=1</script>',
      "{{constructor.constructor('window.__pwned=1')()}}",
      '${window.__pwned=1}',
      '\u202Eevil\u202C https://example.com/\u202E',
      'line one\nline two https://a.example/b.\n\nhttps://c.example',
      '',
      'https://example.com https://example.org',
    ];
    for (const s of hostile) expect(join(s)).toBe(s);
  });

  it('keeps long links as text', () => {
    const long = `https://example.com/${'a'.repeat(3000)}`;
    expect(links(long)).toEqual([]);
    expect(join(long)).toBe(long);
  });

  it('merges neighbouring text', () => {
    expect(linkify('a javascript:b c')).toEqual([{ kind: 'text', text: 'a javascript:b c' }]);
  });
});

describe('safeHref', () => {
  it.each([
    ['https://example.com', 'https://example.com/'],
    ['http://example.com/a b', 'http://example.com/a%20b'],
    ['javascript:alert(1)', null],
    [' https://example.com', null],
    ['https://', null],
    ['mailto:a@example.com', null],
  ])('%j -> %j', (input, want) => {
    expect(safeHref(input)).toBe(want);
  });
});
