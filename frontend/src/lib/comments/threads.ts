// The comment list: threads in time order, each with its replies, and the
// forms to reply and edit. Views are keyed by comment id and updated in
// place, so a live change to one comment does not disturb a reply being
// typed under another, or the focus.
import { h, icon } from '../dom';
import { formatDateTime, formatRelativeTime } from '../format';
import type { ReplyKind } from '../api';
import { menuButton, type MenuItem } from '../menu';
import { AttachmentView } from './attachment';
import { recordSlot } from './recordreply';
import { permissions, type Comment, type Thread } from './model';
import { renderText } from './text';
import { formatRange, spokenTimecode } from './timecode';

export interface ListContext {
  isOwner: boolean;
  /** The person may write (comments on, and signed in or guests allowed). */
  canComment: boolean;
  commentsOn: boolean;
  /** Guests must give a name; "" when signed in. */
  needsName: boolean;
  /** The person may reply with a recording (signed in). */
  canRecord: boolean;
  guestName(): string;
}

export interface ListActions {
  seek(ms: number): void;
  reply(thread: Thread, body: string, guestName: string): Promise<void>;
  edit(c: Comment, body: string): Promise<void>;
  remove(c: Comment, returnFocus: HTMLElement): void;
  resolve(t: Thread, resolved: boolean): Promise<void>;
  /** record starts a recorded reply in the thread (recordreply.ts). */
  record(kind: ReplyKind, t: Thread, body: string, host: HTMLElement, finished: () => void): Promise<void>;
}

let formSeq = 0;

/** submitOnEnter: Enter sends, Shift+Enter is a new line (as in chat apps). */
export function submitOnEnter(area: HTMLTextAreaElement, form: HTMLFormElement): void {
  area.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
}

/** autoGrow lets a textarea grow with its text up to its CSS max-height. */
export function autoGrow(area: HTMLTextAreaElement): void {
  const fit = (): void => {
    area.style.height = 'auto';
    area.style.height = `${area.scrollHeight + 2}px`;
  };
  area.addEventListener('input', fit);
  queueMicrotask(fit);
}

export function errorText(err: unknown): string {
  return err instanceof Error && err.message ? err.message : 'Something went wrong. Try again.';
}

/** nameField is the guest's name input, remembered across videos. */
export function nameField(id: string, value: string): { wrap: HTMLElement; input: HTMLInputElement } {
  const input = h('input', {
    id, class: 'input input--small', type: 'text', maxlength: 50, autocomplete: 'nickname',
    required: true, spellcheck: 'false', dir: 'auto',
  });
  input.value = value;
  const wrap = h('div', { class: 'composer__name' },
    h('label', { class: 'composer__label', for: id, text: 'Your name' }), input);
  return { wrap, input };
}

function dateEl(iso: string): HTMLElement {
  const d = new Date(iso);
  return h('time', {
    class: 'comment__date', datetime: iso, 'data-ts': iso,
    title: formatDateTime(d), text: formatRelativeTime(d),
  });
}

/** One comment or reply. */
class CommentView {
  readonly root: HTMLElement;
  private c: Comment;
  private key = '';
  private editing: { form: HTMLFormElement; area: HTMLTextAreaElement } | null = null;
  /** The recording's player: kept across rebuilds, so playback goes on. */
  private media: AttachmentView | null = null;

  constructor(c: Comment, private readonly thread: () => Thread, private readonly ctx: () => ListContext,
    private readonly actions: ListActions, private readonly onReply: () => void) {
    this.c = c;
    this.root = h('article', { class: 'comment', 'data-id': c.id });
    this.update(c);
  }

  update(c: Comment): void {
    const ctx = this.ctx();
    const key = JSON.stringify([c.updatedAt, c.body, c.deleted, c.resolved, c.mine, c.edited, c.authorName,
      c.attachment?.videoId, ctx.isOwner, ctx.canComment, ctx.commentsOn]);
    this.c = c;
    if (key === this.key) return;
    this.key = key;
    // Keep the focus on the same control across the rebuild.
    const active = document.activeElement;
    const focusAction = active instanceof HTMLElement && this.root.contains(active) && !this.editing?.form.contains(active)
      ? active.dataset.action ?? null : null;
    this.build();
    if (focusAction) this.root.querySelector<HTMLElement>(`[data-action="${focusAction}"]`)?.focus();
  }

  private build(): void {
    const c = this.c;
    const ctx = this.ctx();
    const isThread = !c.parentId;
    const perms = permissions(c, ctx);
    this.root.classList.toggle('comment--mine', c.mine);
    this.root.classList.toggle('comment--deleted', c.deleted);
    this.root.classList.toggle('comment--reply', !isThread);

    const head = h('div', { class: 'comment__head' });
    if (isThread) {
      const label = formatRange(c.timeMs, c.endMs);
      head.append(h('button', {
        type: 'button', class: 'comment__time', 'data-action': 'seek', 'data-time-ms': c.timeMs,
        'aria-label': `Go to ${spokenTimecode(c.timeMs)}`, title: `Go to ${label}`,
        onclick: () => this.actions.seek(c.timeMs),
      }, icon('clock', 14), h('span', { text: label })));
    }
    if (!c.deleted) {
      head.append(h('span', { class: 'comment__author', dir: 'auto', text: c.authorName }));
      if (c.byOwner) head.append(h('span', { class: 'badge badge--owner', text: 'Creator' }));
      if (c.mine && !c.byOwner) head.append(h('span', { class: 'badge', text: 'You' }));
    }
    head.append(dateEl(c.createdAt));
    if (c.edited && !c.deleted) {
      head.append(h('span', {
        class: 'comment__edited', text: 'edited',
        title: c.editedAt ? `Edited ${formatDateTime(new Date(c.editedAt))}` : 'Edited',
      }));
    }
    if (isThread && c.resolved) {
      head.append(h('span', { class: 'badge badge--resolved' }, icon('check', 12), h('span', { text: 'Resolved' })));
    }

    const body = h('p', { class: 'comment__body', dir: 'auto' });
    if (c.deleted) {
      body.classList.add('comment__body--deleted');
      body.textContent = 'This comment was deleted.';
    } else {
      renderText(body, c.body);
    }
    const rec = c.deleted ? undefined : c.attachment;
    if (this.media && this.media.videoId !== rec?.videoId) {
      this.media.destroy();
      this.media = null;
    }
    if (rec && !this.media) this.media = new AttachmentView(rec);
    // A recording may say it all: no empty paragraph under it.
    if (rec && !c.body) body.hidden = true;

    const actions = h('div', { class: 'comment__actions' });
    if (perms.reply) {
      actions.append(h('button', {
        type: 'button', class: 'link-btn', 'data-action': 'reply', text: 'Reply',
        'aria-label': `Reply to ${c.authorName}`, onclick: () => this.onReply(),
      }));
    }
    if (perms.resolve) {
      const resolved = c.resolved;
      actions.append(h('button', {
        type: 'button', class: 'link-btn', 'data-action': resolved ? 'reopen' : 'resolve',
        text: resolved ? 'Reopen' : 'Resolve',
        onclick: (ev: Event) => {
          const btn = ev.currentTarget as HTMLButtonElement;
          btn.disabled = true;
          void this.actions.resolve(this.thread(), !resolved).finally(() => {
            btn.disabled = false;
          });
        },
      }));
    }
    const items: MenuItem[] = [];
    if (perms.edit) items.push({ label: 'Edit', icon: 'pencil', action: 'edit', onSelect: () => this.startEdit() });
    if (perms.remove) {
      items.push({
        label: 'Delete', icon: 'trash', action: 'delete', danger: true,
        onSelect: () => this.actions.remove(this.c, this.root.querySelector<HTMLElement>('[data-action="menu"]') ?? this.root),
      });
    }
    if (items.length) {
      const menu = menuButton({ label: `More actions for ${c.deleted ? 'this comment' : `${c.authorName}’s comment`}`, items, className: 'icon-btn--small' });
      menu.classList.add('comment__menu');
      head.append(menu);
    }

    const parts: Node[] = [head, body];
    if (this.media) parts.push(this.media.root);
    if (this.editing) {
      body.hidden = true;
      parts.push(this.editing.form);
    }
    if (actions.childElementCount) parts.push(actions);
    this.root.replaceChildren(...parts);
  }

  startEdit(): void {
    if (this.editing) {
      this.editing.area.focus();
      return;
    }
    const n = ++formSeq;
    const area = h('textarea', {
      id: `edit-${n}`, class: 'input composer__area', rows: 2, maxlength: 5000, dir: 'auto',
      'aria-label': 'Edit your comment',
    });
    area.value = this.c.body;
    const error = h('p', { class: 'composer__error', role: 'alert', hidden: true });
    const save = h('button', { type: 'submit', class: 'btn btn--primary btn--small', 'data-action': 'save', text: 'Save' });
    const cancel = h('button', { type: 'button', class: 'btn btn--secondary btn--small', 'data-action': 'cancel-edit', text: 'Cancel' });
    const form = h('form', { class: 'comment__edit' }, area, error, h('div', { class: 'composer__actions' }, cancel, save));
    const stop = (): void => {
      this.editing = null;
      this.key = '';
      this.update(this.c);
      this.root.querySelector<HTMLElement>('[data-action="menu"]')?.focus();
    };
    cancel.addEventListener('click', stop);
    area.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        stop();
      }
    });
    submitOnEnter(area, form);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = area.value.trim();
      if (!body) {
        error.textContent = 'The comment is empty.';
        error.hidden = false;
        return;
      }
      save.disabled = true;
      error.hidden = true;
      this.actions.edit(this.c, body).then(stop, (err: unknown) => {
        error.textContent = errorText(err);
        error.hidden = false;
      }).finally(() => {
        save.disabled = false;
      });
    });
    this.editing = { form, area };
    this.key = '';
    this.update(this.c);
    autoGrow(area);
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  }

  get editingNow(): boolean {
    return this.editing !== null;
  }
}

/** One thread: its comment, replies, reply form; collapsed when resolved. */
class ThreadView {
  readonly root: HTMLLIElement;
  private t: Thread;
  private readonly main: CommentView;
  private readonly replies: HTMLOListElement;
  private readonly replyViews = new Map<string, CommentView>();
  private readonly summary: HTMLButtonElement;
  private replyForm: HTMLFormElement | null = null;
  private expanded = false;

  constructor(t: Thread, private readonly ctx: () => ListContext, private readonly actions: ListActions) {
    this.t = t;
    this.main = new CommentView(t, () => this.t, ctx, actions, () => this.openReply());
    this.replies = h('ol', { class: 'thread__replies', 'aria-label': 'Replies' });
    this.summary = h('button', {
      type: 'button', class: 'thread__summary', 'data-action': 'expand', 'aria-expanded': 'false',
      onclick: () => this.setExpanded(!this.expanded),
    });
    this.root = h('li', { class: 'thread', 'data-id': t.id }, this.summary, this.main.root, this.replies);
    this.update(t);
  }

  update(t: Thread): void {
    this.t = t;
    this.root.dataset.timeMs = String(t.timeMs);
    this.root.classList.toggle('thread--resolved', t.resolved);
    this.main.update(t);
    const seen = new Set<string>();
    let i = 0;
    for (const r of t.replies) {
      seen.add(r.id);
      let v = this.replyViews.get(r.id);
      if (v) v.update(r);
      else {
        v = new CommentView(r, () => this.t, this.ctx, this.actions, () => this.openReply());
        this.replyViews.set(r.id, v);
      }
      const li = v.root.parentElement?.tagName === 'LI' ? v.root.parentElement : h('li', { class: 'thread__reply' }, v.root);
      if (this.replies.children[i] !== li) this.replies.insertBefore(li, this.replies.children[i] ?? null);
      i++;
    }
    for (const [id, v] of this.replyViews) {
      if (!seen.has(id)) {
        v.root.parentElement?.remove();
        this.replyViews.delete(id);
      }
    }
    this.replies.hidden = t.replies.length === 0;
    if (this.replyForm && !permissions(t, this.ctx()).reply) this.closeReply(false);
    this.renderSummary();
  }

  private renderSummary(): void {
    const t = this.t;
    const collapsed = t.resolved && !this.expanded;
    this.root.classList.toggle('thread--collapsed', collapsed);
    this.summary.hidden = !t.resolved;
    this.summary.setAttribute('aria-expanded', String(this.expanded));
    if (!t.resolved) {
      this.summary.replaceChildren();
      return;
    }
    const n = t.replies.length;
    if (this.expanded) {
      // Open: the thread itself shows below; the row only folds it again
      // (the comment must not appear twice).
      this.summary.replaceChildren(
        icon('check', 14),
        h('span', { class: 'thread__summary-text' }, h('span', { class: 'thread__summary-time', text: 'Resolved' })),
        h('span', { class: 'thread__summary-count', text: 'Hide' }),
      );
      this.summary.setAttribute('aria-label', 'Hide resolved thread');
      return;
    }
    this.summary.removeAttribute('aria-label');
    const who = t.deleted ? 'Deleted comment' : t.authorName;
    const label = h('span', { class: 'thread__summary-text' },
      h('span', { class: 'thread__summary-time', text: formatRange(t.timeMs, t.endMs) }),
      h('span', { class: 'comment__author', dir: 'auto', text: who }),
      h('span', { class: 'thread__summary-body', dir: 'auto', text: t.deleted ? '' : t.body }),
    );
    this.summary.replaceChildren(
      icon('check', 14),
      h('span', { class: 'visually-hidden', text: this.expanded ? 'Hide resolved thread: ' : 'Show resolved thread: ' }),
      label,
    );
    if (n) this.summary.append(h('span', { class: 'thread__summary-count', text: `${n} ${n === 1 ? 'reply' : 'replies'}` }));
  }

  setExpanded(on: boolean): void {
    this.expanded = on;
    this.renderSummary();
  }

  openReply(): void {
    if (this.replyForm) {
      this.replyForm.querySelector('textarea')?.focus();
      return;
    }
    const ctx = this.ctx();
    const n = ++formSeq;
    const area = h('textarea', {
      id: `reply-${n}`, class: 'input composer__area', rows: 1, maxlength: 5000, dir: 'auto',
      placeholder: 'Write a reply…', 'aria-label': `Reply to ${this.t.deleted ? 'this thread' : this.t.authorName}`,
    });
    const name = ctx.needsName ? nameField(`reply-name-${n}`, ctx.guestName()) : null;
    const error = h('p', { class: 'composer__error', role: 'alert', hidden: true });
    const send = h('button', { type: 'submit', class: 'btn btn--primary btn--small', 'data-action': 'send-reply', text: 'Reply' });
    const cancel = h('button', { type: 'button', class: 'btn btn--secondary btn--small', 'data-action': 'cancel-reply', text: 'Cancel' });
    const recordHost = h('div', { class: 'composer__recording' });
    const onRecord = ctx.canRecord ? (kind: ReplyKind, btn: HTMLButtonElement): void => {
      error.hidden = true;
      btn.setAttribute('aria-busy', 'true');
      this.actions.record(kind, this.t, area.value.trim(), recordHost, () => this.closeReply(true)).then(() => {
        area.value = '';
      }, (err: unknown) => {
        error.textContent = errorText(err);
        error.hidden = false;
        btn.focus();
      }).finally(() => btn.removeAttribute('aria-busy'));
    } : null;
    const form = h('form', { class: 'thread__reply-form' },
      name?.wrap ?? null, area, error, recordHost,
      h('div', { class: 'composer__actions' }, recordSlot(`reply-record-${n}`, onRecord), cancel, send));
    cancel.addEventListener('click', () => this.closeReply(true));
    area.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        this.closeReply(true);
      }
    });
    submitOnEnter(area, form);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = area.value.trim();
      const guest = name?.input.value.trim() ?? '';
      if (name && !guest) {
        error.textContent = 'Add your name so people know who replied.';
        error.hidden = false;
        name.input.focus();
        return;
      }
      if (!body) {
        area.focus();
        return;
      }
      send.disabled = true;
      error.hidden = true;
      this.actions.reply(this.t, body, guest).then(() => this.closeReply(true), (err: unknown) => {
        error.textContent = errorText(err);
        error.hidden = false;
      }).finally(() => {
        send.disabled = false;
      });
    });
    this.replyForm = form;
    this.root.append(form);
    autoGrow(area);
    (name && !name.input.value ? name.input : area).focus();
  }

  private closeReply(returnFocus: boolean): void {
    this.replyForm?.remove();
    this.replyForm = null;
    if (returnFocus) this.main.root.querySelector<HTMLElement>('[data-action="reply"]')?.focus();
  }

  /** busy: a form is open here, so the list should not scroll away from it. */
  get busy(): boolean {
    return this.replyForm !== null || this.main.editingNow || [...this.replyViews.values()].some((v) => v.editingNow);
  }

  focus(): void {
    const target = this.root.querySelector<HTMLElement>('[data-action="seek"]') ?? this.summary;
    target.focus({ preventScroll: true });
  }
}

/** ThreadList keeps the <ol> of threads in step with the conversation. */
export class ThreadList {
  readonly root: HTMLOListElement;
  private readonly views = new Map<string, ThreadView>();
  private active: string | null = null;

  constructor(private readonly ctx: () => ListContext, private readonly actions: ListActions) {
    this.root = h('ol', { id: 'comment-list', class: 'comments__list', 'aria-labelledby': 'comments-title' });
  }

  update(threads: Thread[]): void {
    const seen = new Set<string>();
    threads.forEach((t, i) => {
      seen.add(t.id);
      let v = this.views.get(t.id);
      if (v) v.update(t);
      else {
        v = new ThreadView(t, this.ctx, this.actions);
        this.views.set(t.id, v);
      }
      // Move only what is out of place: moving a node drops its focus.
      if (this.root.children[i] !== v.root) this.root.insertBefore(v.root, this.root.children[i] ?? null);
    });
    for (const [id, v] of this.views) {
      if (seen.has(id)) continue;
      const hadFocus = v.root.contains(document.activeElement);
      v.root.remove();
      this.views.delete(id);
      if (hadFocus) this.root.closest<HTMLElement>('section')?.focus();
    }
    if (this.active && !this.views.has(this.active)) this.active = null;
  }

  /** setActive marks the thread about the current moment; returns its element when it changed. */
  setActive(id: string | null): HTMLElement | null {
    if (id === this.active) return null;
    if (this.active) {
      const prev = this.views.get(this.active)?.root;
      prev?.classList.remove('thread--active');
      prev?.removeAttribute('aria-current');
    }
    this.active = id;
    const v = id ? this.views.get(id) : undefined;
    if (!v) return null;
    v.root.classList.add('thread--active');
    v.root.setAttribute('aria-current', 'time');
    return v.root;
  }

  /** reveal expands a thread (if resolved) and focuses it. */
  reveal(id: string): HTMLElement | null {
    const v = this.views.get(id);
    if (!v) return null;
    v.setExpanded(true);
    v.focus();
    return v.root;
  }

  get busy(): boolean {
    for (const v of this.views.values()) if (v.busy) return true;
    return false;
  }

  refreshDates(): void {
    this.root.querySelectorAll<HTMLElement>('time[data-ts]').forEach((el) => {
      el.textContent = formatRelativeTime(new Date(el.dataset.ts ?? ''));
    });
  }
}
