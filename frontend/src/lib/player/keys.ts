// Keyboard shortcuts of the watch page and the embed, on the whole page
// (not only while the player has focus), as on the video sites people use:
// Space/K play-pause, J/L 10 s back/forward, ←/→ 5 s, M mute, F
// fullscreen, C captions (where the video has them), N a new comment at
// this moment (where comments are open), ? this list. C is captions as on
// YouTube and in media players; the comment key is N ("note", "new").
// Keys typed into fields, and keys a focused control already uses (Space
// on a button, arrows on a slider or in a menu), are left alone.
import { h } from '../dom';
import type { Player } from './index';

/** COMPOSE_KEY opens the comment box at the current moment (shown as on the keyboard). */
export const COMPOSE_KEY = 'N';

export interface Shortcut {
  keys: string[];
  what: string;
}

/** isTyping: keys go to the field, never to page shortcuts. */
export function isTyping(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLInputElement) return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range'].includes(el.type);
  return el instanceof HTMLElement && el.isContentEditable;
}

/** usesSpace: Space already means "press this" here. */
function usesSpace(el: Element): boolean {
  return !!el.closest('button, a[href], summary, [role="button"], [role="menuitem"], [role="menuitemradio"], [role="checkbox"], [role="switch"], [role="tab"], [role="option"], media-chrome-menu-item');
}

/** usesArrows: the focused control moves with arrow keys itself. */
function usesArrows(el: Element): boolean {
  return !!el.closest('media-time-range, media-volume-range, [role="slider"], [role="menu"], [role="listbox"], [role="tablist"], [role="radiogroup"], .player__layer--markers, media-playback-rate-menu, media-captions-menu');
}

/** The deepest focused element, inside shadow roots too (media-chrome's controls). */
function deepActive(): Element | null {
  let a: Element | null = document.activeElement;
  while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
  return a;
}

export class PlayerKeys {
  private player: Player | null = null;
  private compose: ((key: string) => void) | null = null;
  private dialog: HTMLDialogElement | null = null;

  constructor(doc: Document = document) {
    doc.addEventListener('keydown', (ev) => this.onKey(ev));
  }

  /** attach points the keys at the player on the page now (null: none). */
  attach(p: Player | null): void {
    this.player = p;
  }

  /** onCompose sets what N does, given the key pressed (null: N does nothing, e.g. comments off). */
  onCompose(fn: ((key: string) => void) | null): void {
    this.compose = fn;
  }

  /** list says which keys work right now, for the ? dialog and the hint under the comments. */
  list(): Shortcut[] {
    const out: Shortcut[] = [
      { keys: ['Space', 'K'], what: 'Play or pause' },
      { keys: ['J', 'L'], what: 'Back or forward 10 seconds' },
      { keys: ['←', '→'], what: 'Back or forward 5 seconds' },
      { keys: ['M'], what: 'Mute or unmute' },
      { keys: ['F'], what: 'Full screen' },
    ];
    if (this.player?.hasCaptions()) out.push({ keys: ['C'], what: 'Captions on or off' });
    if (this.compose) out.push({ keys: [COMPOSE_KEY], what: 'Comment at this moment' });
    out.push({ keys: ['?'], what: 'Show these shortcuts' });
    return out;
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    if (document.querySelector('dialog[open]')) return;
    const t = deepActive() ?? (ev.target instanceof Element ? ev.target : null);
    if (isTyping(t)) return;
    const p = this.player;
    const v = p?.media;
    const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    const act = (fn: () => void): void => {
      ev.preventDefault();
      fn();
    };
    switch (key) {
      case '?':
        act(() => this.showList());
        return;
      case 'n':
        if (this.compose) {
          const compose = this.compose;
          act(() => compose(ev.key));
        }
        return;
    }
    if (!p || !v) return;
    switch (key) {
      case ' ':
        if (t && usesSpace(t)) return;
        act(() => toggle(v));
        break;
      case 'k':
        act(() => toggle(v));
        break;
      case 'j':
        act(() => seekBy(v, -10));
        break;
      case 'l':
        act(() => seekBy(v, 10));
        break;
      case 'ArrowLeft':
      case 'ArrowRight':
        if (t && usesArrows(t)) return;
        act(() => seekBy(v, key === 'ArrowLeft' ? -5 : 5));
        break;
      case 'm':
        act(() => {
          v.muted = !v.muted;
        });
        break;
      case 'f':
        act(() => toggleFullscreen(p));
        break;
      case 'c':
        if (p.hasCaptions()) act(() => p.toggleCaptions());
        break;
    }
  }

  /** showList opens the shortcuts dialog; Esc or Close returns focus where it was. */
  showList(): void {
    if (this.dialog?.open) return;
    const close = h('button', { type: 'button', class: 'btn btn--secondary', 'data-action': 'cancel', text: 'Close' });
    const rows = this.list().map((s) => h('div', { class: 'keys__row' },
      h('dt', { class: 'keys__keys' }, ...s.keys.flatMap((k, i) => [i ? h('span', { class: 'keys__or', text: 'or' }) : null, h('kbd', { class: 'kbd', text: k })])),
      h('dd', { class: 'keys__what', text: s.what })));
    const dialog = h('dialog', { class: 'dialog', id: 'shortcuts-dialog', 'aria-labelledby': 'shortcuts-title' },
      h('div', { class: 'dialog__form' },
        h('h2', { class: 'dialog__title', id: 'shortcuts-title', text: 'Keyboard shortcuts' }),
        h('dl', { class: 'keys' }, ...rows),
        h('div', { class: 'dialog__actions' }, close)));
    close.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      this.dialog = null;
    });
    document.body.append(dialog);
    this.dialog = dialog;
    dialog.showModal();
    close.focus();
  }
}

function toggle(v: HTMLVideoElement): void {
  if (v.paused || v.ended) void v.play().catch(() => {});
  else v.pause();
}

function seekBy(v: HTMLVideoElement, s: number): void {
  const end = Number.isFinite(v.duration) ? v.duration : v.seekable.length ? v.seekable.end(v.seekable.length - 1) : Infinity;
  v.currentTime = Math.max(0, Math.min(end, v.currentTime + s));
}

function toggleFullscreen(p: Player): void {
  // media-chrome's own requests, so its button and state stay in step.
  const type = document.fullscreenElement ? 'mediaexitfullscreenrequest' : 'mediaenterfullscreenrequest';
  p.seek.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true }));
}
