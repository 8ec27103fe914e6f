// Comment and reaction calls on a shared video (/api/share/{slug}/...), for
// signed-in members (session cookie) and guests alike. A guest proves
// authorship with a per-browser secret sent as X-Guest-Secret; it and the
// guest's display name live in localStorage.
import { request } from '../api';
import type { Comment, Counts, Reaction, Thread } from './model';
import { commentExtras } from '../notify/composer';

const GUEST_KEY = 'baton.guest';

interface GuestIdentity {
  name: string;
  secret: string;
}

function readGuest(): GuestIdentity {
  try {
    const raw = localStorage.getItem(GUEST_KEY);
    if (raw) {
      const v: unknown = JSON.parse(raw);
      if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        return {
          name: typeof o.name === 'string' ? o.name.slice(0, 50) : '',
          secret: typeof o.secret === 'string' && /^[A-Za-z0-9_-]{22,128}$/.test(o.secret) ? o.secret : '',
        };
      }
    }
  } catch {
    // Storage blocked or garbage: start afresh.
  }
  return { name: '', secret: '' };
}

function writeGuest(g: GuestIdentity): void {
  try {
    localStorage.setItem(GUEST_KEY, JSON.stringify(g));
  } catch {
    // Private mode without storage: the name is asked again next time.
  }
}

/** guestName is the name this browser last commented under ("" if none). */
export function guestName(): string {
  return readGuest().name;
}

export function rememberGuestName(name: string): void {
  writeGuest({ ...readGuest(), name });
}

/**
 * guestSecret is this browser's secret, made on first use: 16 random bytes
 * as base64url (22 characters), which the server accepts as a guest's own.
 * Made here rather than taken from the first answer, so that two writes
 * racing from a fresh browser cannot end up with two identities.
 */
function guestSecret(create: boolean): string {
  const g = readGuest();
  if (g.secret || !create) return g.secret;
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const secret = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  writeGuest({ ...g, secret });
  return secret;
}

/** adoptSecret keeps a secret the server minted (when none was sent). */
function adoptSecret(secret: unknown): void {
  if (typeof secret === 'string' && /^[A-Za-z0-9_-]{22,128}$/.test(secret)) {
    writeGuest({ ...readGuest(), secret });
  }
}

export { RateLimitError } from '../api';

/** call is request() with this browser's guest secret, kept when the server mints one. */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const secret = guestSecret(method !== 'GET');
  const out = await request<T>(method, path, body, {
    headers: secret ? { 'X-Guest-Secret': secret } : {},
    cache: 'no-store',
  });
  if (out && typeof out === 'object' && 'guestSecret' in out) adoptSecret((out as { guestSecret?: unknown }).guestSecret);
  return out;
}

const enc = encodeURIComponent;
const base = (slug: string): string => `/api/share/${enc(slug)}`;

export interface ThreadPage {
  threads: Thread[];
  nextCursor: string;
  count: number;
  reactionCounts: Counts;
  lastEventId: number;
}

export interface ReactionPage {
  reactions: Reaction[];
  counts: Counts;
  emoji: string[];
  nextCursor: string;
}

/** Stop paging after this many pages: a runaway cursor must not hang the page. */
const MAX_PAGES = 50;

/**
 * loadAll reads every thread (all pages) and every reaction of a video. The
 * list's lastEventId is where the live stream resumes; it is taken from the
 * first page, so changes while later pages load are replayed, not missed.
 */
export async function loadAll(slug: string, withReactions: boolean): Promise<{
  threads: Thread[];
  reactions: Reaction[];
  counts: Counts;
  lastEventId: number;
}> {
  const threads: Thread[] = [];
  let first: ThreadPage | null = null;
  let cursor = '';
  for (let i = 0; i < MAX_PAGES; i++) {
    const q = new URLSearchParams({ limit: '200' });
    if (cursor) q.set('cursor', cursor);
    const p = await call<ThreadPage>('GET', `${base(slug)}/comments?${q}`);
    first ??= p;
    threads.push(...p.threads);
    cursor = p.nextCursor;
    if (!cursor) break;
  }
  const reactions: Reaction[] = [];
  let counts = first?.reactionCounts ?? {};
  if (withReactions) {
    cursor = '';
    for (let i = 0; i < MAX_PAGES; i++) {
      const q = new URLSearchParams({ limit: '1000' });
      if (cursor) q.set('cursor', cursor);
      const p = await call<ReactionPage>('GET', `${base(slug)}/reactions?${q}`);
      reactions.push(...p.reactions);
      counts = p.counts;
      cursor = p.nextCursor;
      if (!cursor) break;
    }
  }
  return { threads, reactions, counts, lastEventId: first?.lastEventId ?? 0 };
}

export interface NewComment {
  body: string;
  timeMs: number;
  endMs?: number;
  parentId?: string;
  guestName?: string;
  /** A recording made for this comment (recordreply.ts). */
  attachment?: { videoId: string };
}

export function createComment(slug: string, c: NewComment): Promise<Comment> {
  return call('POST', `${base(slug)}/comments`, { ...c, ...commentExtras() }); // notify/composer.ts
}

export function editComment(slug: string, id: string, body: string): Promise<Comment> {
  return call('PATCH', `${base(slug)}/comments/${enc(id)}`, { body });
}

export function deleteComment(slug: string, id: string): Promise<{ comment: Comment; removed: boolean }> {
  return call('DELETE', `${base(slug)}/comments/${enc(id)}`);
}

export function setResolved(slug: string, id: string, resolved: boolean): Promise<Comment> {
  return call('POST', `${base(slug)}/comments/${enc(id)}/${resolved ? 'resolve' : 'reopen'}`);
}

export function react(slug: string, emoji: string, timeMs: number): Promise<{ reaction: Reaction; counts: Counts }> {
  return call('POST', `${base(slug)}/reactions`, { emoji, timeMs });
}

export function unreact(slug: string, id: string): Promise<{ counts: Counts }> {
  return call('DELETE', `${base(slug)}/reactions/${enc(id)}`);
}

export function exportUrl(slug: string, kind: 'json' | 'vtt'): string {
  return `${base(slug)}/comments.${kind}`;
}

/** eventsUrl is the live stream, resuming after lastEventId (null: from now). */
export function eventsUrl(slug: string, lastEventId: number | null): string {
  if (lastEventId === null) return `${base(slug)}/events`;
  return `${base(slug)}/events?lastEventId=${Math.max(0, Math.floor(lastEventId))}`;
}
