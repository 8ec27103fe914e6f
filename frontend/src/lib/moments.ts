// Moments: what the library search finds inside videos (what was said, and
// comments), each a link to the watch page at that moment. Titles are left
// to the library grid, which already filters by them.

import { request } from './api';
import { h } from './dom';
import { formatClock } from './format';

export interface SearchResult {
  videoId: string;
  slug: string;
  title: string;
  kind: 'title' | 'comment' | 'transcript';
  /** Plain text around the match; never HTML. */
  text: string;
  timeMs: number;
  /** [start, end) of matched words in text, in UTF-16 units (JS string indices). */
  marks: [number, number][];
  /** The watch page at the moment. */
  url: string;
}

export function searchVideos(q: string): Promise<{ results: SearchResult[] }> {
  return request('GET', `/api/search?q=${encodeURIComponent(q)}&limit=30`, undefined, { cache: 'no-store' });
}

/** A run of a result's text, marked when it matched. */
export interface Part {
  text: string;
  mark: boolean;
}

/**
 * markParts splits text at its marked ranges. Ranges that overlap, run
 * backwards or past the end are ignored, so a bad answer never garbles the
 * text.
 */
export function markParts(text: string, marks: [number, number][]): Part[] {
  const out: Part[] = [];
  let at = 0;
  for (const [start, end] of [...marks].sort((a, b) => a[0] - b[0])) {
    if (start < at || end > text.length || end <= start) continue;
    if (start > at) out.push({ text: text.slice(at, start), mark: false });
    out.push({ text: text.slice(start, end), mark: true });
    at = end;
  }
  if (at < text.length) out.push({ text: text.slice(at), mark: false });
  return out;
}

/** highlight builds text with its marked ranges wrapped in <mark>, as text nodes only. */
export function highlight(text: string, marks: [number, number][]): Node[] {
  return markParts(text, marks).map((p) => (p.mark ? h('mark', { text: p.text }) : document.createTextNode(p.text)));
}

function renderMoment(r: SearchResult): HTMLLIElement {
  const what = r.kind === 'transcript' ? 'Said' : 'Comment';
  const p = h('p', { class: 'moment__text' });
  p.append(...highlight(r.text, r.marks));
  return h('li', { class: 'moment' },
    h('a', { class: 'moment__link', href: r.url },
      h('span', { class: 'moment__meta' },
        h('span', { class: 'moment__time', text: formatClock(r.timeMs) }),
        h('span', { class: 'moment__kind', text: what }),
        h('span', { class: 'moment__title', text: r.title || 'Untitled' }),
      ),
      p,
    ),
  );
}

let seq = 0;

/**
 * showMoments fills section (which holds a heading and a list) with the
 * moments matching q, or hides it when there are none. Older answers that
 * arrive late are dropped.
 */
export async function showMoments(section: HTMLElement, list: HTMLElement, q: string): Promise<void> {
  const mine = ++seq;
  if (q.trim() === '') {
    section.hidden = true;
    list.replaceChildren();
    return;
  }
  let results: SearchResult[];
  try {
    results = (await searchVideos(q)).results.filter((r) => r.kind !== 'title');
  } catch {
    // A query the index cannot use (only punctuation, too many words) finds
    // no moments; the title search still answers.
    results = [];
  }
  if (mine !== seq) return;
  list.replaceChildren(...results.map(renderMoment));
  section.hidden = results.length === 0;
}
