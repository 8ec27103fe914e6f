// The watch page's one live connection: /api/share/{slug}/events carries
// the video's state (`event: video`) and every change to its conversation
// (`event: comment`, with ids). EventSource reconnects by itself after a
// dropped connection and sends Last-Event-ID, so the server replays what
// was missed. When it gives up (an HTTP error, e.g. a proxy's 502 while
// Baton restarts) this opens a new one after a pause, resuming from the
// last event applied.
import type { Video } from '../api';
import { eventsUrl } from './api';
import type { CommentEvent } from './model';

export interface StreamHandlers {
  video(v: Video): void;
  comment(ev: CommentEvent): void;
  /** The server cannot replay what was missed: reload the list. */
  reset(lastEventId: number): void;
  /** Caught up (after a replay, or at once). */
  sync(lastEventId: number): void;
  /** Connection state for the page's indicator and tests. */
  state(connected: boolean): void;
}

export interface Stream {
  /** Reconnects at once (e.g. after the slug changed). */
  restart(slug: string): void;
  close(): void;
  /** For tests: drop the connection and stay disconnected until connect(). */
  disconnect(): void;
  connect(): void;
  readonly connected: boolean;
}

function parse<T>(ev: Event): T | null {
  try {
    return JSON.parse((ev as MessageEvent<string>).data) as T;
  } catch {
    return null;
  }
}

/**
 * openStream connects; lastSeq() says where to resume when a new
 * EventSource has to be made (null: from now, no replay); the browser's
 * own reconnects carry the last id they saw.
 */
export function openStream(slug0: string, lastSeq: () => number | null, on: StreamHandlers): Stream {
  let slug = slug0;
  let es: EventSource | null = null;
  let timer = 0;
  let failures = 0;
  let held = false;
  let connected = false;

  const setConnected = (c: boolean): void => {
    if (c === connected) return;
    connected = c;
    on.state(c);
  };

  function open(): void {
    window.clearTimeout(timer);
    es?.close();
    if (typeof EventSource === 'undefined' || held) return;
    const src = new EventSource(eventsUrl(slug, lastSeq()));
    es = src;
    src.addEventListener('open', () => {
      failures = 0;
      setConnected(true);
    });
    src.addEventListener('video', (ev) => {
      const v = parse<Video>(ev);
      if (v) on.video(v);
    });
    src.addEventListener('comment', (ev) => {
      const c = parse<CommentEvent>(ev);
      if (c && typeof c.seq === 'number') on.comment(c);
    });
    src.addEventListener('sync', (ev) => {
      const d = parse<{ lastEventId: number }>(ev);
      on.sync(d?.lastEventId ?? 0);
    });
    src.addEventListener('reset', (ev) => {
      const d = parse<{ lastEventId: number }>(ev);
      on.reset(d?.lastEventId ?? 0);
    });
    src.addEventListener('error', () => {
      if (es !== src) return;
      setConnected(false);
      if (src.readyState === EventSource.CLOSED) {
        // The browser gave up (HTTP error): try again ourselves, slower
        // each time, from the last event applied.
        failures++;
        const wait = Math.min(30_000, 1000 * 2 ** Math.min(failures, 5));
        timer = window.setTimeout(open, wait);
      }
    });
  }

  // A tab coming back from the background or the network coming back
  // reconnects at once instead of waiting out a backoff.
  const wake = (): void => {
    if (!held && (!es || es.readyState === EventSource.CLOSED) && document.visibilityState === 'visible') open();
  };
  window.addEventListener('online', wake);
  document.addEventListener('visibilitychange', wake);

  open();

  return {
    restart(s: string) {
      slug = s;
      open();
    },
    close() {
      held = true;
      window.clearTimeout(timer);
      es?.close();
      es = null;
      setConnected(false);
      window.removeEventListener('online', wake);
      document.removeEventListener('visibilitychange', wake);
    },
    disconnect() {
      held = true;
      window.clearTimeout(timer);
      es?.close();
      es = null;
      setConnected(false);
    },
    connect() {
      held = false;
      open();
    },
    get connected() {
      return connected;
    },
  };
}
