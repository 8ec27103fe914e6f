// The transcript as the watch page holds it, and the rules the panel
// follows: which line is being spoken at a moment, where a search matches,
// and how comments and lines interleave into one record read top to
// bottom. Pure data and functions (no DOM), so the rules are unit tested.
import type { Thread } from '../comments/model';

export type TranscriptStatus = 'pending' | 'done' | 'failed' | 'off';

/** Segment is one timed line (the API's segmentJSON). */
export interface Segment {
  id: number;
  startMs: number;
  endMs: number;
  text: string;
  /** The owner corrected it by hand. */
  edited?: boolean;
}

/** Transcript is GET /api/share/{slug}/transcript. */
export interface Transcript {
  status: TranscriptStatus;
  engine: string;
  language: string;
  /** Why it failed or is off (and how to turn it on), for a person. */
  message?: string;
  segments: Segment[];
  captionsUrl?: string;
  downloads?: Partial<Record<'txt' | 'vtt' | 'srt', string>>;
}

/**
 * lineAt is the index of the line being spoken at ms: the last line that
 * started at or before it. A line stays current through the pause after
 * it, so the highlight does not flicker off between sentences. -1 before
 * the first line. segments must be in time order (the API's order).
 */
export function lineAt(segments: readonly Pick<Segment, 'startMs'>[], ms: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid]!.startMs <= ms) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** escapeRegExp makes text match itself in a RegExp. */
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * matcher turns what a person typed in the search box into a test for
 * text: case-insensitive, the words in order with any spacing between
 * them. null for a query of only spaces.
 */
export function matcher(query: string): RegExp | null {
  const words = query.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return null;
  return new RegExp(words.map(escapeRegExp).join('\\s+'), 'giu');
}

/** findMatches is the [start, end) ranges of text the query matches, in order, not overlapping. */
export function findMatches(text: string, query: string | RegExp | null): [number, number][] {
  const re = typeof query === 'string' ? matcher(query) : query;
  if (!re) return [];
  re.lastIndex = 0;
  const out: [number, number][] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

/** A comment as the record shows it: the thread's opening comment and how many replies it has. */
export interface RecordComment {
  id: string;
  timeMs: number;
  authorName: string;
  body: string;
  replies: number;
  resolved: boolean;
  byOwner: boolean;
  deleted: boolean;
}

export type Entry =
  | { kind: 'line'; seg: Segment; line: number; timeMs: number }
  | { kind: 'comment'; comment: RecordComment; timeMs: number };

/** recordComments is the threads as the record lists them: deleted ones only while they hold replies. */
export function recordComments(threads: readonly Thread[]): RecordComment[] {
  return threads
    .filter((t) => !t.deleted || t.replies.some((r) => !r.deleted))
    .map((t) => ({
      id: t.id, timeMs: t.timeMs, authorName: t.authorName, body: t.body,
      replies: t.replies.filter((r) => !r.deleted).length, resolved: t.resolved, byOwner: t.byOwner, deleted: t.deleted,
    }));
}

/**
 * interleave is the record: transcript lines and comments in the order of
 * the video. A comment comes after the line that was being spoken at its
 * moment (a comment at 0:04 during the line that started at 0:03 follows
 * that line), before the next one; comments at the same moment keep the
 * order they came in. Comments before the first line come first.
 */
export function interleave(segments: readonly Segment[], comments: readonly RecordComment[]): Entry[] {
  const sorted = comments.map((c, i) => ({ c, i })).sort((a, b) => a.c.timeMs - b.c.timeMs || a.i - b.i).map((x) => x.c);
  const out: Entry[] = [];
  let k = 0;
  segments.forEach((seg, line) => {
    while (k < sorted.length && sorted[k]!.timeMs < seg.startMs) {
      const c = sorted[k++]!;
      out.push({ kind: 'comment', comment: c, timeMs: c.timeMs });
    }
    out.push({ kind: 'line', seg, line, timeMs: seg.startMs });
  });
  while (k < sorted.length) {
    const c = sorted[k++]!;
    out.push({ kind: 'comment', comment: c, timeMs: c.timeMs });
  }
  return out;
}

/**
 * pendingHint says how long a transcript usually takes, in words. The
 * pocketsphinx figure is the one bench/transcribe measures (about 0.4 s
 * of CPU per second of speech); other engines depend on the model and the
 * machine, so they get no number.
 */
export function pendingHint(engine: string, durationMs: number): string {
  if (engine === 'pocketsphinx') {
    const perMinute = 25;
    const mins = durationMs > 0 ? durationMs / 60_000 : 0;
    const total = Math.round(mins * perMinute);
    const forThis = total >= 5 ? ` (about ${total < 90 ? `${total} s` : `${Math.round(total / 60)} min`} for this video)` : '';
    return `This usually takes about ${perMinute} s per minute of video${forThis}.`;
  }
  if (engine === 'openai') return 'The transcription service usually answers in well under the video’s length.';
  return 'This usually takes less time than the video lasts.';
}

/**
 * recordText is the record as a plain-text document: what was said and
 * what people wrote about it, by time, with each thread's replies under
 * it. What someone pastes into their notes instead of watching.
 */
export function recordText(title: string, segments: readonly Segment[], threads: readonly Thread[], clock: (ms: number) => string): string {
  const indent = (text: string, pad: string): string => text.split(/\r?\n/).join(`\n${pad}`);
  const byId = new Map(threads.map((t) => [t.id, t]));
  const out: string[] = [title.trim() || 'Untitled video', 'Transcript and comments, by time.', ''];
  for (const e of interleave(segments, recordComments(threads))) {
    const at = `[${clock(e.timeMs)}] `;
    const pad = ' '.repeat(at.length);
    if (e.kind === 'line') {
      out.push(at + e.seg.text);
      continue;
    }
    const c = e.comment;
    out.push(at + (c.deleted ? 'Comment deleted' : `${c.authorName}: ${indent(c.body, pad)}`) + (c.resolved ? ' (resolved)' : ''));
    for (const r of byId.get(c.id)?.replies ?? []) {
      if (!r.deleted) out.push(`${pad}↳ ${r.authorName}: ${indent(r.body, `${pad}  `)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
