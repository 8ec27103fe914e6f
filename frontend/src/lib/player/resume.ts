// Resume where you left off: the position in each video, kept in this
// browser, and the "Resumed at 1:23 · Start over" note when a video opens
// there. Positions in the first 5 s or the last 5% are not worth
// resuming (the viewer barely started, or finished), so they are dropped.
import { h } from '../dom';
import { formatClock } from '../format';
import { safeStorage } from './prefs';
import type { Player } from './index';

const KEY = 'baton.resume';
/** The videos remembered; the oldest are dropped beyond it. */
export const MAX_SPOTS = 200;
const MIN_S = 5;
const END_FRACTION = 0.95;

/** Spot is where a viewer was: t and the duration d in seconds, at (epoch ms) when. */
export interface Spot {
  t: number;
  d: number;
  at: number;
}

type Spots = Record<string, Spot>;

/** worthResuming says whether t of a video lasting d seconds is a place to come back to. */
export function worthResuming(t: number, d: number): boolean {
  if (!Number.isFinite(t) || t < MIN_S) return false;
  if (Number.isFinite(d) && d > 0 && t >= d * END_FRACTION) return false;
  return true;
}

/** resumeAt is where to start a video given the spot kept for it (null: the start). */
export function resumeAt(spot: Spot | undefined, duration?: number): number | null {
  if (!spot) return null;
  const d = duration && duration > 0 ? duration : spot.d;
  return worthResuming(spot.t, d) ? spot.t : null;
}

function readAll(storage: Pick<Storage, 'getItem'> | null): Spots {
  try {
    const raw: unknown = JSON.parse(storage?.getItem(KEY) ?? '{}');
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
    const out: Spots = {};
    for (const [id, v] of Object.entries(raw as Record<string, unknown>)) {
      const s = v as Partial<Spot> | null;
      if (s && typeof s.t === 'number' && typeof s.d === 'number' && typeof s.at === 'number') out[id] = { t: s.t, d: s.d, at: s.at };
    }
    return out;
  } catch {
    return {};
  }
}

/** readSpot returns the spot kept for a video. */
export function readSpot(id: string, storage: Pick<Storage, 'getItem'> | null = safeStorage()): Spot | undefined {
  return readAll(storage)[id];
}

/**
 * saveSpot keeps where a viewer is in a video, or forgets it when that is
 * not worth resuming; beyond MAX_SPOTS videos the least recent go.
 */
export function saveSpot(id: string, t: number, d: number, now = Date.now(), storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeStorage()): void {
  try {
    const all = readAll(storage);
    if (worthResuming(t, d)) all[id] = { t: Math.floor(t * 10) / 10, d: Number.isFinite(d) ? d : 0, at: now };
    else if (id in all) delete all[id];
    else return;
    const ids = Object.keys(all);
    if (ids.length > MAX_SPOTS) {
      ids.sort((a, b) => all[a].at - all[b].at);
      for (const old of ids.slice(0, ids.length - MAX_SPOTS)) delete all[old];
    }
    storage?.setItem(KEY, JSON.stringify(all));
  } catch {
    // Storage full or blocked: the next visit starts at the beginning.
  }
}

/**
 * keepPosition saves p's position for video id as it plays (every few
 * seconds, on pause, on seeking, when the page goes away), and forgets it
 * at the end. It returns a function that stops it.
 */
export function keepPosition(p: Player, id: string): () => void {
  const m = p.media;
  let last = 0;
  const save = (): void => {
    // Before the length is known, currentTime is the start, not a place.
    if (m.readyState < HTMLMediaElement.HAVE_METADATA) return;
    saveSpot(id, m.currentTime, m.duration);
  };
  const onTime = (): void => {
    const now = performance.now();
    if (now - last < 3000) return;
    last = now;
    save();
  };
  const onEnded = (): void => saveSpot(id, 0, m.duration);
  m.addEventListener('timeupdate', onTime);
  m.addEventListener('pause', save);
  m.addEventListener('seeked', save);
  m.addEventListener('ended', onEnded);
  window.addEventListener('pagehide', save);
  return () => {
    save();
    m.removeEventListener('timeupdate', onTime);
    m.removeEventListener('pause', save);
    m.removeEventListener('seeked', save);
    m.removeEventListener('ended', onEnded);
    window.removeEventListener('pagehide', save);
  };
}

/**
 * showResumed puts "Resumed at 1:23 · Start over" on the player. It goes
 * away after a while of playback, or at once when the viewer starts over.
 */
export function showResumed(p: Player, t: number): void {
  const again = h('button', { type: 'button', class: 'player__resume-again', id: 'player-start-over', text: 'Start over' });
  const note = h('div', { class: 'player__resume', id: 'player-resumed', role: 'status' },
    h('span', { text: `Resumed at ${formatClock(t * 1000)}` }), h('span', { class: 'player__resume-dot', 'aria-hidden': 'true', text: '·' }), again);
  let played = 0;
  let prev = -1;
  const onTime = (): void => {
    const now = p.media.currentTime;
    if (prev >= 0 && now > prev && now - prev < 2) played += now - prev;
    prev = now;
    if (played > 8) close();
  };
  const close = (): void => {
    p.media.removeEventListener('timeupdate', onTime);
    note.remove();
  };
  again.addEventListener('click', () => {
    p.media.currentTime = 0;
    close();
    p.focus();
  });
  p.media.addEventListener('timeupdate', onTime);
  p.top.append(note);
}
