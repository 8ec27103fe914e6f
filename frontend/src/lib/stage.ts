// The stage is the 16:9 area of the watch and embed pages: the player once a
// video is ready, otherwise a panel saying what is happening. It updates in
// place from live events and swaps in the player without a reload.
import type { Video, VideoStatus } from './api';
import { h, icon } from './dom';
import { clampPercent, formatBytes } from './format';
import { attachLive, type LivePlayback } from './live';
import { createPlayer, type Player } from './player';
import { PlayerKeys } from './player/keys';
import { attachRecord, type Chapter, type RecordTracks } from './player/record';
import { keepPosition, readSpot, resumeAt, showResumed } from './player/resume';

export interface Stage {
  update(v: Video): void;
  /** The player on the stage now, if any (it is replaced when a live recording becomes ready). */
  player(): Player | null;
  /** Called with each new player (comments put their markers on its seek bar). */
  onPlayer(fn: (p: Player) => void): void;
  /** The page's keyboard shortcuts, which follow the current player. */
  readonly keys: PlayerKeys;
  /** Called with the ready video's chapters, now and after each change ([] for none). */
  onChapters(fn: (c: Chapter[]) => void): void;
}

interface StageOptions {
  /** Embed: shorter copy, no hints. */
  minimal?: boolean;
  /** Where the first player starts, in seconds (a link's ?t=). */
  startAt?: number;
  /** Start playing by itself, muted (embeds that ask for it). */
  autoplayMuted?: boolean;
  /** Keyboard shortcuts (default on). */
  keys?: boolean;
}

/**
 * isLive says whether a video can be watched while it is being recorded (or
 * was just recorded and is not ready yet): the server then has a growing
 * HLS rendition of it.
 */
export function isLive(v: Pick<Video, 'status' | 'liveUrl'>): boolean {
  return !!v.liveUrl && v.status !== 'ready' && v.status !== 'failed';
}

/** readyHint says when a recording in progress will be ready (see Video.processing). */
export function readyHint(processing: Video['processing'], stopper = 'the recording stops'): string {
  if (processing === 'live') return `ready about a second after ${stopper}`;
  if (processing === 'after-upload') return `the server is busy: ready a little after ${stopper}`;
  return '';
}

/** statusHeading is the one-line state shown on the stage and on cards. */
export function statusHeading(v: Pick<Video, 'status' | 'progress' | 'uploadedBytes' | 'processing'>): string {
  switch (v.status) {
    case 'created':
      return 'Waiting for upload';
    case 'uploading': {
      const up = v.uploadedBytes > 0 ? `Uploading… ${formatBytes(v.uploadedBytes)}` : 'Uploading…';
      const when = readyHint(v.processing);
      return when ? `${up} · ${when}` : up;
    }
    case 'processing':
      return `Processing… ${clampPercent(v.progress)}%`;
    case 'failed':
      return "This video couldn’t be processed";
    case 'ready':
      return 'Ready';
  }
}

const HINTS: Record<Exclude<VideoStatus, 'ready' | 'failed'>, string> = {
  created: 'The recording will show up here as soon as it starts uploading. This page updates by itself.',
  uploading: 'You can share the link already. The video plays here as soon as it’s processed.',
  processing: 'Almost there. The video plays here as soon as it’s ready. No need to reload.',
};

/** Where a live viewer was when the final video replaced the live one. */
interface Handoff {
  time: number;
  playing: boolean;
}

export function createStage(root: HTMLElement, opts: StageOptions = {}): Stage {
  // What the stage shows: the live rendition, or a video status.
  let current: VideoStatus | 'live' | null = null;
  let last: Video | null = null;
  let live: {
    video: HTMLVideoElement;
    badgeText: HTMLElement;
    playback: LivePlayback | null;
  } | null = null;
  // The live rendition could not be played here: show the status panel instead.
  let liveFailed = false;
  let panel: {
    heading: HTMLElement;
    bar: HTMLElement;
    fill: HTMLElement;
    reason: HTMLElement | null;
  } | null = null;
  // Announces state changes only (not every percent) to screen readers.
  // It lives beside the stage so it survives the stage's content being replaced.
  const announce = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  root.after(announce);

  let player: Player | null = null;
  // The ready video's captions, thumbnails and chapters, and where the
  // viewer is in it (resume.ts).
  let record: RecordTracks | null = null;
  let stopKeeping: (() => void) | null = null;
  const chapterListeners: ((c: Chapter[]) => void)[] = [];
  const listeners: ((p: Player) => void)[] = [];
  const keys = new PlayerKeys();
  let startAt = opts.startAt ?? 0;

  function mount(p: Player, extra: HTMLElement[] = []): void {
    dropRecord();
    player?.destroy();
    player = p;
    root.replaceChildren(p.root, ...extra);
    if (opts.keys !== false) keys.attach(p);
    for (const fn of listeners) fn(p);
  }

  function dropRecord(): void {
    stopKeeping?.();
    stopKeeping = null;
    if (record) {
      record.destroy();
      record = null;
      for (const fn of chapterListeners) fn([]);
    }
  }

  function unmount(): void {
    dropRecord();
    player?.destroy();
    player = null;
    keys.attach(null);
  }

  function showPlayer(v: Video, from: Handoff | null): void {
    // Where to start: where the viewer was in the live rendition, else a
    // link's ?t=, else where they left off last time.
    const resumed = from || startAt > 0 ? null : resumeAt(readSpot(v.id), v.durationMs / 1000);
    const p = createPlayer({
      source: 'mp4',
      src: v.mp4Url,
      title: v.title,
      poster: from ? undefined : v.posterUrl || undefined,
      startAt: from && from.time > 0.5 ? from.time : resumed ?? startAt,
      autoplay: from?.playing || opts.autoplayMuted,
      muted: opts.autoplayMuted || undefined,
      defaultRate: v.defaultSpeed,
    });
    startAt = 0;
    if (from) p.media.preload = 'auto';
    p.media.addEventListener('error', () => {
      // The row says ready but the file did not load (removed, network).
      if (p.media.error) showBroken();
    }, { once: true });
    mount(p);
    panel = null;
    if (resumed !== null) showResumed(p, resumed);
    stopKeeping = keepPosition(p, v.id);
    record = attachRecord(p, v);
    for (const fn of chapterListeners) record.onChapters(fn);
  }

  function showLive(v: Video): void {
    const p = createPlayer({ source: 'live', src: '', title: v.title, autoplay: true, muted: opts.autoplayMuted || undefined });
    const video = p.media;
    const badgeText = h('span', {});
    const badge = h('div', { class: 'live-badge', id: 'live-badge' },
      h('span', { class: 'live-badge__dot', 'aria-hidden': 'true' }), badgeText);
    p.top.append(badge);
    mount(p);
    panel = null;
    const mine = { video, badgeText, playback: null as LivePlayback | null };
    live = mine;
    const onFatal = (): void => {
      if (live !== mine) return;
      liveFailed = true;
      if (last) render(last);
    };
    void attachLive(video, v.liveUrl ?? '', onFatal).then(
      (pb) => {
        if (live === mine) {
          mine.playback = pb;
          video.dataset.engine = pb.engine;
        }
        else pb.destroy();
      },
      onFatal,
    );
    void video.play().catch(() => {
      // Autoplay refused: the big play button is there to start it.
    });
  }

  function updateLive(v: Video): void {
    if (!live) return;
    live.badgeText.textContent = v.recording ? 'Recording in progress' : 'Recording ended · finishing';
    root.dataset.recording = String(!!v.recording);
  }

  /** stopLive ends live playback and tells where it was. */
  function stopLive(): Handoff | null {
    if (!live) return null;
    const { video, playback } = live;
    const at: Handoff = { time: video.currentTime, playing: !video.paused && !video.ended };
    playback?.destroy();
    live = null;
    delete root.dataset.recording;
    return at;
  }

  function showBroken(): void {
    root.dataset.broken = 'true';
    unmount();
    root.replaceChildren(
      h('div', { class: 'stage__panel' },
        h('div', { class: 'stage__icon stage__icon--failed' }, icon('alert', 28)),
        h('p', { class: 'stage__heading', text: "The video file couldn’t be loaded" }),
        h('p', { class: 'stage__hint', text: 'Check your connection and reload the page.' }),
      ),
    );
  }

  function showPanel(v: Video): void {
    const headingId = `stage-heading${opts.minimal ? '-embed' : ''}`;
    const heading = h('p', { class: 'stage__heading', id: headingId });
    const fill = h('div', { class: 'progress__fill' });
    const bar = h('div', {
      class: 'progress progress--stage',
      id: 'stage-progress',
      role: 'progressbar',
      'aria-labelledby': headingId,
      'aria-valuemin': '0',
      'aria-valuemax': '100',
    }, fill);
    const failed = v.status === 'failed';
    const reason = failed
      ? h('p', { class: 'stage__reason', id: 'stage-reason' })
      : null;
    const hint = !failed && !opts.minimal
      ? h('p', { class: 'stage__hint', text: HINTS[v.status as keyof typeof HINTS] })
      : null;
    const ico = failed
      ? h('div', { class: 'stage__icon stage__icon--failed' }, icon('alert', 28))
      : v.status === 'created'
        ? h('div', { class: 'stage__icon' }, icon('clock', 28))
        : h('div', { class: 'stage__icon stage__icon--busy' }, h('span', { class: 'pulse' }));
    unmount();
    root.replaceChildren(
      h('div', { class: 'stage__panel' }, ico, heading, failed || v.status === 'created' ? null : bar, reason, hint),
    );
    panel = { heading, bar, fill, reason };
  }

  function updatePanel(v: Video): void {
    if (!panel) return;
    panel.heading.textContent = statusHeading(v);
    if (v.status === 'processing') {
      const p = clampPercent(v.progress);
      panel.bar.setAttribute('aria-valuenow', String(p));
      panel.bar.setAttribute('aria-valuetext', `${p}%`);
      panel.bar.classList.remove('progress--indeterminate');
      panel.fill.style.width = `${p}%`;
    } else if (v.status === 'uploading') {
      // Recordings upload with an unknown total: an indeterminate bar.
      panel.bar.removeAttribute('aria-valuenow');
      panel.bar.setAttribute('aria-valuetext', statusHeading(v));
      panel.bar.classList.add('progress--indeterminate');
      panel.fill.style.width = '';
    }
    if (panel.reason) {
      panel.reason.textContent = v.error || 'Something went wrong while processing this video.';
    }
  }

  const ANNOUNCE: Record<VideoStatus | 'live', string> = {
    live: 'The recording is live. It plays a few seconds behind.',
    created: 'Waiting for the upload to start.',
    uploading: 'Uploading.',
    processing: 'Processing.',
    ready: 'The video is ready to play.',
    failed: "This video couldn’t be processed.",
  };

  function render(v: Video): void {
    last = v;
    root.dataset.status = v.status;
    root.removeAttribute('aria-busy');
    const view = isLive(v) && !liveFailed ? 'live' : v.status;
    const changed = view !== current;
    if (changed) {
      const first = current === null;
      current = view;
      delete root.dataset.broken;
      const from = stopLive();
      if (view === 'live') showLive(v);
      else if (v.status !== 'ready') showPanel(v);
      else if (v.mp4Url) showPlayer(v, from);
      else showBroken();
      if (!first) announce.textContent = ANNOUNCE[view];
    }
    if (view === 'live') updateLive(v);
    else if (v.status !== 'ready') updatePanel(v);
    else if (player && record && !changed) {
      player.setDefaultRate(v.defaultSpeed);
      record.update(v);
    }
  }

  return {
    update: render,
    player: () => player,
    onPlayer: (fn) => {
      listeners.push(fn);
      if (player) fn(player);
    },
    keys,
    onChapters: (fn) => {
      chapterListeners.push(fn);
      record?.onChapters(fn);
    },
  };
}
