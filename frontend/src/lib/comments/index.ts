// The watch page's conversation: the marker strip and reaction bar under the
// player, and the comment panel (composer, threads, export links) beside
// it on wide screens or below it on phones. Everything stays live over the
// page's one event stream, which also carries the video's own changes
// (handed to the page through onVideo).
//
// Hooks for tests: window.__batonComments (lastSeq, connected, applied,
// disconnect(), connect(), threads()), and data-last-seq / data-connected
// on #comments.
import type { Video } from '../api';
import { me } from '../auth';
import { confirmDialog } from '../dialog';
import { h, icon, prefersReducedMotion } from '../dom';
import { emoji as emojiPicture } from '../emoji';
import { toastError } from '../toast';
import * as api from './api';
import { Composer } from './composer';
import {
  activeThreadId, addReaction, applyEvent, commentCount, dropReaction, emptyState, EMOJI_NAMES,
  loadState, removeComment, upsertComment, type Comment, type CommentEvent, type ConversationState, type Thread,
} from './model';
import { ReplyRecorder, offerRecovery } from './recordreply';
import { openStream, type Stream } from './stream';
import { ThreadList, type ListContext } from './threads';
import { formatTimecode } from './timecode';
import { Timeline } from './timeline';
import type { Stage } from '../stage';

/** The video's discussion settings (api.Video leaves them out). */
type VideoSettings = Video & { commentsEnabled?: boolean; guestComments?: boolean; reactionsEnabled?: boolean };

export interface CommentsOptions {
  /** The stage (#stage) and its player, whenever there is one. */
  stage: Stage;
  stageEl: HTMLElement;
  /** The panel goes after this element (the title and share row). */
  after: HTMLElement;
  video: Video;
  /** Every new state of the video from the event stream. */
  onVideo(v: Video): void;
}

export interface CommentsController {
  /** The page has a new state of the video (from the stream, or the sharing dialog). */
  update(v: Video): void;
  /** The panel (#comments). Before it takes focus it dispatches REVEAL (bubbling), so a tab holding it can show it. */
  readonly panel: HTMLElement;
  /** The threads now, and fn after every change to them (the transcript's record interleaves them). */
  threads(): readonly Thread[];
  onThreads(fn: (threads: readonly Thread[]) => void): void;
}

/** REVEAL is the event a panel sends when it is about to be used (a marker opened a thread, N composes). */
export const REVEAL = 'baton:reveal';

interface TestHooks {
  readonly lastSeq: number;
  readonly connected: boolean;
  readonly applied: number;
  disconnect(): void;
  connect(): void;
  threads(): { id: string; timeMs: number; body: string; replies: number; resolved: boolean }[];
}

declare global {
  interface Window {
    __batonComments?: TestHooks;
  }
}

/** After the person scrolls or clicks in the list, it does not follow playback for this long. */
const HANDS_OFF_MS = 4000;

export function mountComments(opts: CommentsOptions): CommentsController {
  let video: VideoSettings = opts.video;
  let slug = video.slug;
  let state: ConversationState = emptyState();
  let loaded = false;
  let applied = 0;
  let signedIn = false;
  let composer: Composer | null = null;
  let stream: Stream | null = null;
  let lastInteraction = 0;
  let renderQueued = false;
  // Events that arrive while the list reloads, applied on top of it.
  let buffer: CommentEvent[] | null = null;
  const watchers: ((threads: readonly Thread[]) => void)[] = [];

  const durationMs = (): number => (video.durationMs > 0 ? video.durationMs : 0);
  const player = (): HTMLVideoElement | null => opts.stage.player()?.media ?? null;
  const playerMs = (): number => {
    const p = player();
    return p && Number.isFinite(p.currentTime) ? Math.floor(p.currentTime * 1000) : 0;
  };
  /** currentMs is where a comment made now goes; only 0 while the length is unknown (live). */
  const currentMs = (): number => {
    const d = durationMs();
    return d > 0 ? Math.min(d, Math.max(0, playerMs())) : 0;
  };
  const commentsOn = (): boolean => video.commentsEnabled !== false;
  const reactionsOn = (): boolean => video.reactionsEnabled !== false;
  const canComment = (): boolean => commentsOn() && (signedIn || video.guestComments !== false);
  const ctx = (): ListContext => ({
    isOwner: !!video.isOwner,
    canComment: canComment(),
    commentsOn: commentsOn(),
    needsName: !signedIn,
    canRecord: signedIn,
    guestName: api.guestName,
  });

  /* ---------- The DOM ---------- */

  const status = h('p', { id: 'comments-status', class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const say = (msg: string): void => {
    status.textContent = '';
    // A new text node is announced even when the message repeats.
    queueMicrotask(() => {
      status.textContent = msg;
    });
  };

  const timeline = new Timeline({
    seek: (ms) => seek(ms),
    openThread: (id) => openThread(id),
    react: (emoji, btn) => void react(emoji, btn),
    compose: () => composeNow(),
  });
  opts.stageEl.after(timeline.root);

  const list = new ThreadList(ctx, {
    seek: (ms) => seek(ms),
    reply: async (t, body, guest) => {
      const c = await api.createComment(slug, {
        body, timeMs: t.timeMs, parentId: t.id, ...(signedIn ? {} : { guestName: guest }),
      });
      if (guest) api.rememberGuestName(guest);
      mine(c);
      say('Reply posted.');
    },
    edit: async (c, body) => {
      mine(await api.editComment(slug, c.id, body));
      say('Comment saved.');
    },
    remove: (c, from) => void remove(c, from),
    resolve: async (t, resolved) => {
      try {
        mine(await api.setResolved(slug, t.id, resolved), false);
        say(resolved ? 'Thread resolved.' : 'Thread reopened.');
      } catch (err) {
        toastError(err);
      }
    },
    record: (kind, t, body, host, finished) => recordReply(kind, { body, timeMs: t.timeMs, parentId: t.id }, host, finished),
  });

  /* ---------- Recorded replies (recordreply.ts, attachment.ts) ---------- */

  const replyRecorder = new ReplyRecorder((err) => {
    if (err) toastError(new Error(err));
    else say('Recording saved. It plays in the thread in a moment.');
  });

  /** recordReply records a reply whose comment goes where `at` says; its bar goes into host. */
  async function recordReply(kind: 'camera' | 'screen' | 'voice',
    at: { body: string; timeMs: number; endMs?: number; parentId?: string }, host: HTMLElement,
    finished?: () => void): Promise<void> {
    player()?.pause();
    host.append(replyRecorder.bar);
    await replyRecorder.start(kind, {
      videoId: video.id,
      finished,
      post: async (videoId) => {
        const c = await api.createComment(slug, {
          body: at.body, timeMs: at.timeMs, ...(at.endMs ? { endMs: at.endMs } : {}),
          ...(at.parentId ? { parentId: at.parentId } : {}), attachment: { videoId },
        });
        mine(c);
        render();
        say(`Recording a ${kind} reply. Press Stop when you are done.`);
        return c;
      },
      remove: async (c) => {
        const res = await api.deleteComment(slug, c.id);
        const changed = res.removed ? removeComment(state, c.id, c.parentId) : upsertComment(state, { ...res.comment, deleted: true, body: '' });
        if (changed) render();
      },
    });
  }

  const title = h('h2', { id: 'comments-title', class: 'comments__title' },
    h('span', { text: 'Comments' }), h('span', { id: 'comments-count', class: 'comments__count' }));
  const resolvedNote = h('span', { id: 'comments-resolved', class: 'comments__resolved', hidden: true });
  const liveDot = h('span', { id: 'comments-live', class: 'comments__live', title: 'Updates live' },
    h('span', { class: 'comments__live-dot', 'aria-hidden': 'true' }), h('span', { text: 'Live' }));
  const empty = h('div', { id: 'comments-empty', class: 'comments__empty', hidden: true },
    icon('message', 22), h('p', { text: 'No comments yet.' }),
    h('p', { class: 'comments__empty-hint', id: 'comments-empty-hint' }));
  const loading = h('p', { class: 'comments__loading', text: 'Loading comments…' });
  const failed = h('div', { class: 'notice notice--error comments__failed', hidden: true },
    h('span', { text: 'Comments couldn’t be loaded.' }),
    h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Try again', onclick: () => void reload() }));
  const note = h('p', { id: 'comments-note', class: 'comments__note', hidden: true });
  const composerSlot = h('div', { class: 'comments__compose' }, note);
  const exportJson = h('a', { id: 'comments-export-json', class: 'comments__export', download: '', text: 'JSON' });
  const exportVtt = h('a', { id: 'comments-export-vtt', class: 'comments__export', download: '', text: 'WebVTT' });
  const foot = h('div', { class: 'comments__foot' },
    h('span', { class: 'comments__foot-label', text: 'Export' }), exportJson, h('span', { class: 'dot', 'aria-hidden': 'true', text: '·' }), exportVtt,
    h('button', {
      type: 'button', class: 'link-btn comments__keys', id: 'comments-keys', 'aria-keyshortcuts': '?',
      onclick: () => opts.stage.keys.showList(),
    }, h('kbd', { class: 'kbd', text: '?' }), h('span', { text: 'Keyboard shortcuts' })));
  const scroller = h('div', { class: 'comments__scroll' }, loading, failed, empty, list.root);
  const panel = h('section', {
    id: 'comments', class: 'comments', 'aria-labelledby': 'comments-title', tabindex: '-1', 'data-connected': 'false',
  }, h('div', { class: 'comments__inner' },
    h('div', { class: 'comments__head' }, title, resolvedNote, liveDot),
    composerSlot, scroller, foot, status));
  opts.after.after(panel);
  document.body.classList.add('has-comments');

  // Interacting with the list holds off following playback.
  for (const type of ['pointerdown', 'wheel', 'touchstart', 'keydown', 'focusin']) {
    scroller.addEventListener(type, () => {
      lastInteraction = Date.now();
    }, { passive: true });
  }

  /* ---------- Rendering ---------- */

  function queueRender(): void {
    if (renderQueued) return;
    renderQueued = true;
    // A microtask, not an animation frame: background tabs get no frames,
    // and their lists must still be current when the person looks.
    queueMicrotask(() => {
      renderQueued = false;
      render();
    });
  }

  function render(): void {
    const threads = state.threads;
    exportJson.href = api.exportUrl(slug, 'json');
    exportVtt.href = api.exportUrl(slug, 'vtt');
    panel.dataset.lastSeq = String(state.lastSeq);
    if (!loaded) return;
    loading.hidden = true;
    const n = commentCount(threads);
    const resolved = threads.filter((t) => t.resolved).length;
    title.lastElementChild!.textContent = n ? String(n) : '';
    panel.dataset.count = String(n);
    resolvedNote.hidden = resolved === 0;
    resolvedNote.textContent = `${resolved} resolved`;
    list.update(threads);
    empty.hidden = threads.length > 0;
    const hint = empty.querySelector('#comments-empty-hint');
    if (hint) hint.textContent = canComment() ? 'Pause at a moment and press N to start the conversation.' : '';
    // Settings.
    const guestsBlocked = commentsOn() && !signedIn && video.guestComments === false;
    note.hidden = canComment();
    note.replaceChildren();
    if (!commentsOn()) {
      note.append(icon('message', 18), h('span', { text: 'Comments are turned off for this video.' }));
    } else if (guestsBlocked) {
      const next = location.pathname + location.search;
      note.append(icon('lock', 18), h('span', {},
        h('a', { id: 'comments-sign-in', href: `/login?next=${encodeURIComponent(next)}`, text: 'Sign in to comment' }),
        h('span', { text: '. The creator only takes comments from signed-in people.' })));
    }
    if (composer) composer.root.hidden = !canComment();
    opts.stage.keys.onCompose(canComment() ? (key) => {
      composeNow();
      // The key's character must not land in the box it just opened.
      composer?.swallow(key);
    } : null);
    timeline.set({
      durationMs: durationMs(), threads, reactions: [...state.reactions.values()], counts: state.counts,
      showReactions: reactionsOn(), reactionsOn: reactionsOn(), canComment: canComment(),
    });
    onTime();
    scheduleTrack();
    for (const fn of watchers) fn(threads);
  }

  /* ---------- Playback ---------- */

  function onTime(ev?: Event): void {
    const t = playerMs();
    composer?.tick();
    timeline.setTime(t, composer?.timeMs ?? currentMs());
    const id = activeThreadId(state.threads, t);
    timeline.setActive(id);
    const el = list.setActive(id);
    const p = player();
    // While playing, or when the person moved the playhead.
    if (el && p && (!p.paused || ev?.type === 'seeked')) follow(el);
  }

  /** follow scrolls the panel's own list (never the page) to the thread of the moment. */
  function follow(el: HTMLElement): void {
    if (Date.now() - lastInteraction < HANDS_OFF_MS || list.busy) return;
    if (scroller.scrollHeight <= scroller.clientHeight + 1) return;
    const r = el.getBoundingClientRect();
    const b = scroller.getBoundingClientRect();
    if (r.top >= b.top && r.bottom <= b.bottom) return;
    scroller.scrollTo({ top: scroller.scrollTop + (r.top - b.top) - 12, behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
  }

  for (const type of ['timeupdate', 'seeked', 'loadedmetadata', 'durationchange', 'play', 'pause']) {
    // Capture: media events do not bubble, and the stage swaps players.
    opts.stageEl.addEventListener(type, onTime, true);
  }

  function seek(ms: number): void {
    const p = player();
    if (!p) return;
    const d = durationMs() || (Number.isFinite(p.duration) ? p.duration * 1000 : 0);
    p.currentTime = Math.max(0, d > 0 ? Math.min(ms, d) : ms) / 1000;
    onTime();
  }

  function openThread(id: string): void {
    panel.dispatchEvent(new CustomEvent(REVEAL, { bubbles: true }));
    const t = state.threads.find((x) => x.id === id);
    if (t) seek(t.timeMs);
    const el = list.reveal(id);
    if (el) {
      lastInteraction = 0;
      el.scrollIntoView({ block: 'nearest', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
      el.classList.remove('thread--flash');
      void el.offsetWidth;
      el.classList.add('thread--flash');
    }
  }

  function composeNow(): void {
    if (!composer || composer.root.hidden) return;
    panel.dispatchEvent(new CustomEvent(REVEAL, { bubbles: true }));
    composer.focusAt(currentMs());
    onTime();
  }

  /* ---------- Writing ---------- */

  /** mine applies the answer to one of this browser's own writes. */
  function mine(c: Comment, own = true): void {
    if (own) state.mine.add(c.id);
    if (upsertComment(state, c)) queueRender();
  }

  async function post(input: { body: string; timeMs: number; endMs?: number; guestName: string }): Promise<void> {
    const c = await api.createComment(slug, {
      body: input.body, timeMs: input.timeMs, ...(input.endMs ? { endMs: input.endMs } : {}),
      ...(signedIn ? {} : { guestName: input.guestName }),
    });
    if (input.guestName) api.rememberGuestName(input.guestName);
    mine(c);
    render();
    list.setActive(null);
    const el = list.root.querySelector<HTMLElement>(`li[data-id="${CSS.escape(c.id)}"]`);
    if (el) {
      el.scrollIntoView({ block: 'nearest' });
      el.classList.add('thread--flash');
    }
    say(`Comment posted at ${formatTimecode(c.timeMs)}.`);
  }

  async function remove(c: Comment, from: HTMLElement): Promise<void> {
    const isThread = !c.parentId;
    const replies = isThread ? state.threads.find((t) => t.id === c.id)?.replies.length ?? 0 : 0;
    const li = from.closest('li.thread');
    const res = await confirmDialog({
      title: 'Delete this comment?',
      message: replies > 0
        ? 'Its replies stay, under a “deleted” placeholder. This can’t be undone.'
        : 'This can’t be undone.',
      confirmLabel: 'Delete',
      danger: true,
      id: 'delete-comment-dialog',
      action: () => api.deleteComment(slug, c.id),
    });
    if (!res) return;
    const changed = res.removed
      ? removeComment(state, c.id, c.parentId)
      : upsertComment(state, { ...res.comment, deleted: true, body: '' });
    if (changed) render();
    say('Comment deleted.');
    // Focus what took its place: the thread, or the list.
    const still = li instanceof HTMLElement && li.isConnected ? li : null;
    (still?.querySelector<HTMLElement>('[data-action="seek"], [data-action="expand"]') ?? panel).focus();
  }

  let undo: { id: string; timer: number } | null = null;
  async function react(emoji: string, btn: HTMLButtonElement): Promise<void> {
    btn.disabled = true;
    try {
      const r = await api.react(slug, emoji, currentMs());
      state.mine.add(r.reaction.id);
      addReaction(state, { ...r.reaction, mine: true }, r.counts);
      timeline.bump(emoji);
      render();
      offerUndo(r.reaction.id, emoji, r.reaction.timeMs);
      say(`${EMOJI_NAMES[emoji] ?? emoji} at ${formatTimecode(r.reaction.timeMs)}.`);
    } catch (err) {
      toastError(err);
    } finally {
      btn.disabled = false;
    }
  }

  const undoBtn = h('button', { type: 'button', id: 'reaction-undo', class: 'link-btn reactions__undo', hidden: true });
  timeline.root.querySelector('.ctl__bar')?.insertBefore(undoBtn, timeline.composeButton);
  function offerUndo(id: string, emoji: string, timeMs: number): void {
    if (undo) window.clearTimeout(undo.timer);
    undoBtn.replaceChildren(h('span', { text: 'Undo' }), emojiPicture(emoji), h('span', { text: `at ${formatTimecode(timeMs)}` }));
    undoBtn.setAttribute('aria-label', `Undo ${EMOJI_NAMES[emoji] ?? emoji} at ${formatTimecode(timeMs)}`);
    undoBtn.hidden = false;
    undoBtn.onclick = async () => {
      undoBtn.hidden = true;
      try {
        const r = await api.unreact(slug, id);
        if (dropReaction(state, id, r.counts)) render();
        say('Reaction removed.');
      } catch (err) {
        toastError(err);
      }
    };
    undo = { id, timer: window.setTimeout(() => {
      if (!undoBtn.contains(document.activeElement)) undoBtn.hidden = true;
    }, 6000) };
  }

  /* ---------- Loading and live ---------- */

  async function reload(): Promise<void> {
    failed.hidden = true;
    buffer ??= [];
    try {
      const data = await api.loadAll(slug, true);
      state = loadState(state, data.threads, data.reactions, data.counts, data.lastEventId);
      loaded = true;
      const pending = buffer ?? [];
      buffer = null;
      for (const ev of pending) if (applyEvent(state, ev)) applied++;
      render();
    } catch (err) {
      buffer = null;
      if (!loaded) {
        loading.hidden = true;
        failed.hidden = false;
      } else {
        toastError(err);
      }
    }
  }

  let announced = 0;
  let announceTimer = 0;
  function onEvent(ev: CommentEvent): void {
    // Before the list is loaded, the list will hold this change.
    if (!loaded) return;
    if (buffer) {
      buffer.push(ev);
      return;
    }
    const isNew = ev.type === 'created' && ev.comment && !state.mine.has(ev.comment.id) && ev.seq > state.lastSeq;
    if (!applyEvent(state, ev)) return;
    applied++;
    queueRender();
    if (isNew) {
      // Several at once (a replay) make one announcement.
      announced++;
      window.clearTimeout(announceTimer);
      const c = ev.comment!;
      announceTimer = window.setTimeout(() => {
        say(announced === 1 ? `New comment from ${c.authorName} at ${formatTimecode(c.timeMs)}.` : `${announced} new comments.`);
        announced = 0;
      }, 400);
    }
  }

  function connect(): void {
    stream = openStream(slug, () => (loaded ? state.lastSeq : null), {
      video: (v) => opts.onVideo(v),
      comment: onEvent,
      reset: () => void reload(),
      sync: () => {
        panel.dataset.lastSeq = String(state.lastSeq);
      },
      state: (c) => {
        panel.dataset.connected = String(c);
        liveDot.classList.toggle('comments__live--off', !c);
        liveDot.title = c ? 'Updates live' : 'Reconnecting…';
      },
    });
  }

  /* ---------- Captions from the comments ---------- */

  let trackTimer = 0;
  function ensureTrack(): void {
    const p = player();
    if (!p || p.dataset.source !== 'mp4' || p.querySelector('track[data-comments]')) return;
    p.append(h('track', { kind: 'captions', label: 'Comments', srclang: 'en', src: api.exportUrl(slug, 'vtt'), 'data-comments': '' }));
  }
  /** A shown track is refreshed after changes (the file is fetched once). */
  function scheduleTrack(): void {
    window.clearTimeout(trackTimer);
    trackTimer = window.setTimeout(() => {
      const old = player()?.querySelector<HTMLTrackElement>('track[data-comments]');
      if (!old || old.track.mode !== 'showing') return;
      const fresh = h('track', { kind: 'captions', label: 'Comments', srclang: 'en', src: `${api.exportUrl(slug, 'vtt')}?v=${state.lastSeq}`, 'data-comments': '' });
      old.track.mode = 'disabled';
      old.replaceWith(fresh);
      fresh.track.mode = 'showing';
    }, 1500);
  }
  opts.stage.onPlayer((p) => {
    timeline.attach(p.layers.markers);
    ensureTrack();
    onTime();
  });

  window.setInterval(() => list.refreshDates(), 60_000);

  /* ---------- Start ---------- */

  render();
  void (async () => {
    try {
      signedIn = (await me()) !== null;
    } catch {
      signedIn = false;
    }
    composer = new Composer({
      currentMs, durationMs, pause: () => player()?.pause(), leave: () => opts.stage.player()?.focus(),
      needsName: !signedIn, guestName: api.guestName(), post,
      record: signedIn ? (kind, input, host, finished) => recordReply(kind, input, host, finished) : null,
    });
    composerSlot.append(composer.root);
    await reload();
    // A reply whose tab died mid-upload is finished from here (recordreply.ts).
    if (signedIn) {
      const notices = h('div', { class: 'reply-recover-slot' });
      composerSlot.prepend(notices);
      void offerRecovery(video.id, notices, async (commentId) => {
        const res = await api.deleteComment(slug, commentId);
        const changed = res.removed ? removeComment(state, commentId, res.comment?.parentId) : upsertComment(state, { ...res.comment, deleted: true, body: '' });
        if (changed) render();
      });
    }
    // Live from where the list left off (or, if it did not load, from now:
    // the video's own changes still arrive, and Try again loads the list).
    connect();
  })();

  window.__batonComments = {
    get lastSeq() {
      return state.lastSeq;
    },
    get connected() {
      return stream?.connected ?? false;
    },
    get applied() {
      return applied;
    },
    disconnect: () => stream?.disconnect(),
    connect: () => stream?.connect(),
    threads: () => state.threads.map((t: Thread) => ({
      id: t.id, timeMs: t.timeMs, body: t.body, replies: t.replies.length, resolved: t.resolved,
    })),
  };

  return {
    update(v: Video) {
      const slugChanged = v.slug !== slug;
      video = v;
      slug = v.slug;
      if (slugChanged) stream?.restart(slug);
      queueRender();
    },
    panel,
    threads: () => state.threads,
    onThreads(fn) {
      watchers.push(fn);
      if (loaded) fn(state.threads);
    },
  };
}
