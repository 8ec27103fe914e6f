// Counting a view: the server counts one per viewer per video per 30
// minutes once 3 s have played (media.ViewRule). The page keeps what it
// actually played (not seeking, not paused) as ranges of the video and
// reports them as a watch receipt under a view id of its own (the owner's
// insights and the asks' "watched" come from these): once past 3 s, then
// every 15 s of playing, and with sendBeacon when the page is hidden.
// Reports are cumulative and the server merges them, so a repeat is
// harmless. A random id this browser keeps makes its windows and reloads
// one viewer.
import { request } from './api';
import { PlayTracker } from './asks/ranges';

const KEY = 'baton.viewer';
const FIRST_MS = 3000;
const AGAIN_MS = 15 * 1000;

/** viewId names this page load's receipt. */
const viewId = (() => {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
})();

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
  const ranges = new PlayTracker();
  let next = FIRST_MS;
  let sending = false;
  let sentBody = '';
  const url = () => `/api/share/${encodeURIComponent(slug())}/views`;
  const body = () => JSON.stringify({ viewId, viewer: viewerId() || undefined, ranges: ranges.ranges() });
  const onTime = (ev: Event): void => {
    const m = media();
    if (!m || ev.target !== m) return;
    const playing = !m.paused && !m.seeking;
    pt.tick(m.currentTime, playing);
    if (playing) ranges.tick(m.currentTime * 1000, m.playbackRate);
    if (pt.playedMs < next || sending) return;
    sending = true;
    const b = body();
    request<{ counted: boolean; views: number }>('POST', url(), JSON.parse(b)).then((r) => {
      sentBody = b;
      next = pt.playedMs + AGAIN_MS;
      if (r.counted) onViews?.(r.views);
    }, () => {
      // Offline or the link changed: try again a little later.
      next = pt.playedMs + 10_000;
    }).finally(() => {
      sending = false;
    });
  };
  // A seek or a pause ends the played range; scrubbing is not watching.
  const onStop = (ev: Event): void => {
    if (ev.target === media()) ranges.close();
  };
  // Leaving (or hiding) the page sends what was played since the last report.
  const onHide = (ev: Event): void => {
    if (ev.type !== 'pagehide' && document.visibilityState !== 'hidden') return;
    ranges.close();
    const b = body();
    if (b === sentBody || ranges.ranges().length === 0) return;
    sentBody = b;
    navigator.sendBeacon?.(url(), new Blob([b], { type: 'application/json' }));
  };
  document.addEventListener('timeupdate', onTime, true);
  for (const type of ['seeking', 'pause', 'ended', 'emptied']) document.addEventListener(type, onStop, true);
  document.addEventListener('visibilitychange', onHide);
  window.addEventListener('pagehide', onHide);
  return () => {
    document.removeEventListener('timeupdate', onTime, true);
    for (const type of ['seeking', 'pause', 'ended', 'emptied']) document.removeEventListener(type, onStop, true);
    document.removeEventListener('visibilitychange', onHide);
    window.removeEventListener('pagehide', onHide);
  };
}

/**
 * reportOpened records that the page was opened (an empty receipt), so a
 * recipient of an ask shows as "opened" before playing anything.
 */
export function reportOpened(slug: string): void {
  void request('POST', `/api/share/${encodeURIComponent(slug)}/views`, { viewId, viewer: viewerId() || undefined, ranges: [] }).catch(() => {});
}
