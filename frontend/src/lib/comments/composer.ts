// "Comment at 2:14": the box for a new thread. Its time follows playback
// until the person starts typing (or presses N), then stays where they
// started, and typing pauses the video so the moment does not run away.
// An optional end makes it about a range ("1:10–1:25").
import type { ReplyKind } from '../api';
import { h, icon } from '../dom';
import { recordSlot } from './recordreply';
import { autoGrow, errorText, nameField, submitOnEnter } from './threads';
import { formatTimecode, parseTimecode, spokenTimecode } from './timecode';

export interface ComposerOptions {
  /** The moment a new comment would be about now. */
  currentMs(): number;
  durationMs(): number;
  pause(): void;
  /** Where focus goes on Escape: the player. */
  leave(): void;
  needsName: boolean;
  guestName: string;
  post(input: { body: string; timeMs: number; endMs?: number; guestName: string }): Promise<void>;
  /**
   * record starts a recorded reply at this moment (recordreply.ts), the
   * text typed so far going with it; its bar goes into host. Null for
   * guests: recordings are made by signed-in members.
   */
  record: ((kind: ReplyKind, input: { body: string; timeMs: number; endMs?: number }, host: HTMLElement,
    finished: () => void) => Promise<void>) | null;
}

export class Composer {
  readonly root: HTMLFormElement;
  private readonly area: HTMLTextAreaElement;
  private readonly at: HTMLElement;
  private readonly sync: HTMLButtonElement;
  private readonly endToggle: HTMLButtonElement;
  private readonly endWrap: HTMLElement;
  private readonly endInput: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private readonly cancel: HTMLButtonElement;
  private readonly name: { wrap: HTMLElement; input: HTMLInputElement } | null;
  private readonly recordHost: HTMLElement;
  /** The moment the comment is about, once pinned (typing or N); null follows playback. */
  private pinned: number | null = null;

  constructor(private readonly opts: ComposerOptions) {
    this.at = h('span', { id: 'comment-at', class: 'composer__at', text: 'Comment at 0:00' });
    this.sync = h('button', {
      type: 'button', id: 'comment-time-sync', class: 'icon-btn icon-btn--small', hidden: true,
      'aria-label': 'Use the current moment instead', title: 'Use the current moment instead',
      onclick: () => {
        this.pin(this.opts.currentMs());
        this.area.focus();
      },
    }, icon('refresh', 16));
    this.name = opts.needsName ? nameField('comment-guest-name', opts.guestName) : null;
    this.area = h('textarea', {
      id: 'comment-body', class: 'input composer__area', rows: 2, maxlength: 5000, dir: 'auto',
      placeholder: 'Add a comment…', 'aria-labelledby': 'comment-at', 'aria-describedby': 'comment-hint',
      'aria-keyshortcuts': 'N',
    });
    this.endInput = h('input', {
      id: 'comment-end', class: 'input input--small composer__end-input', type: 'text', inputmode: 'text',
      autocomplete: 'off', spellcheck: 'false', placeholder: 'm:ss', 'aria-describedby': 'comment-end-help',
    });
    this.endWrap = h('div', { class: 'composer__end', hidden: true },
      h('label', { class: 'composer__label', for: 'comment-end', text: 'Until' }), this.endInput,
      h('span', { id: 'comment-end-help', class: 'composer__help', text: 'e.g. 2:30' }),
      h('button', {
        type: 'button', class: 'icon-btn icon-btn--small', 'aria-label': 'Remove the end time',
        onclick: () => this.setRange(false),
      }, icon('close', 16)),
    );
    this.endToggle = h('button', {
      type: 'button', id: 'comment-end-toggle', class: 'link-btn', 'aria-expanded': 'false', 'aria-controls': 'comment-end',
      text: 'Add end time', onclick: () => this.setRange(true),
    });
    this.error = h('p', { id: 'comment-error', class: 'composer__error', role: 'alert', hidden: true });
    this.cancel = h('button', {
      type: 'button', id: 'comment-cancel', class: 'btn btn--secondary btn--small', hidden: true, text: 'Cancel',
      onclick: () => this.reset(true),
    });
    this.submit = h('button', { type: 'submit', id: 'comment-submit', class: 'btn btn--primary btn--small', text: 'Post' });
    this.recordHost = h('div', { class: 'composer__recording' });
    this.root = h('form', { id: 'comment-form', class: 'composer', 'aria-label': 'New comment', novalidate: true },
      h('div', { class: 'composer__top' }, this.at, this.sync),
      this.name?.wrap ?? null,
      this.area,
      this.endWrap,
      this.error,
      h('div', { class: 'composer__meta' },
        this.endToggle,
        h('span', { id: 'comment-hint', class: 'composer__hint' },
          h('span', { class: 'visually-hidden', text: 'Enter posts, Shift+Enter starts a new line.' }),
          h('span', { 'aria-hidden': 'true', title: 'Enter posts · Shift+Enter starts a new line', text: '↵ post · ⇧↵ new line' }))),
      this.recordHost,
      h('div', { class: 'composer__actions' },
        recordSlot('comment-record', opts.record ? (kind, btn) => void this.record(kind, btn) : null),
        this.cancel, this.submit),
    );
    autoGrow(this.area);
    submitOnEnter(this.area, this.root);
    this.area.addEventListener('input', () => {
      if (this.area.value.trim() !== '') {
        if (this.pinned === null) this.pin(this.opts.currentMs());
        this.opts.pause();
      }
      this.cancel.hidden = this.area.value === '' && this.pinned === null;
    });
    this.area.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        // Back to the player (not the page body), the draft kept.
        if (this.area.value.trim() === '') this.reset(false);
        this.opts.leave();
      }
    });
    this.root.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.send();
    });
  }

  /**
   * swallow drops the character of the key that opened the box: focus moves
   * on keydown, and some input paths (synthetic keys, some IMEs) still
   * deliver that key's character to the newly focused box.
   */
  swallow(key: string): void {
    const until = performance.now() + 250;
    const onPress = (ev: KeyboardEvent): void => {
      if (performance.now() < until && ev.key === key) ev.preventDefault();
    };
    this.area.addEventListener('keypress', onPress, { once: true });
    window.setTimeout(() => this.area.removeEventListener('keypress', onPress), 300);
  }

  /** focusAt pins the comment to a moment and puts the cursor in the box (the N key). */
  focusAt(ms: number): void {
    if (this.area.value.trim() === '' || this.pinned === null) this.pin(ms);
    this.root.scrollIntoView({ block: 'nearest' });
    this.area.focus({ preventScroll: true });
    this.cancel.hidden = false;
  }

  /** tick shows the moment while the comment still follows playback. */
  tick(): void {
    if (this.pinned !== null) {
      const drift = Math.abs(this.opts.currentMs() - this.pinned) >= 1000;
      this.sync.hidden = !drift;
      return;
    }
    this.label(this.opts.currentMs());
  }

  get timeMs(): number {
    return this.pinned ?? this.opts.currentMs();
  }

  private pin(ms: number): void {
    this.pinned = ms;
    this.sync.hidden = true;
    this.label(ms);
    if (!this.endWrap.hidden && !this.endInput.value) this.endInput.value = formatTimecode(this.defaultEnd(ms));
  }

  private label(ms: number): void {
    const text = `Comment at ${formatTimecode(ms)}`;
    if (this.at.textContent !== text) {
      this.at.textContent = text;
      this.at.setAttribute('aria-label', `Comment at ${spokenTimecode(ms)}`);
    }
  }

  private defaultEnd(ms: number): number {
    const d = this.opts.durationMs();
    return d > 0 ? Math.min(d, ms + 10_000) : ms + 10_000;
  }

  private setRange(on: boolean): void {
    this.endWrap.hidden = !on;
    this.endToggle.hidden = on;
    this.endToggle.setAttribute('aria-expanded', String(on));
    if (on) {
      if (this.pinned === null) this.pin(this.opts.currentMs());
      this.endInput.value = formatTimecode(this.defaultEnd(this.timeMs));
      this.endInput.focus();
      this.endInput.select();
    } else {
      this.endInput.value = '';
      this.endToggle.focus();
    }
  }

  private fail(msg: string, focus?: HTMLElement): void {
    this.error.textContent = msg;
    this.error.hidden = false;
    focus?.focus();
  }

  private async send(): Promise<void> {
    const body = this.area.value.trim();
    const guestName = this.name?.input.value.trim() ?? '';
    this.error.hidden = true;
    if (this.name && !guestName) return this.fail('Add your name so people know who commented.', this.name.input);
    if (!body) return this.fail('Write something first.', this.area);
    const timeMs = this.timeMs;
    let endMs: number | undefined;
    if (!this.endWrap.hidden && this.endInput.value.trim() !== '') {
      const end = parseTimecode(this.endInput.value);
      const d = this.opts.durationMs();
      if (end === null) return this.fail('Write the end time like 2:30.', this.endInput);
      if (end <= timeMs) return this.fail(`The end must be after ${formatTimecode(timeMs)}.`, this.endInput);
      if (d > 0 && end > d + 999) return this.fail(`The video ends at ${formatTimecode(d)}.`, this.endInput);
      endMs = d > 0 ? Math.min(end, d) : end;
    }
    this.submit.disabled = true;
    this.root.setAttribute('aria-busy', 'true');
    try {
      await this.opts.post({ body, timeMs, endMs, guestName });
      this.reset(false);
      this.area.focus();
    } catch (err) {
      this.fail(errorText(err));
    } finally {
      this.submit.disabled = false;
      this.root.removeAttribute('aria-busy');
    }
  }

  /** record starts a recorded reply at the comment's moment, with what was typed. */
  private async record(kind: ReplyKind, btn: HTMLButtonElement): Promise<void> {
    if (!this.opts.record) return;
    this.error.hidden = true;
    const timeMs = this.pinned ?? this.opts.currentMs();
    this.opts.pause();
    btn.setAttribute('aria-busy', 'true');
    try {
      // Once saved (or thrown away), back to where the recording started.
      await this.opts.record(kind, { body: this.area.value.trim(), timeMs }, this.recordHost, () => {
        const a = document.activeElement;
        if (!a || a === document.body || a.closest('.reply-rec')) btn.focus();
      });
      this.reset(false);
    } catch (err) {
      this.fail(errorText(err));
      btn.focus();
    } finally {
      btn.removeAttribute('aria-busy');
    }
  }

  /** reset empties the box; the time follows playback again. */
  reset(blur: boolean): void {
    this.area.value = '';
    this.area.dispatchEvent(new Event('input'));
    this.pinned = null;
    this.sync.hidden = true;
    this.error.hidden = true;
    this.endInput.value = '';
    this.endWrap.hidden = true;
    this.endToggle.hidden = false;
    this.endToggle.setAttribute('aria-expanded', 'false');
    this.cancel.hidden = true;
    this.label(this.opts.currentMs());
    if (blur) this.area.blur();
  }

  get typing(): boolean {
    return this.area.value.trim() !== '' || this.root.contains(document.activeElement);
  }
}
