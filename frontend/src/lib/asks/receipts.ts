// Watch receipts: the page reports what it actually played, under a view id
// of its own, while playing (every 15 s) and with sendBeacon when the page is
// hidden. Reports are cumulative; the server merges them, so repeats are
// harmless. Only ranges played count, never ranges seeked over.
import { PlayTracker, type Range } from './ranges';

const VIEWER_KEY = 'baton.viewer';

/** viewerId is the browser's random id, so that its windows are one viewer. */
function viewerId(): string {
  try {
    let id = localStorage.getItem(VIEWER_KEY);
    if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      id = crypto.randomUUID();
      localStorage.setItem(VIEWER_KEY, id);
    }
    return id;
  } catch {
    return '';
  }
}

export interface Receipts {
  /** open records that the page was opened (before any playback). */
  open(): void;
}

/**
 * trackReceipts follows the <video> element inside stage (the player may
 * replace it, e.g. when a live recording becomes the final video) and
 * reports to /api/share/{slug}/views.
 */
export function trackReceipts(stage: HTMLElement, slug: string): Receipts {
  const viewId = crypto.randomUUID();
  const viewer = viewerId();
  const tracker = new PlayTracker();
  const url = `/api/share/${encodeURIComponent(slug)}/views`;
  let sent = '';
  let bound: HTMLVideoElement | null = null;

  const body = (ranges: Range[]) => JSON.stringify({ viewId, viewer: viewer || undefined, ranges });
  const send = (beacon: boolean) => {
    const b = body(tracker.ranges());
    if (b === sent) return;
    sent = b;
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon(url, new Blob([b], { type: 'application/json' }));
      return;
    }
    void fetch(url, { method: 'POST', body: b, headers: { 'Content-Type': 'application/json' }, credentials: 'same-origin', keepalive: true }).catch(() => {
      sent = ''; // try again with the next report
    });
  };

  const onTime = (ev: Event) => {
    const v = ev.target as HTMLVideoElement;
    if (v.paused || v.seeking) return;
    tracker.tick(v.currentTime * 1000, v.playbackRate);
  };
  const onStop = () => tracker.close();
  const bind = () => {
    const v = stage.querySelector('video');
    if (v === bound) return;
    if (bound) {
      tracker.close();
      for (const ev of ['pause', 'seeking', 'ended', 'emptied']) bound.removeEventListener(ev, onStop);
      bound.removeEventListener('timeupdate', onTime);
    }
    bound = v;
    if (!v) return;
    v.addEventListener('timeupdate', onTime);
    for (const ev of ['pause', 'seeking', 'ended', 'emptied']) v.addEventListener(ev, onStop);
  };
  new MutationObserver(bind).observe(stage, { childList: true, subtree: true });
  bind();

  window.setInterval(() => {
    if (bound && !bound.paused) send(false);
  }, 15000);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') send(true);
  });
  window.addEventListener('pagehide', () => send(true));
  return { open: () => send(false) };
}
