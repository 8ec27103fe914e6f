// Comments and reactions ON the player's seek bar: a marker for each thread
// and reaction (close ones clustered) placed in the player's marker layer
// (player/index.ts), a preview of the comment's first line on hover or
// focus, and the reaction bar with "Comment at …" under the player.
// Markers are buttons in one tab stop (arrow keys move between them);
// clicking a comment marker seeks and opens its thread.
import { emoji } from '../emoji';
import { h } from '../dom';
import { layoutMarkers, topEmoji, type Cluster } from './markers';
import { EMOJI_NAMES, REACTION_EMOJI, type Counts, type Reaction, type Thread } from './model';
import { formatRange, formatTimecode, spokenTimecode } from './timecode';

export interface TimelineActions {
  seek(ms: number): void;
  /** A comment marker was chosen: seek and show the thread. */
  openThread(id: string): void;
  react(emoji: string, button: HTMLButtonElement): void;
  /** "Comment at …" under the player. */
  compose(): void;
}

type Marker =
  | { kind: 'comment'; timeMs: number; thread: Thread }
  | { kind: 'reaction'; timeMs: number; reaction: Reaction };

/** Markers closer than this (in px) merge. */
const MIN_GAP_COMMENT = 14;
const MIN_GAP_REACTION = 16;

export class Timeline {
  /** The reaction bar and "Comment at", under the player. */
  readonly root: HTMLElement;
  /** The markers, moved into each new player's marker layer. */
  private readonly strip: HTMLElement;
  private readonly ranges: HTMLElement;
  private readonly commentLane: HTMLElement;
  private readonly reactionLane: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly counts = new Map<string, HTMLElement>();
  private readonly buttons = new Map<string, HTMLButtonElement>();
  readonly composeButton: HTMLButtonElement;
  private readonly composeTime: HTMLElement;
  private durationMs = 0;
  private threads: Thread[] = [];
  private reactions: Reaction[] = [];
  private showReactions = true;
  private width = 0;
  private activeId: string | null = null;
  private focusKey: string | null = null;
  private resize: ResizeObserver | null = null;

  constructor(private readonly actions: TimelineActions) {
    this.ranges = h('div', { class: 'ctl__ranges', 'aria-hidden': 'true' });
    this.reactionLane = h('div', { class: 'ctl__lane ctl__lane--reactions' });
    this.commentLane = h('div', { class: 'ctl__lane ctl__lane--comments' });
    this.strip = h('div', {
      class: 'ctl__strip', role: 'group',
      'aria-label': 'Comments and reactions on the seek bar. Arrow keys move between them.',
    }, this.ranges, this.reactionLane, this.commentLane);
    // The preview repeats each marker's label (which screen readers get) for the eyes.
    this.tip = h('div', { class: 'ctl__tip', id: 'ctl-tooltip', role: 'tooltip', 'aria-hidden': 'true', hidden: true });
    this.composeTime = h('span', { class: 'ctl__compose-time', text: '0:00' });
    this.composeButton = h('button', {
      type: 'button', id: 'comment-here', class: 'btn btn--secondary btn--small ctl__compose',
      'aria-keyshortcuts': 'N', title: 'Comment at the current moment (N)',
      onclick: () => this.actions.compose(),
    }, h('span', { text: 'Comment at' }), this.composeTime);
    this.bar = h('div', { id: 'reaction-bar', class: 'reactions', role: 'group', 'aria-label': 'React at the current moment' });
    for (const e of REACTION_EMOJI) {
      const count = h('span', { class: 'reaction__count', 'aria-hidden': 'true' });
      const btn = h('button', {
        type: 'button', class: 'reaction', 'data-emoji': e, title: `${EMOJI_NAMES[e]} at the current moment`,
        onclick: () => this.actions.react(e, btn),
      }, emoji(e, 'reaction__emoji'), count);
      this.counts.set(e, count);
      this.buttons.set(e, btn);
      this.bar.append(btn);
    }
    this.root = h('div', { id: 'comment-timeline', class: 'ctl' },
      h('div', { class: 'ctl__bar' }, this.bar, this.composeButton));

    this.strip.addEventListener('keydown', (ev) => this.onKey(ev));
    this.strip.addEventListener('focusout', (ev) => {
      if (!this.strip.contains(ev.relatedTarget as Node | null)) this.hideTip();
    });
    this.strip.addEventListener('pointerleave', () => {
      if (!this.strip.contains(document.activeElement)) this.hideTip();
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !this.tip.hidden) this.hideTip();
    });
    if (typeof ResizeObserver !== 'undefined') {
      this.resize = new ResizeObserver(() => {
        const w = this.strip.clientWidth;
        if (w && Math.abs(w - this.width) > 4) this.render();
      });
      this.resize.observe(this.strip);
    }
  }

  /** attach puts the markers on a (new) player's seek bar. */
  attach(layer: HTMLElement): void {
    layer.replaceChildren(this.strip, this.tip);
    this.render();
  }

  set(opts: { durationMs: number; threads: Thread[]; reactions: Reaction[]; counts: Counts; showReactions: boolean; reactionsOn: boolean; canComment: boolean }): void {
    this.durationMs = opts.durationMs;
    this.threads = opts.threads;
    this.reactions = opts.reactions;
    this.showReactions = opts.showReactions;
    this.strip.hidden = opts.durationMs <= 0;
    this.bar.hidden = !opts.reactionsOn;
    this.composeButton.hidden = !opts.canComment;
    this.root.hidden = !opts.reactionsOn && !opts.canComment;
    for (const [e, el] of this.counts) {
      const n = opts.counts[e] ?? 0;
      el.textContent = n > 0 ? String(n) : '';
      this.buttons.get(e)?.setAttribute('aria-label', `${EMOJI_NAMES[e]} (${n})`);
    }
    this.render();
  }

  /** setTime moves the "Comment at" time (the seek bar shows the playhead itself). */
  setTime(_ms: number, composeMs: number): void {
    const label = formatTimecode(composeMs);
    if (this.composeTime.textContent !== label) this.composeTime.textContent = label;
  }

  setActive(threadId: string | null): void {
    if (threadId === this.activeId) return;
    this.activeId = threadId;
    this.commentLane.querySelectorAll<HTMLElement>('.ctl__marker').forEach((m) => {
      m.classList.toggle('ctl__marker--active', !!threadId && (m.dataset.ids ?? '').split(' ').includes(threadId));
    });
    this.ranges.querySelectorAll<HTMLElement>('.ctl__range').forEach((r) => {
      r.classList.toggle('ctl__range--active', r.dataset.id === threadId);
    });
  }

  /** bump shows that a reaction button counted (a short pop). */
  bump(emoji: string): void {
    const b = this.buttons.get(emoji);
    if (!b) return;
    b.classList.remove('reaction--bump');
    void b.offsetWidth;
    b.classList.add('reaction--bump');
  }

  private render(): void {
    this.width = this.strip.clientWidth || 600;
    if (!this.strip.isConnected) return;
    const focused = document.activeElement instanceof HTMLElement && this.strip.contains(document.activeElement)
      ? document.activeElement.dataset.key ?? null : null;
    const comments: Marker[] = this.threads.map((t) => ({ kind: 'comment', timeMs: t.timeMs, thread: t }));
    const reactions: Marker[] = this.showReactions
      ? this.reactions.map((r) => ({ kind: 'reaction', timeMs: r.timeMs, reaction: r }))
      : [];
    const cc = layoutMarkers(comments, this.durationMs, this.width, MIN_GAP_COMMENT);
    const rc = layoutMarkers(reactions, this.durationMs, this.width, MIN_GAP_REACTION);
    this.commentLane.replaceChildren(...cc.map((c) => this.marker(c, 'comment')));
    // Comments about a range show it on the line.
    const d = this.durationMs;
    this.ranges.replaceChildren(...(d > 0 ? this.threads : []).filter((t) => t.endMs && t.endMs > t.timeMs).map((t) => {
      const el = h('div', { class: 'ctl__range', 'data-id': t.id });
      const a = Math.min(1, t.timeMs / d);
      const b = Math.min(1, (t.endMs ?? 0) / d);
      el.style.left = `${(a * 100).toFixed(3)}%`;
      el.style.width = `${((b - a) * 100).toFixed(3)}%`;
      if (t.resolved) el.classList.add('ctl__range--resolved');
      return el;
    }));
    this.reactionLane.replaceChildren(...rc.map((c) => this.marker(c, 'reaction')));
    this.setActiveAfterRender();
    // One tab stop: the previously focused marker, else the first.
    const all = this.markers();
    const keep = all.find((m) => m.dataset.key === (focused ?? this.focusKey)) ?? all[0];
    for (const m of all) m.tabIndex = m === keep ? 0 : -1;
    if (focused && keep) keep.focus({ preventScroll: true });
  }

  private setActiveAfterRender(): void {
    const id = this.activeId;
    this.activeId = null;
    this.setActive(id);
  }

  private markers(): HTMLButtonElement[] {
    // In time order across both lanes, for arrow keys.
    return [...this.strip.querySelectorAll<HTMLButtonElement>('.ctl__marker')]
      .sort((a, b) => Number(a.dataset.timeMs) - Number(b.dataset.timeMs) || (a.dataset.kind === 'comment' ? -1 : 1));
  }

  private marker(c: Cluster<Marker>, kind: 'comment' | 'reaction'): HTMLButtonElement {
    const n = c.items.length;
    const ids = c.items.map((m) => (m.kind === 'comment' ? m.thread.id : m.reaction.id));
    const el = h('button', {
      type: 'button',
      class: `ctl__marker ctl__marker--${kind}`,
      'data-kind': kind,
      'data-ids': ids.join(' '),
      'data-key': `${kind}:${ids[0]}`,
      'data-time-ms': c.timeMs,
      'aria-label': this.label(c, kind),
    });
    el.style.left = `${(c.pos * 100).toFixed(3)}%`;
    if (kind === 'comment') {
      const threads = c.items.map((m) => (m as { thread: Thread }).thread);
      if (threads.every((t) => t.resolved)) el.classList.add('ctl__marker--resolved');
      if (n > 1) el.append(h('span', { class: 'ctl__n', text: String(n) }));
      el.addEventListener('click', () => {
        const first = threads[0];
        if (first) this.actions.openThread(first.id);
      });
    } else {
      const rs = c.items.map((m) => (m as { reaction: Reaction }).reaction);
      el.append(emoji(topEmoji(rs), 'ctl__emoji'));
      if (n > 1) el.append(h('span', { class: 'ctl__n', text: String(n) }));
      el.addEventListener('click', () => this.actions.seek(c.timeMs));
    }
    const show = (): void => this.showTip(el, c, kind);
    el.addEventListener('pointerenter', show);
    el.addEventListener('focus', () => {
      this.focusKey = el.dataset.key ?? null;
      show();
    });
    el.addEventListener('pointerleave', () => {
      if (document.activeElement !== el) this.hideTip();
    });
    return el;
  }

  private label(c: Cluster<Marker>, kind: 'comment' | 'reaction'): string {
    const at = spokenTimecode(c.timeMs);
    if (kind === 'reaction') {
      const rs = c.items.map((m) => (m as { reaction: Reaction }).reaction);
      const names = [...new Set(rs.map((r) => EMOJI_NAMES[r.emoji] ?? r.emoji))].join(', ');
      return rs.length === 1 ? `${names} reaction at ${at}` : `${rs.length} reactions from ${at}: ${names}`;
    }
    const ts = c.items.map((m) => (m as { thread: Thread }).thread);
    const first = ts[0]!;
    if (ts.length === 1) {
      return `${first.resolved ? 'Resolved comment' : 'Comment'} by ${first.deleted ? 'someone (deleted)' : first.authorName} at ${at}: ${snippet(first, 80)}`;
    }
    return `${ts.length} comments from ${at}`;
  }

  private showTip(anchor: HTMLElement, c: Cluster<Marker>, kind: 'comment' | 'reaction'): void {
    const rows: HTMLElement[] = [];
    if (kind === 'comment') {
      const ts = c.items.map((m) => (m as { thread: Thread }).thread);
      for (const t of ts.slice(0, 3)) {
        rows.push(h('div', { class: 'ctl__tip-row' },
          h('div', { class: 'ctl__tip-head' },
            h('span', { class: 'ctl__tip-time', text: formatRange(t.timeMs, t.endMs) }),
            h('span', { class: 'ctl__tip-name', dir: 'auto', text: t.deleted ? 'Deleted comment' : t.authorName }),
            t.resolved ? h('span', { class: 'ctl__tip-meta', text: 'Resolved' }) : null,
            t.replies.length ? h('span', { class: 'ctl__tip-meta', text: `${t.replies.length} ${t.replies.length === 1 ? 'reply' : 'replies'}` }) : null,
          ),
          h('p', { class: 'ctl__tip-body', dir: 'auto', text: snippet(t, 140) }),
        ));
      }
      if (ts.length > 3) rows.push(h('p', { class: 'ctl__tip-more', text: `and ${ts.length - 3} more` }));
    } else {
      const rs = c.items.map((m) => (m as { reaction: Reaction }).reaction);
      const by = new Map<string, number>();
      for (const r of rs) by.set(r.emoji, (by.get(r.emoji) ?? 0) + 1);
      rows.push(h('div', { class: 'ctl__tip-head' },
        h('span', { class: 'ctl__tip-time', text: formatTimecode(c.timeMs) }),
        h('span', { class: 'ctl__tip-emoji' }, ...[...by].flatMap(([e, n]) => [emoji(e), n > 1 ? h('span', { text: String(n) }) : null])),
      ));
    }
    this.tip.replaceChildren(...rows);
    this.tip.hidden = false;
    // Centred over the marker, kept inside the seek bar.
    const sr = this.strip.getBoundingClientRect();
    const ar = anchor.getBoundingClientRect();
    const tw = this.tip.offsetWidth;
    const x = Math.min(Math.max(ar.left + ar.width / 2 - sr.left - tw / 2, 0), Math.max(0, sr.width - tw));
    this.tip.style.left = `${x}px`;
    this.tip.style.top = `${ar.top - sr.top}px`;
  }

  private hideTip(): void {
    this.tip.hidden = true;
  }

  private onKey(ev: KeyboardEvent): void {
    const all = this.markers();
    const i = all.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    let j = -1;
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') j = Math.min(all.length - 1, i + 1);
    else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') j = Math.max(0, i - 1);
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = all.length - 1;
    else if (ev.key === 'Escape') {
      this.hideTip();
      return;
    } else return;
    ev.preventDefault();
    ev.stopPropagation();
    const next = all[j];
    if (!next) return;
    for (const m of all) m.tabIndex = m === next ? 0 : -1;
    next.focus();
  }
}

function snippet(t: Thread, max: number): string {
  if (t.deleted) return 'This comment was deleted.';
  // The first line that says something; the thread holds the rest.
  const first = t.body.split('\n').find((l) => l.trim() !== '') ?? '';
  const s = first.replace(/\s+/g, ' ').trim();
  const chars = Array.from(s);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}
