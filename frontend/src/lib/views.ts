// Counting a view: the server counts one per viewer per video per 30
// minutes once 3 s have played (media.ViewRule). The page adds up the
// time actually played (not seeking, not paused) and reports it once past
// 3 s, and again after 30 more minutes of watching, with a random id this
// browser keeps, so that its windows and reloads are one viewer.
import { request } from './api';

const KEY = 'baton.viewer';
const FIRST_MS = 3000;
const AGAIN_MS = 30 * 60 * 1000;

function viewerId(): string {
  try {
    const have = localStorage.getItem(KEY);
    if (have && /^[A-Za-z0-9_-]{16,64}$/.test(have)) return have;
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    const id = btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    localStorage.setItem(KEY, id);
    return id;
  } catch {
    // No storage (some embeds): the server falls back to the address.
    return '';
  }
}

/** PlayTime adds up how long a media element has really played. */
export class PlayTime {
  playedMs = 0;
  private last: number | null = null;

  /** tick is called with the media time (s) on every timeupdate while playing. */
  tick(mediaSeconds: number, playing: boolean): void {
    if (!playing) {
      this.last = null;
      return;
    }
    if (this.last !== null) {
      const d = mediaSeconds - this.last;
      // A jump is a seek, not watching.
      if (d > 0 && d < 1.5) this.playedMs += d * 1000;
    }
    this.last = mediaSeconds;
  }
}

/** trackViews reports playback of the player's media for the video behind slug; returns a stop function. */
export function trackViews(media: () => HTMLMediaElement | null, slug: () => string, onViews?: (n: number) => void): () => void {
  const pt = new PlayTime();
  let next = FIRST_MS;
  let sending = false;
  const onTime = (ev: Event): void => {
    const m = media();
    if (!m || ev.target !== m) return;
    pt.tick(m.currentTime, !m.paused && !m.seeking);
    if (pt.playedMs < next || sending) return;
    sending = true;
    request<{ counted: boolean; views: number }>('POST', `/api/share/${encodeURIComponent(slug())}/views`, {
      playedMs: Math.floor(pt.playedMs), viewer: viewerId() || undefined,
    }).then((r) => {
      next = pt.playedMs + AGAIN_MS;
      if (r.counted) onViews?.(r.views);
    }, () => {
      // Offline or the link changed: try again a little later.
      next = pt.playedMs + 10_000;
    }).finally(() => {
      sending = false;
    });
  };
  document.addEventListener('timeupdate', onTime, true);
  return () => document.removeEventListener('timeupdate', onTime, true);
}
