// The stage is the 16:9 area of the watch and embed pages: the player once a
// video is ready, otherwise a panel saying what is happening. It updates in
// place from live events and swaps in the player without a reload.
import type { Video, VideoStatus } from './api';
import { h, icon } from './dom';
import { clampPercent, formatBytes } from './format';

export interface Stage {
  update(v: Video): void;
}

interface StageOptions {
  /** Embed: shorter copy, no hints. */
  minimal?: boolean;
}

/** statusHeading is the one-line state shown on the stage and on cards. */
export function statusHeading(v: Pick<Video, 'status' | 'progress' | 'uploadedBytes'>): string {
  switch (v.status) {
    case 'created':
      return 'Waiting for upload';
    case 'uploading':
      return v.uploadedBytes > 0 ? `Uploading… ${formatBytes(v.uploadedBytes)}` : 'Uploading…';
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

export function createStage(root: HTMLElement, opts: StageOptions = {}): Stage {
  let current: VideoStatus | null = null;
  let panel: {
    heading: HTMLElement;
    bar: HTMLElement;
    fill: HTMLElement;
    reason: HTMLElement | null;
  } | null = null;
  // Announces state changes only (not every percent) to screen readers.
  // It lives beside the stage so it survives the stage's content being replaced.
  const live = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  root.after(live);

  function showPlayer(v: Video): void {
    const video = h('video', {
      id: 'player',
      class: 'stage__player',
      controls: true,
      playsinline: true,
      preload: 'metadata',
      'aria-label': v.title || 'Video',
    });
    if (v.posterUrl) video.poster = v.posterUrl;
    video.src = v.mp4Url;
    video.addEventListener('error', () => {
      // The row says ready but the file did not load (removed, network).
      if (video.error) showBroken();
    }, { once: true });
    root.replaceChildren(video);
    panel = null;
  }

  function showBroken(): void {
    root.dataset.broken = 'true';
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

  const ANNOUNCE: Record<VideoStatus, string> = {
    created: 'Waiting for the upload to start.',
    uploading: 'Uploading.',
    processing: 'Processing.',
    ready: 'The video is ready to play.',
    failed: "This video couldn’t be processed.",
  };

  return {
    update(v: Video) {
      root.dataset.status = v.status;
      root.removeAttribute('aria-busy');
      if (v.status !== current) {
        const first = current === null;
        current = v.status;
        delete root.dataset.broken;
        if (v.status !== 'ready') showPanel(v);
        else if (v.mp4Url) showPlayer(v);
        else showBroken();
        if (!first) live.textContent = ANNOUNCE[v.status];
      }
      if (v.status !== 'ready') updatePanel(v);
    },
  };
}
