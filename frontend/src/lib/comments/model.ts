// The conversation of one video as the watch page holds it: threads with
// their replies, reactions and counts, and the id of the last live event
// applied. Pure data and functions (no DOM), so the merging rules are unit
// tested: the list a page loads and the events it then receives (live, or
// replayed after a reconnect, or its own writes' answers) may overlap and
// arrive in any mix, and applying any of them twice changes nothing.

import type { Attachment } from './attachment';

/** Comment is a comment or reply as the API shows it. Body and name are plain text. */
export interface Comment {
  id: string;
  videoId: string;
  /** The thread a reply belongs to; absent on threads. */
  parentId?: string;
  timeMs: number;
  /** End of the range the comment is about; absent for a moment. */
  endMs?: number;
  /** Empty on deleted placeholders. */
  body: string;
  authorName: string;
  byOwner: boolean;
  /** The caller wrote it; always false in live events (the page tracks its own ids). */
  mine: boolean;
  edited: boolean;
  deleted: boolean;
  resolved: boolean;
  createdAt: string;
  updatedAt: string;
  editedAt?: string;
  resolvedAt?: string;
  /** The recording the comment carries (attachment.ts). */
  attachment?: Attachment;
}

/** Thread is a top-level comment with its replies, oldest first. */
export interface Thread extends Comment {
  replies: Comment[];
}

export interface Reaction {
  id: string;
  videoId: string;
  emoji: string;
  timeMs: number;
  mine: boolean;
  createdAt: string;
}

export type Counts = Record<string, number>;

export type CommentEventType =
  | 'created'
  | 'updated'
  | 'deleted'
  | 'resolved'
  | 'reopened'
  | 'reaction'
  | 'unreaction';

/** CommentEvent is the data of an SSE `event: comment`. */
export interface CommentEvent {
  seq: number;
  type: CommentEventType;
  videoId: string;
  comment?: Comment;
  /** On deleted: the comment is gone (otherwise it became a placeholder). */
  removed?: boolean;
  reaction?: Reaction;
  /** On reaction and unreaction: the video's counts after the change. */
  counts?: Counts;
  at: string;
}

/** The fixed set of reactions, in display order (media.ReactionEmoji). */
export const REACTION_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '👀', '🙏', '🔥'] as const;

/** Names for screen readers and tooltips. */
export const EMOJI_NAMES: Record<string, string> = {
  '👍': 'Thumbs up',
  '❤️': 'Heart',
  '😂': 'Laughing',
  '🎉': 'Celebrate',
  '😮': 'Surprised',
  '👀': 'Eyes',
  '🙏': 'Thanks',
  '🔥': 'Fire',
};

export interface ConversationState {
  /** Threads ordered by time, then creation, then id (as the API lists them). */
  threads: Thread[];
  reactions: Map<string, Reaction>;
  counts: Counts;
  /** The last live event applied (or the list's lastEventId). */
  lastSeq: number;
  /** Ids of comments and reactions this browser wrote. */
  mine: Set<string>;
}

export function emptyState(): ConversationState {
  return { threads: [], reactions: new Map(), counts: {}, lastSeq: 0, mine: new Set() };
}

function byTime(a: Comment, b: Comment): number {
  return a.timeMs - b.timeMs || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

function byCreation(a: Comment, b: Comment): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

/** millis reads an RFC 3339 time; NaN-safe (0 for anything unreadable). */
function millis(t: string | undefined): number {
  const n = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(n) ? 0 : n;
}

/**
 * newer reports whether `next` may replace `prev`: answers and events can
 * cross (an event for an older change may arrive after the answer to a
 * newer one), so a comment never goes back in time.
 */
function newer(prev: Comment, next: Comment): boolean {
  return millis(next.updatedAt) >= millis(prev.updatedAt);
}

/** withMine marks a comment as this browser's when its id is known to be. */
function withMine<T extends Comment>(c: T, mine: Set<string>): T {
  if (c.mine && !c.deleted) mine.add(c.id);
  return { ...c, mine: !c.deleted && (c.mine || mine.has(c.id)) };
}

/**
 * loadState replaces the state with a loaded list of threads (all pages of
 * it), reactions and counts. `lastEventId` is the list's: events up to it
 * are already in the list.
 */
export function loadState(
  prev: ConversationState,
  threads: Thread[],
  reactions: Reaction[],
  counts: Counts,
  lastEventId: number,
): ConversationState {
  const mine = prev.mine;
  const ts = threads.map((t) => ({
    ...withMine(t, mine),
    replies: [...(t.replies ?? [])].map((r) => withMine(r, mine)).sort(byCreation),
  }));
  ts.sort(byTime);
  const rs = new Map<string, Reaction>();
  for (const r of reactions) {
    if (r.mine) mine.add(r.id);
    rs.set(r.id, { ...r, mine: r.mine || mine.has(r.id) });
  }
  return { threads: ts, reactions: rs, counts: { ...counts }, lastSeq: lastEventId, mine };
}

/**
 * upsertComment puts a comment (or reply) into the state as the server
 * described it: a new one is inserted in order, a known one is replaced
 * unless what is held is newer. A reply whose thread is unknown is
 * dropped (a reload brings it). Returns whether anything changed.
 */
export function upsertComment(s: ConversationState, c: Comment): boolean {
  let next = withMine(c, s.mine);
  if (next.parentId) {
    const th = s.threads.find((t) => t.id === next.parentId);
    if (!th) return false;
    const i = th.replies.findIndex((r) => r.id === next.id);
    if (i >= 0) {
      const prev = th.replies[i]!;
      if (!newer(prev, next) || sameComment(prev, next)) return false;
      th.replies[i] = keepAttachment(prev, next);
    } else {
      th.replies.push(next);
      th.replies.sort(byCreation);
    }
    return true;
  }
  const i = s.threads.findIndex((t) => t.id === next.id);
  if (i >= 0) {
    const prev = s.threads[i]!;
    if (!newer(prev, next) || sameComment(prev, next)) return false;
    next = keepAttachment(prev, next);
    s.threads[i] = { ...next, replies: prev.replies };
    if (prev.timeMs !== next.timeMs) s.threads.sort(byTime);
    return true;
  }
  s.threads.push({ ...next, replies: [] });
  s.threads.sort(byTime);
  return true;
}

/**
 * keepAttachment: only the list and the created event name a comment's
 * recording (later events carry the comment's row); a recording is never
 * taken off a comment, except with its text when it is deleted.
 */
function keepAttachment<T extends Comment>(prev: Comment, next: T): T {
  if (next.attachment || !prev.attachment || next.deleted) return next;
  return { ...next, attachment: prev.attachment };
}

function sameComment(a: Comment, b: Comment): boolean {
  return a.updatedAt === b.updatedAt && a.body === b.body && a.deleted === b.deleted &&
    a.resolved === b.resolved && a.mine === b.mine && a.edited === b.edited;
}

/** removeComment takes a comment (a thread with its replies) out. */
export function removeComment(s: ConversationState, id: string, parentId?: string): boolean {
  if (parentId) {
    const th = s.threads.find((t) => t.id === parentId);
    if (!th) return false;
    const n = th.replies.length;
    th.replies = th.replies.filter((r) => r.id !== id);
    return th.replies.length !== n;
  }
  const n = s.threads.length;
  s.threads = s.threads.filter((t) => t.id !== id);
  if (s.threads.length !== n) return true;
  // A reply whose parentId was not given.
  for (const th of s.threads) {
    const m = th.replies.length;
    th.replies = th.replies.filter((r) => r.id !== id);
    if (th.replies.length !== m) return true;
  }
  return false;
}

export function addReaction(s: ConversationState, r: Reaction, counts?: Counts): boolean {
  let changed = false;
  if (!s.reactions.has(r.id)) {
    s.reactions.set(r.id, { ...r, mine: r.mine || s.mine.has(r.id) });
    if (r.mine) s.mine.add(r.id);
    changed = true;
  }
  if (counts && !sameCounts(s.counts, counts)) {
    s.counts = { ...counts };
    changed = true;
  }
  return changed;
}

export function dropReaction(s: ConversationState, id: string, counts?: Counts): boolean {
  let changed = s.reactions.delete(id);
  if (counts && !sameCounts(s.counts, counts)) {
    s.counts = { ...counts };
    changed = true;
  }
  return changed;
}

function sameCounts(a: Counts, b: Counts): boolean {
  const ka = Object.keys(a).filter((k) => a[k]);
  const kb = Object.keys(b).filter((k) => b[k]);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

/**
 * applyEvent applies one live event. Events at or before lastSeq were
 * applied already (or are in the loaded list) and change nothing. Returns
 * whether the state changed.
 */
export function applyEvent(s: ConversationState, ev: CommentEvent): boolean {
  if (!Number.isFinite(ev.seq) || ev.seq <= s.lastSeq) return false;
  s.lastSeq = ev.seq;
  switch (ev.type) {
    case 'created':
    case 'updated':
    case 'resolved':
    case 'reopened':
      return ev.comment ? upsertComment(s, ev.comment) : false;
    case 'deleted':
      if (!ev.comment) return false;
      if (ev.removed) return removeComment(s, ev.comment.id, ev.comment.parentId);
      return upsertComment(s, { ...ev.comment, body: '', deleted: true, mine: false });
    case 'reaction':
      return ev.reaction ? addReaction(s, ev.reaction, ev.counts) : false;
    case 'unreaction':
      return ev.reaction ? dropReaction(s, ev.reaction.id, ev.counts) : false;
    default:
      return false;
  }
}

/** commentCount counts comments and replies, not deleted placeholders (as the API's count). */
export function commentCount(threads: Thread[]): number {
  let n = 0;
  for (const t of threads) {
    if (!t.deleted) n++;
    for (const r of t.replies) if (!r.deleted) n++;
  }
  return n;
}

/** How long after its moment a comment without a range counts as current. */
export const HOLD_MS = 5000;

/**
 * activeThreadId is the thread about the moment `tMs`: the latest one at
 * or before it, while `tMs` is within its range (or HOLD_MS of its moment).
 * Threads not in `threads` (e.g. hidden resolved ones) are not candidates.
 */
export function activeThreadId(threads: Thread[], tMs: number, holdMs = HOLD_MS): string | null {
  if (!Number.isFinite(tMs)) return null;
  let best: Thread | null = null;
  for (const t of threads) {
    if (t.timeMs > tMs) break;
    const end = t.endMs && t.endMs > t.timeMs ? t.endMs : t.timeMs + holdMs;
    if (tMs <= end) best = t;
  }
  return best?.id ?? null;
}

/** What the person may do with a comment. */
export interface Permissions {
  reply: boolean;
  edit: boolean;
  remove: boolean;
  resolve: boolean;
}

/**
 * permissions mirrors the server's rules so the page offers only what will
 * work: edit your own; delete your own or, as the video's owner, any;
 * resolve or reopen a thread as its author or the owner; reply to a live
 * thread when you may comment.
 */
export function permissions(c: Comment, opts: { isOwner: boolean; canComment: boolean; commentsOn: boolean }): Permissions {
  const thread = !c.parentId;
  if (c.deleted) {
    return { reply: false, edit: false, remove: false, resolve: false };
  }
  return {
    reply: thread && opts.canComment,
    edit: c.mine && opts.commentsOn,
    remove: c.mine || opts.isOwner,
    resolve: thread && (c.mine || opts.isOwner),
  };
}
