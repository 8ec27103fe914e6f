import { describe, expect, it } from 'vitest';
import {
  activeThreadId, applyEvent, commentCount, emptyState, loadState, permissions, upsertComment,
  type Comment, type CommentEvent, type Reaction, type Thread,
} from './model';

const T0 = '2025-01-01T10:00:00Z';
const later = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString();

function comment(id: string, over: Partial<Comment> = {}): Comment {
  return {
    id, videoId: 'v', timeMs: 0, body: `body ${id}`, authorName: 'Ann', byOwner: false, mine: false,
    edited: false, deleted: false, resolved: false, createdAt: T0, updatedAt: T0, ...over,
  };
}

function thread(id: string, over: Partial<Thread> = {}): Thread {
  return { ...comment(id, over), replies: over.replies ?? [] };
}

function reaction(id: string, emoji = '👍', timeMs = 0): Reaction {
  return { id, videoId: 'v', emoji, timeMs, mine: false, createdAt: T0 };
}

let seq = 0;
function ev(type: CommentEvent['type'], over: Partial<CommentEvent> = {}): CommentEvent {
  return { seq: ++seq, type, videoId: 'v', at: T0, ...over };
}

function loaded(threads: Thread[], lastEventId = 0) {
  return loadState(emptyState(), threads, [], {}, lastEventId);
}

describe('loadState', () => {
  it('orders threads by time, then creation, replies by creation; remembers mine', () => {
    const s = loadState(emptyState(), [
      thread('b', { timeMs: 5000 }),
      thread('a', { timeMs: 1000, mine: true, replies: [comment('r2', { parentId: 'a', createdAt: later(2) }), comment('r1', { parentId: 'a', createdAt: later(1) })] }),
      thread('c', { timeMs: 1000, createdAt: later(5) }),
    ], [reaction('x'), { ...reaction('y'), mine: true }], { '👍': 2 }, 42);
    expect(s.threads.map((t) => t.id)).toEqual(['a', 'c', 'b']);
    expect(s.threads[0]!.replies.map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(s.lastSeq).toBe(42);
    expect([...s.mine].sort()).toEqual(['a', 'y']);
    expect(s.counts).toEqual({ '👍': 2 });
  });

  it('keeps what this browser wrote across reloads', () => {
    const s = loaded([thread('a')]);
    s.mine.add('a');
    const s2 = loadState(s, [thread('a')], [], {}, 3);
    expect(s2.threads[0]!.mine).toBe(true);
  });
});

describe('applyEvent', () => {
  it('adds a created thread in time order and a created reply to its thread', () => {
    const s = loaded([thread('a', { timeMs: 1000 }), thread('c', { timeMs: 9000 })], 10);
    expect(applyEvent(s, { ...ev('created'), seq: 11, comment: comment('b', { timeMs: 5000 }) })).toBe(true);
    expect(s.threads.map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect(applyEvent(s, { ...ev('created'), seq: 12, comment: comment('r', { parentId: 'b', timeMs: 5000 }) })).toBe(true);
    expect(s.threads[1]!.replies.map((r) => r.id)).toEqual(['r']);
    expect(s.lastSeq).toBe(12);
  });

  it('is idempotent: replays and duplicates change nothing', () => {
    const s = loaded([], 0);
    const e1 = { ...ev('created'), seq: 1, comment: comment('a') };
    const e2 = { ...ev('reaction'), seq: 2, reaction: reaction('x'), counts: { '👍': 1 } };
    expect(applyEvent(s, e1)).toBe(true);
    expect(applyEvent(s, e2)).toBe(true);
    const snapshot = JSON.stringify({ t: s.threads, r: [...s.reactions], c: s.counts });
    expect(applyEvent(s, e1)).toBe(false);
    expect(applyEvent(s, e2)).toBe(false);
    expect(JSON.stringify({ t: s.threads, r: [...s.reactions], c: s.counts })).toBe(snapshot);
    expect(s.threads).toHaveLength(1);
  });

  it('skips events already in the loaded list', () => {
    const s = loaded([thread('a')], 5);
    expect(applyEvent(s, { ...ev('deleted'), seq: 5, comment: comment('a'), removed: true })).toBe(false);
    expect(s.threads).toHaveLength(1);
  });

  it('applies an event for a comment the page already added from its own answer', () => {
    const s = loaded([], 0);
    s.mine.add('a');
    upsertComment(s, comment('a', { mine: true }));
    // The live event has mine=false; the page still knows it is its own.
    expect(applyEvent(s, { ...ev('created'), seq: 1, comment: comment('a') })).toBe(false);
    expect(s.threads).toHaveLength(1);
    expect(s.threads[0]!.mine).toBe(true);
  });

  it('updates, resolves and reopens without losing replies', () => {
    const s = loaded([thread('a', { replies: [comment('r', { parentId: 'a' })] })], 0);
    applyEvent(s, { ...ev('updated'), seq: 1, comment: comment('a', { body: 'new', edited: true, updatedAt: later(1) }) });
    expect(s.threads[0]!.body).toBe('new');
    expect(s.threads[0]!.edited).toBe(true);
    expect(s.threads[0]!.replies).toHaveLength(1);
    applyEvent(s, { ...ev('resolved'), seq: 2, comment: comment('a', { body: 'new', resolved: true, updatedAt: later(2) }) });
    expect(s.threads[0]!.resolved).toBe(true);
    applyEvent(s, { ...ev('reopened'), seq: 3, comment: comment('a', { body: 'new', resolved: false, updatedAt: later(3) }) });
    expect(s.threads[0]!.resolved).toBe(false);
    expect(s.threads[0]!.replies).toHaveLength(1);
  });

  it('never goes back in time when an older change arrives after a newer answer', () => {
    const s = loaded([thread('a')], 0);
    upsertComment(s, comment('a', { body: 'second edit', updatedAt: later(10) }));
    applyEvent(s, { ...ev('updated'), seq: 1, comment: comment('a', { body: 'first edit', updatedAt: later(5) }) });
    expect(s.threads[0]!.body).toBe('second edit');
  });

  it('turns a deleted thread with replies into a placeholder, and removes removed ones', () => {
    const s = loaded([
      thread('a', { mine: true, replies: [comment('r1', { parentId: 'a' }), comment('r2', { parentId: 'a', createdAt: later(1) })] }),
      thread('b', { timeMs: 3000 }),
    ], 0);
    applyEvent(s, { ...ev('deleted'), seq: 1, comment: comment('a', { body: 'secret', updatedAt: later(2) }), removed: false });
    expect(s.threads[0]!.deleted).toBe(true);
    expect(s.threads[0]!.body).toBe('');
    expect(s.threads[0]!.mine).toBe(false);
    expect(commentCount(s.threads)).toBe(3);
    applyEvent(s, { ...ev('deleted'), seq: 2, comment: comment('r1', { parentId: 'a' }), removed: true });
    expect(s.threads[0]!.replies.map((r) => r.id)).toEqual(['r2']);
    // The last reply takes the placeholder with it: two events.
    applyEvent(s, { ...ev('deleted'), seq: 3, comment: comment('r2', { parentId: 'a' }), removed: true });
    applyEvent(s, { ...ev('deleted'), seq: 4, comment: comment('a'), removed: true });
    expect(s.threads.map((t) => t.id)).toEqual(['b']);
    applyEvent(s, { ...ev('deleted'), seq: 5, comment: comment('b'), removed: true });
    expect(s.threads).toEqual([]);
  });

  it('drops a reply whose thread it does not know (a reload brings it)', () => {
    const s = loaded([], 0);
    expect(applyEvent(s, { ...ev('created'), seq: 1, comment: comment('r', { parentId: 'zzz' }) })).toBe(false);
    expect(s.lastSeq).toBe(1);
  });

  it('counts reactions from the events and removes unreactions', () => {
    const s = loaded([], 0);
    applyEvent(s, { ...ev('reaction'), seq: 1, reaction: reaction('x', '🔥', 1000), counts: { '🔥': 1 } });
    applyEvent(s, { ...ev('reaction'), seq: 2, reaction: reaction('y', '🔥', 2000), counts: { '🔥': 2 } });
    expect(s.counts).toEqual({ '🔥': 2 });
    expect(s.reactions.size).toBe(2);
    applyEvent(s, { ...ev('unreaction'), seq: 3, reaction: reaction('x', '🔥', 1000), counts: { '🔥': 1 } });
    expect(s.reactions.has('x')).toBe(false);
    expect(s.counts).toEqual({ '🔥': 1 });
  });

  it('ignores malformed events', () => {
    const s = loaded([], 0);
    expect(applyEvent(s, { ...ev('created'), seq: Number.NaN, comment: comment('a') })).toBe(false);
    expect(applyEvent(s, { ...ev('created'), seq: 7 })).toBe(false);
    expect(applyEvent(s, { ...ev('bogus' as CommentEvent['type']), seq: 8 })).toBe(false);
    expect(s.threads).toEqual([]);
  });

  it('a replay after a reconnect brings exactly the missed changes', () => {
    const events: CommentEvent[] = [1, 2, 3, 4, 5].map((n) => ({ ...ev('created'), seq: n, comment: comment(`c${n}`, { timeMs: n * 1000 }) }));
    const live = loaded([], 0);
    for (const e of events.slice(0, 3)) applyEvent(live, e);
    // The stream dropped after 3; the server replays from Last-Event-ID 3,
    // and may repeat what was in flight.
    for (const e of events.slice(2)) applyEvent(live, e);
    expect(live.threads.map((t) => t.id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(live.lastSeq).toBe(5);
  });
});

describe('recorded replies', () => {
  const rec = { videoId: 'r', kind: 'voice' as const, durationMs: 0, mp4Url: '/media/s/video.mp4', eventsUrl: '/api/share/s/events' };
  it('keeps a recording when a later event carries only the comment', () => {
    const s = loaded([thread('a', { attachment: rec, replies: [comment('b', { parentId: 'a', attachment: rec })] })]);
    expect(applyEvent(s, ev('resolved', { comment: comment('a', { resolved: true, updatedAt: later(1) }) }))).toBe(true);
    expect(applyEvent(s, ev('updated', { comment: comment('b', { parentId: 'a', body: 'edited', updatedAt: later(1) }) }))).toBe(true);
    expect(s.threads[0]!.attachment?.videoId).toBe('r');
    expect(s.threads[0]!.resolved).toBe(true);
    expect(s.threads[0]!.replies[0]!.attachment?.videoId).toBe('r');
    expect(s.threads[0]!.replies[0]!.body).toBe('edited');
  });
  it('drops it with the deleted comment', () => {
    const s = loaded([thread('a', { attachment: rec, replies: [comment('b', { parentId: 'a' })] })]);
    applyEvent(s, ev('deleted', { comment: comment('a', { deleted: true, body: '', updatedAt: later(1) }) }));
    expect(s.threads[0]!.deleted).toBe(true);
    expect(s.threads[0]!.attachment).toBeUndefined();
  });
});

describe('activeThreadId', () => {
  const ts = [
    thread('a', { timeMs: 1000 }),
    thread('b', { timeMs: 10_000, endMs: 30_000 }),
    thread('c', { timeMs: 20_000 }),
  ];
  it.each([
    [0, null],
    [1000, 'a'],
    [5999, 'a'],
    [6001, null],
    [10_000, 'b'],
    [19_999, 'b'],
    [20_000, 'c'],
    [25_001, 'b'],
    [30_001, null],
    [Number.NaN, null],
  ])('at %d ms -> %s', (t, want) => {
    expect(activeThreadId(ts, t)).toBe(want);
  });
});

describe('permissions', () => {
  const opts = { isOwner: false, canComment: true, commentsOn: true };
  it('lets authors edit, delete and resolve their own threads', () => {
    expect(permissions(comment('a', { mine: true }), opts)).toEqual({ reply: true, edit: true, remove: true, resolve: true });
  });
  it('lets the owner delete and resolve anyone’s, but not edit', () => {
    expect(permissions(comment('a'), { ...opts, isOwner: true })).toEqual({ reply: true, edit: false, remove: true, resolve: true });
  });
  it('lets others only reply', () => {
    expect(permissions(comment('a'), opts)).toEqual({ reply: true, edit: false, remove: false, resolve: false });
  });
  it('does not resolve or reply to replies', () => {
    expect(permissions(comment('r', { parentId: 'a', mine: true }), opts)).toEqual({ reply: false, edit: true, remove: true, resolve: false });
  });
  it('offers nothing on a deleted placeholder, and no writing when comments are off', () => {
    expect(permissions(comment('a', { deleted: true, mine: true }), { ...opts, isOwner: true })).toEqual({ reply: false, edit: false, remove: false, resolve: false });
    expect(permissions(comment('a', { mine: true }), { isOwner: false, canComment: false, commentsOn: false }).edit).toBe(false);
  });
});
