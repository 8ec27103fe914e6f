// The recording a comment carries, played inline in the thread. Until the
// recording is ready it says what is happening ("Recording…",
// "Processing…") and follows the recording's own event stream, so every
// open page shows the player about a second after the recorder pressed
// Stop, without a reload.
import { h, icon } from '../dom';
import { formatClock } from '../format';

/** Attachment is a comment's recording as the API shows it. */
export interface Attachment {
  videoId: string;
  kind: 'camera' | 'screen' | 'voice';
  /** The recording's state when the thread was read; absent in events. */
  status?: string;
  durationMs: number;
  width?: number;
  height?: number;
  error?: string;
  mp4Url: string;
  posterUrl?: string;
  eventsUrl: string;
}

interface RecordingState {
  status: string;
  durationMs: number;
  width: number;
  height: number;
  error: string;
  posterUrl: string;
}

const KIND_NAME = { camera: 'Camera reply', screen: 'Screen reply', voice: 'Voice reply' } as const;

export class AttachmentView {
  readonly root: HTMLElement;
  private es: EventSource | null = null;
  private shown = '';

  constructor(private a: Attachment) {
    this.root = h('div', { class: `reply-media reply-media--${a.kind}`, 'data-video-id': a.videoId, 'data-kind': a.kind });
    this.show({
      status: a.status || 'created', durationMs: a.durationMs, width: a.width ?? 0, height: a.height ?? 0,
      error: a.error ?? '', posterUrl: a.posterUrl ?? '',
    });
  }

  get videoId(): string {
    return this.a.videoId;
  }

  /** destroy stops following the recording (the comment is gone). */
  destroy(): void {
    this.es?.close();
    this.es = null;
  }

  private follow(): void {
    if (this.es || typeof EventSource === 'undefined') return;
    const es = new EventSource(this.a.eventsUrl);
    this.es = es;
    es.addEventListener('video', (ev) => {
      let v: { status: string; durationMs: number; width: number; height: number; error: string; posterUrl: string };
      try {
        v = JSON.parse((ev as MessageEvent<string>).data) as typeof v;
      } catch {
        return;
      }
      this.show({
        status: v.status, durationMs: v.durationMs, width: v.width, height: v.height, error: v.error,
        // Relative, like the rest of the thread.
        posterUrl: v.posterUrl ? this.a.mp4Url.replace(/video\.mp4$/, 'poster.jpg') : '',
      });
    });
    es.addEventListener('error', () => {
      // 404 (the recording was deleted) closes the stream for good.
      if (es.readyState === EventSource.CLOSED && this.es === es) {
        this.es = null;
        this.show({ status: 'gone', durationMs: 0, width: 0, height: 0, error: '', posterUrl: '' });
      }
    });
  }

  private show(s: RecordingState): void {
    this.root.dataset.status = s.status;
    const settled = s.status === 'ready' || s.status === 'failed' || s.status === 'gone';
    if (settled) this.destroy();
    else this.follow();
    const key = `${s.status}`;
    if (key === this.shown) return;
    this.shown = key;
    const name = KIND_NAME[this.a.kind];
    switch (s.status) {
      case 'ready':
        this.root.replaceChildren(this.player(s));
        return;
      case 'failed':
        this.root.replaceChildren(this.note('alert', `${name}: this recording couldn’t be processed.${s.error ? ` ${s.error}` : ''}`));
        return;
      case 'gone':
        this.root.replaceChildren(this.note('close', 'The recording was removed.'));
        return;
      case 'processing':
        this.root.replaceChildren(this.note(null, `${name}: almost ready…`));
        return;
      default:
        this.root.replaceChildren(this.note(null, `${name}: recording…`, true));
    }
  }

  private note(ic: 'alert' | 'close' | null, text: string, live = false): HTMLElement {
    return h('p', { class: 'reply-media__note', role: 'status' },
      ic ? icon(ic, 16) : h('span', { class: live ? 'reply-media__dot reply-media__dot--live' : 'reply-media__dot', 'aria-hidden': 'true' }),
      h('span', { text }));
  }

  private player(s: RecordingState): HTMLElement {
    const name = KIND_NAME[this.a.kind];
    const length = s.durationMs > 0 ? formatClock(s.durationMs) : '';
    if (this.a.kind === 'voice') {
      // Sound only: a compact audio player, not a black picture.
      const audio = h('audio', {
        class: 'reply-media__audio', controls: true, preload: 'metadata', src: this.a.mp4Url,
        'aria-label': `${name}${length ? `, ${length}` : ''}`,
      });
      // The player shows the length itself.
      return h('div', { class: 'reply-media__voice' },
        h('span', { class: 'reply-media__badge', 'aria-hidden': 'true' }, icon('mic', 16)),
        audio);
    }
    const video = h('video', {
      class: 'reply-media__video', controls: true, preload: 'metadata', playsinline: true, src: this.a.mp4Url,
      poster: s.posterUrl || null, 'aria-label': `${name}${length ? `, ${length}` : ''}`,
    });
    if (s.width > 0 && s.height > 0) video.style.aspectRatio = `${s.width} / ${s.height}`;
    return video;
  }
}
