// The written record on the player: captions once the transcript is done,
// scrub thumbnails once the sprite sheet is made, and chapters (the
// owner's, or `02:15 Demo` lines in the description). All three are made
// after the video is ready, by jobs that announce themselves with a video
// event; update() is called with each, and asks again only for what is
// still missing (or, for chapters, may have changed).
import { request, type Video } from '../api';
import type { Player } from './index';

/** A chapter as the API gives it. */
export interface Chapter {
  startMs: number;
  title: string;
}

interface TranscriptStatus {
  status: 'pending' | 'done' | 'failed' | 'off';
  language?: string;
  captionsUrl?: string;
}

export interface RecordTracks {
  /** update looks again after a change of the video (a job finished, chapters set, description edited). */
  update(v: Video): void;
  /** onChapters is called with the chapters now and after every change ([] for none). */
  onChapters(fn: (c: Chapter[]) => void): void;
  destroy(): void;
}

const enc = encodeURIComponent;

const LANGUAGES: Record<string, string> = { en: 'English', de: 'Deutsch', fr: 'Français', es: 'Español', it: 'Italiano', nl: 'Nederlands', pt: 'Português', ja: '日本語' };

/** captionsLabel names the captions track in a viewer's words. */
export function captionsLabel(lang?: string): string {
  const base = (lang ?? '').toLowerCase().split(/[-_]/)[0];
  return LANGUAGES[base] ?? (base ? base.toUpperCase() : 'Captions');
}

/** sameChapters: nothing to redraw. */
export function sameChapters(a: Chapter[], b: Chapter[]): boolean {
  return a.length === b.length && a.every((c, i) => c.startMs === b[i].startMs && c.title === b[i].title);
}

/** chapterAt is the index of the chapter playing at ms (-1 before the first). */
export function chapterAt(chapters: Chapter[], ms: number): number {
  let at = -1;
  for (let i = 0; i < chapters.length; i++) {
    if (chapters[i].startMs <= ms) at = i;
    else break;
  }
  return at;
}

export function attachRecord(p: Player, first: Video): RecordTracks {
  let v = first;
  let gone = false;
  let thumbs = false;
  // Captions: asked until the transcript is settled one way or the other.
  let captions: 'unknown' | 'asking' | 'pending' | 'added' | 'none' = 'unknown';
  let chapters: Chapter[] = [];
  let chapterTrack: HTMLTrackElement | null = null;
  let chaptersAsking = false;
  let chaptersAgain = false;
  let chapterVersion = 0;
  const listeners: ((c: Chapter[]) => void)[] = [];
  const base = (): string => `/api/share/${enc(v.slug)}`;

  function addThumbs(): void {
    if (thumbs || !v.thumbsUrl) return;
    thumbs = true;
    p.addTrack({ kind: 'metadata', label: 'thumbnails', src: v.thumbsUrl });
  }

  async function askCaptions(): Promise<void> {
    if (captions !== 'unknown' && captions !== 'pending') return;
    captions = 'asking';
    try {
      const t = await request<TranscriptStatus>('GET', `${base()}/transcript`, undefined, { cache: 'no-store' });
      if (gone) return;
      if (t.status === 'done' && t.captionsUrl) {
        p.addTrack({ kind: 'captions', label: captionsLabel(t.language), srclang: (t.language || 'en').split(/[-_]/)[0], src: t.captionsUrl });
        captions = 'added';
        p.root.dispatchEvent(new CustomEvent('playercaptions', { bubbles: true }));
      } else {
        captions = t.status === 'pending' ? 'pending' : 'none';
      }
    } catch {
      // Not now (network, rate limit): the next video event asks again.
      if (!gone) captions = 'pending';
    }
  }

  async function askChapters(): Promise<void> {
    if (chaptersAsking) {
      chaptersAgain = true;
      return;
    }
    chaptersAsking = true;
    try {
      const r = await request<{ chapters: Chapter[] }>('GET', `${base()}/chapters`, undefined, { cache: 'no-store' });
      if (gone) return;
      const next = Array.isArray(r.chapters) ? r.chapters : [];
      if (!sameChapters(next, chapters)) {
        chapters = next;
        chapterTrack?.remove();
        chapterTrack = null;
        if (chapters.length) {
          // A new address per version: a track element never loads the same src twice.
          chapterTrack = p.addTrack({ kind: 'chapters', default: true, src: `/media/${enc(v.slug)}/chapters.vtt?v=${++chapterVersion}` });
        } else {
          p.media.textTracks.dispatchEvent(new Event('change'));
        }
        for (const fn of listeners) fn(chapters);
      }
    } catch {
      // The chapters stay as they were; the next video event asks again.
    } finally {
      chaptersAsking = false;
      if (chaptersAgain && !gone) {
        chaptersAgain = false;
        void askChapters();
      }
    }
  }

  function update(nv: Video): void {
    if (gone || nv.status !== 'ready') return;
    v = nv;
    addThumbs();
    void askCaptions();
    void askChapters();
  }

  update(first);
  return {
    update,
    onChapters(fn) {
      listeners.push(fn);
      fn(chapters);
    },
    destroy() {
      gone = true;
      listeners.length = 0;
    },
  };
}
