// Comment bodies are plain text. linkify finds the http(s) links in one so
// the page can make just those clickable; everything else stays text. The
// DOM side (renderText) builds text nodes and <a> elements itself, so no
// markup in a comment is ever parsed.

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string };

/**
 * A link starts with http:// or https:// (any case) at a word boundary and
 * runs until whitespace, a quote, angle bracket or backtick, or a Unicode
 * control that could reorder or hide text (bidi overrides and isolates,
 * zero-width characters).
 */
const LINK = /\bhttps?:\/\/[^\s<>"'`\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+/giu;

/** Links longer than this stay text: nobody shares one, and they swamp a line. */
const MAX_LINK = 2048;

/** Characters that usually end a sentence rather than a link. */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', '*', '_', '~']);
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** trimLink drops trailing punctuation and unbalanced closing brackets. */
function trimLink(s: string): string {
  let end = s.length;
  for (;;) {
    const ch = s[end - 1];
    if (ch === undefined) break;
    if (TRAILING.has(ch)) {
      end--;
      continue;
    }
    const open = CLOSERS[ch];
    if (open) {
      const part = s.slice(0, end);
      const opens = part.split(open).length - 1;
      const closes = part.split(ch).length - 1;
      if (closes > opens) {
        end--;
        continue;
      }
    }
    break;
  }
  return s.slice(0, end);
}

/**
 * safeHref returns a normalized http(s) URL for s, or null for anything
 * else (javascript:, data:, relative, unparseable, no host).
 */
export function safeHref(s: string): string | null {
  if (!/^https?:\/\//i.test(s)) return null;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return null;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) return null;
  return u.href;
}

/**
 * linkify splits text into text and link segments. Joining every segment's
 * text gives back the input exactly.
 */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  const pushText = (t: string): void => {
    if (!t) return;
    const prev = out[out.length - 1];
    if (prev && prev.kind === 'text') prev.text += t;
    else out.push({ kind: 'text', text: t });
  };
  for (const m of text.matchAll(LINK)) {
    const start = m.index ?? 0;
    const candidate = trimLink(m[0]);
    const href = candidate.length <= MAX_LINK ? safeHref(candidate) : null;
    // "https://" alone, or anything URL() refuses, stays text.
    if (!href) continue;
    pushText(text.slice(last, start));
    out.push({ kind: 'link', text: candidate, href });
    last = start + candidate.length;
  }
  pushText(text.slice(last));
  return out;
}
