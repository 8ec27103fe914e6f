// Replying with a short recording, right in the thread: camera, screen or
// voice. It is the recorder's path in small: the video and its comment
// exist as recording starts (the thread shows "Recording…" to everyone),
// chunks upload while they are recorded (lib/chunkupload.ts), and the
// server converts them as they arrive, so the reply plays about a second
// after Stop. Capture comes from lib/capture.ts; a voice reply records a
// small picture of its own waveform, so it travels the same way as video.
import { ApiError, createReplyVideo, deleteVideo, type ReplyKind, type Video } from '../api';
import {
  Compositor, Ticker, captureError, mixAudio, openCamera, openMic, openScreen, recorderOptions, stopMediaRecorder,
  stopStream, videoFor, type CaptureError,
} from '../capture';
import { ChunkUploader } from '../chunkupload';
import { indexedDBAvailable, recordingSink, saveRecording, type RecordingMeta } from '../chunkstore';
import { forget, resume, unfinished } from '../recovery';
import { acquireLock } from '../recordlocks';
import { h, icon } from '../dom';
import { formatClock, formatDurationLong } from '../format';
import { elapsedMs, pickMimeType } from '../recording';
import type { Comment } from './model';

/** The longest reply the thread records (media.MaxReplyLength). */
export const MAX_REPLY_MS = 5 * 60 * 1000;

export const KIND_LABEL: Record<ReplyKind, string> = { camera: 'Camera', screen: 'Screen', voice: 'Voice' };

/** Test hooks: the reply recorder's state (window.__batonReply). */
interface ReplyHooks {
  state: 'idle' | 'starting' | 'recording' | 'finishing' | 'done' | 'failed';
  videoId: string;
  commentId: string;
  error: string;
  stoppedAt: number;
  uploadedAt: number;
}

declare global {
  interface Window {
    __batonReply?: ReplyHooks;
  }
}

const hooks: ReplyHooks = { state: 'idle', videoId: '', commentId: '', error: '', stoppedAt: 0, uploadedAt: 0 };
if (typeof window !== 'undefined') window.__batonReply = hooks;

/**
 * WaveCanvas draws the microphone's waveform into a small canvas, the
 * picture of a voice reply. Even dimensions, as H.264 needs.
 */
class WaveCanvas {
  readonly canvas = document.createElement('canvas');
  private readonly ctx: CanvasRenderingContext2D;
  private readonly audio = new AudioContext();
  private readonly analyser: AnalyserNode;
  private readonly buf: Float32Array<ArrayBuffer>;
  private readonly bars: number[] = [];
  private stopTick: (() => void) | null = null;

  constructor(stream: MediaStream, private readonly ticker: Ticker) {
    this.canvas.width = 640;
    this.canvas.height = 160;
    this.ctx = this.canvas.getContext('2d', { alpha: false })!;
    void this.audio.resume().catch(() => {});
    const src = this.audio.createMediaStreamSource(stream);
    this.analyser = this.audio.createAnalyser();
    this.analyser.fftSize = 1024;
    src.connect(this.analyser);
    this.buf = new Float32Array(this.analyser.fftSize);
    this.draw();
  }

  start(): void {
    this.stopTick = this.ticker.add(() => this.draw());
  }

  stop(): void {
    this.stopTick?.();
    this.stopTick = null;
    void this.audio.close().catch(() => {});
  }

  /** One bar per tick, scrolling left: the last seconds of speech. */
  private draw(): void {
    const { ctx, canvas } = this;
    const W = canvas.width;
    const H = canvas.height;
    this.analyser.getFloatTimeDomainData(this.buf);
    let peak = 0;
    for (const x of this.buf) peak = Math.max(peak, Math.abs(x));
    this.bars.push(Math.min(1, Math.sqrt(peak) * 1.2));
    const step = 8;
    const n = Math.floor(W / step);
    while (this.bars.length > n) this.bars.shift();
    ctx.fillStyle = '#1f2430';
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = '#8fb4ff';
    const offset = W - this.bars.length * step;
    this.bars.forEach((b, i) => {
      const bh = Math.max(4, b * (H - 24));
      ctx.fillRect(offset + i * step + 2, (H - bh) / 2, step - 4, bh);
    });
  }
}

export interface ReplyTarget {
  /** The video replied to (its id: the recording is made for it). */
  videoId: string;
  /** Posts the comment that carries the recording; resolves with it. */
  post(videoId: string): Promise<Comment>;
  /** Deletes that comment (the server deletes its recording with it). */
  remove(c: Comment): Promise<void>;
  /** Called once the recording is saved or thrown away (its form may close). */
  finished?(): void;
}

/**
 * ReplyRecorder records one reply at a time (per page: one camera, one
 * microphone). Its bar replaces the form's buttons while it records.
 */
export class ReplyRecorder {
  readonly bar: HTMLElement;
  private readonly timer: HTMLElement;
  private readonly limit: HTMLElement;
  private readonly label: HTMLElement;
  private readonly stopBtn: HTMLButtonElement;
  private readonly cancelBtn: HTMLButtonElement;
  private readonly ticker = new Ticker(1000 / 15);
  private recorder: MediaRecorder | null = null;
  private uploader: ChunkUploader | null = null;
  private streams: MediaStream[] = [];
  private cleanups: (() => void)[] = [];
  private segments: { start: number; end: number | null }[] = [];
  private stopTick: (() => void) | null = null;
  private video: Video | null = null;
  private comment: Comment | null = null;
  private target: ReplyTarget | null = null;
  /** Releases this tab's claim on the kept chunks (lib/recordlocks.ts). */
  private releaseLock: (() => void) | null = null;
  private static active: ReplyRecorder | null = null;

  constructor(private readonly onDone: (err: string) => void) {
    this.timer = h('span', { class: 'reply-rec__timer', text: '0:00', role: 'timer' });
    // The server keeps to the same limit (it cuts a longer upload there),
    // so what is said after it is never kept: say so before it happens.
    this.limit = h('span', {
      class: 'reply-rec__limit', text: ` / ${formatClock(MAX_REPLY_MS)}`,
      title: `Replies are up to ${formatDurationLong(MAX_REPLY_MS)}: recording stops at ${formatClock(MAX_REPLY_MS)} and keeps everything until then.`,
    });
    this.label = h('span', { class: 'reply-rec__label', text: 'Recording' });
    this.stopBtn = h('button', {
      type: 'button', class: 'btn btn--primary btn--small reply-rec__stop', 'data-action': 'stop-recording',
      onclick: () => void this.stop(),
    }, icon('stop', 16), h('span', { text: 'Stop' }));
    this.cancelBtn = h('button', {
      type: 'button', class: 'btn btn--secondary btn--small', 'data-action': 'cancel-recording', text: 'Cancel',
      onclick: () => void this.cancel(),
    });
    this.bar = h('div', { class: 'reply-rec', role: 'group', 'aria-label': 'Recording a reply', hidden: true },
      h('span', { class: 'reply-rec__dot', 'aria-hidden': 'true' }), this.label,
      h('span', { class: 'reply-rec__time' }, this.timer, this.limit),
      this.cancelBtn, this.stopBtn);
  }

  get busy(): boolean {
    return ReplyRecorder.active !== null;
  }

  /** start captures, creates the recording and its comment, and records. */
  async start(kind: ReplyKind, target: ReplyTarget): Promise<void> {
    if (ReplyRecorder.active) throw new Error('A reply is already being recorded on this page. Stop it first.');
    ReplyRecorder.active = this;
    setRecordButtons(false);
    hooks.state = 'starting';
    hooks.error = '';
    this.target = target;
    this.comment = null;
    try {
      if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
        throw new Error('This browser can’t record here (it needs HTTPS or localhost, and a recent browser).');
      }
      const stream = await this.capture(kind);
      // The video and its comment first: the thread shows the reply as
      // soon as it starts.
      this.video = await createReplyVideo(target.videoId, kind);
      hooks.videoId = this.video.id;
      const c = await target.post(this.video.id);
      this.comment = c;
      hooks.commentId = c.id;
      const mimeType = pickMimeType((t) => MediaRecorder.isTypeSupported(t));
      // Kept on this device until the server has it, like the recorder's
      // recordings: if the tab dies, the watch page offers to finish it.
      const meta: RecordingMeta = {
        videoId: this.video.id, uploadUrl: this.video.uploadUrl, shareUrl: this.video.shareUrl, slug: this.video.slug,
        title: this.video.title, mimeType, startedAt: Date.now(), totalBytes: 0, chunkCount: 0, recordedMs: 0,
        replyTo: target.videoId, commentId: c.id, kind,
      };
      const backup = indexedDBAvailable() && (await saveRecording(meta).then(() => true, () => false));
      this.releaseLock = acquireLock(meta.videoId);
      this.uploader = new ChunkUploader({
        uploadUrl: this.video.uploadUrl,
        sink: backup ? recordingSink(meta, () => elapsedMs(this.segments, performance.now())) : undefined,
      });
      const settings = stream.getVideoTracks()[0]?.getSettings();
      const size = { width: settings?.width ?? 640, height: settings?.height ?? 360 };
      let rec: MediaRecorder;
      try {
        rec = new MediaRecorder(stream, recorderOptions(mimeType, size, stream.getAudioTracks().length > 0));
      } catch {
        rec = new MediaRecorder(stream);
      }
      this.recorder = rec;
      rec.ondataavailable = (e) => {
        if (e.data && e.data.size > 0) this.uploader?.push(e.data);
      };
      rec.onerror = () => void this.stop();
      // The browser's own "Stop sharing" ends the reply like Stop.
      stream.getVideoTracks()[0]?.addEventListener('ended', () => void this.stop());
      rec.start(1000);
      this.segments = [{ start: performance.now(), end: null }];
      this.label.textContent = `Recording ${KIND_LABEL[kind].toLowerCase()}`;
      this.bar.hidden = false;
      this.stopTick = this.ticker.add(() => this.tick());
      this.tick();
      hooks.state = 'recording';
      // The recording is only in this tab until it is uploaded.
      window.addEventListener('beforeunload', warnBeforeUnload);
      this.stopBtn.focus();
    } catch (err) {
      const msg = startError(err);
      await this.discard();
      hooks.state = 'failed';
      hooks.error = msg;
      throw new Error(msg);
    }
  }

  private async capture(kind: ReplyKind): Promise<MediaStream> {
    const mic = await openMic('');
    this.streams.push(mic);
    const micTrack = mic.getAudioTracks()[0]!;
    if (kind === 'voice') {
      const wave = new WaveCanvas(mic, this.ticker);
      wave.start();
      this.cleanups.push(() => wave.stop());
      return new MediaStream([wave.canvas.captureStream(15).getVideoTracks()[0]!, micTrack]);
    }
    if (kind === 'camera') {
      const cam = await openCamera('');
      this.streams.push(cam);
      return new MediaStream([cam.getVideoTracks()[0]!, micTrack]);
    }
    const screen = await openScreen(true);
    this.streams.push(screen);
    // Letterboxed into a fixed canvas, as the recorder does, so a resized
    // window keeps one picture size.
    const sv = videoFor(screen);
    const track = screen.getVideoTracks()[0]!;
    const s = track.getSettings();
    const comp = new Compositor(sv, null, { width: s.width ?? 1280, height: s.height ?? 720 }, 'bottom-right', this.ticker);
    comp.start();
    this.cleanups.push(() => comp.stop());
    const mix = mixAudio([micTrack, ...screen.getAudioTracks()]);
    this.cleanups.push(() => mix.close());
    track.addEventListener('ended', () => void this.stop());
    const picture = comp.stream(30).getVideoTracks()[0]!;
    return new MediaStream(mix.track ? [picture, mix.track] : [picture]);
  }

  private tick(): void {
    const ms = elapsedMs(this.segments, performance.now());
    const text = formatClock(ms);
    if (this.timer.textContent !== text) {
      this.timer.textContent = text;
      this.timer.setAttribute('aria-label', `${formatDurationLong(ms) || '0 seconds'} recorded`);
      const warn = MAX_REPLY_MS - ms < 30_000;
      this.bar.dataset.warn = String(warn);
      if (warn) this.label.textContent = `Stops at ${formatClock(MAX_REPLY_MS)}`;
    }
    if (ms >= MAX_REPLY_MS) void this.stop();
  }

  /** stop ends the recording and uploads what is left; the thread shows it when ready. */
  async stop(): Promise<void> {
    if (hooks.state !== 'recording' || !this.recorder) return;
    hooks.state = 'finishing';
    hooks.stoppedAt = performance.now();
    const seg = this.segments[this.segments.length - 1];
    if (seg && seg.end === null) seg.end = performance.now();
    this.stopTick?.();
    this.stopTick = null;
    this.stopBtn.disabled = true;
    this.cancelBtn.disabled = true;
    this.label.textContent = 'Saving';
    await stopMediaRecorder(this.recorder);
    this.release();
    let err = '';
    try {
      await this.uploader?.finish();
      hooks.uploadedAt = performance.now();
      hooks.state = 'done';
    } catch (e) {
      err = e instanceof Error ? e.message : 'The recording couldn’t be uploaded.';
      hooks.state = 'failed';
      hooks.error = err;
    }
    // Uploaded, or refused by the server: nothing left to resume either way.
    if (this.video) await forget(this.video.id);
    this.finish(err);
  }

  /** cancel throws the recording away (its comment goes with it). */
  async cancel(): Promise<void> {
    if (hooks.state !== 'recording') return;
    hooks.state = 'finishing';
    if (this.recorder) this.recorder.ondataavailable = null;
    await stopMediaRecorder(this.recorder);
    await this.discard();
    hooks.state = 'idle';
    this.finish('');
  }

  private finish(err: string): void {
    window.removeEventListener('beforeunload', warnBeforeUnload);
    this.releaseLock?.();
    this.releaseLock = null;
    this.bar.hidden = true;
    this.stopBtn.disabled = false;
    this.cancelBtn.disabled = false;
    this.timer.textContent = '0:00';
    this.recorder = null;
    this.uploader = null;
    this.video = null;
    ReplyRecorder.active = null;
    setRecordButtons(true);
    this.target?.finished?.();
    this.onDone(err);
  }

  private release(): void {
    for (const c of this.cleanups.splice(0)) c();
    for (const s of this.streams.splice(0)) stopStream(s);
  }

  /** discard stops capture and deletes the recording (and, on the server, its comment's recording). */
  private async discard(): Promise<void> {
    this.stopTick?.();
    this.stopTick = null;
    this.uploader?.abort();
    this.release();
    window.removeEventListener('beforeunload', warnBeforeUnload);
    const v = this.video;
    const c = this.comment;
    if (v) await forget(v.id);
    this.releaseLock?.();
    this.releaseLock = null;
    this.video = null;
    this.comment = null;
    this.bar.hidden = true;
    ReplyRecorder.active = null;
    setRecordButtons(true);
    try {
      // The comment takes its recording with it; a recording never
      // posted is deleted on its own.
      if (c) await this.target?.remove(c);
      else if (v) await deleteVideo(v.id);
    } catch (err) {
      if (!(err instanceof ApiError && err.notFound)) hooks.error = err instanceof Error ? err.message : String(err);
    }
  }
}

/**
 * offerRecovery shows, in slot, the replies recorded in videoId's threads
 * whose tab closed before their upload finished (kept on this device), with
 * Finish uploading and Discard. remove deletes a reply's comment (and with
 * it the recording).
 */
export async function offerRecovery(videoId: string, slot: HTMLElement, remove: (commentId: string) => Promise<void>): Promise<void> {
  for (const m of await unfinished((m) => m.replyTo === videoId)) {
    const what = `${KIND_LABEL[(m.kind ?? 'voice') as ReplyKind] ?? 'Recorded'} reply`;
    const text = h('p', {
      text: `${what}${m.recordedMs ? ` (${formatClock(m.recordedMs)} recorded)` : ''}: this page closed before it was uploaded completely. What was recorded is kept on this device.`,
    });
    const finishBtn = h('button', { type: 'button', class: 'btn btn--primary btn--small', 'data-action': 'finish-reply-upload', text: 'Finish uploading' });
    const discardBtn = h('button', { type: 'button', class: 'btn btn--secondary btn--small', 'data-action': 'discard-reply-upload', text: 'Discard' });
    const box = h('div', { class: 'notice reply-recover', role: 'status' }, text, h('div', { class: 'reply-recover__actions' }, finishBtn, discardBtn));
    const settle = (msg: string): void => {
      text.textContent = msg;
      finishBtn.remove();
      discardBtn.remove();
      window.setTimeout(() => box.remove(), 8000);
    };
    finishBtn.onclick = async () => {
      finishBtn.disabled = discardBtn.disabled = true;
      text.textContent = `Uploading the rest of your ${what.toLowerCase()}…`;
      try {
        const r = await resume(m);
        try {
          await r.uploader.finish();
          settle(`${what} uploaded. It plays in the thread in a moment.`);
        } finally {
          r.release();
        }
      } catch (err) {
        settle(err instanceof Error ? `The reply couldn’t be uploaded: ${err.message}` : 'The reply couldn’t be uploaded.');
      }
      await forget(m.videoId);
    };
    discardBtn.onclick = async () => {
      finishBtn.disabled = discardBtn.disabled = true;
      try {
        if (m.commentId) await remove(m.commentId);
        else await deleteVideo(m.videoId);
      } catch (err) {
        if (!(err instanceof ApiError && err.notFound)) {
          finishBtn.disabled = discardBtn.disabled = false;
          text.textContent = err instanceof Error ? err.message : String(err);
          return;
        }
      }
      await forget(m.videoId);
      settle(`${what} discarded.`);
    };
    slot.append(box);
  }
}

function warnBeforeUnload(e: BeforeUnloadEvent): void {
  e.preventDefault();
}

/** setRecordButtons: one recording at a time (one camera, one microphone). */
let recordingNow = false;
function setRecordButtons(enabled: boolean): void {
  recordingNow = !enabled;
  document.querySelectorAll<HTMLButtonElement>('.record-btn').forEach((b) => {
    b.disabled = !enabled;
  });
}

function startError(err: unknown): string {
  if (err instanceof Error && err.name === 'CaptureError') return (err as CaptureError).message;
  if (err instanceof DOMException) return captureError(err, 'camera and microphone').message;
  return err instanceof Error && err.message ? err.message : 'The recording couldn’t start.';
}

/**
 * recordButtons are the "Camera", "Screen", "Voice" buttons next to Send.
 * Screen is left out where the browser cannot share a screen (phones).
 */
export function recordButtons(idPrefix: string, onPick: (kind: ReplyKind, btn: HTMLButtonElement) => void): HTMLElement {
  const kinds: { kind: ReplyKind; ic: 'camera' | 'monitor' | 'mic' }[] = [
    { kind: 'camera', ic: 'camera' }, { kind: 'screen', ic: 'monitor' }, { kind: 'voice', ic: 'mic' },
  ];
  const canScreen = typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getDisplayMedia;
  return h('span', { class: 'record-btns', role: 'group', 'aria-label': `Reply with a recording (up to ${formatDurationLong(MAX_REPLY_MS)})` },
    ...kinds.filter((k) => k.kind !== 'screen' || canScreen).map((k) => {
      const btn: HTMLButtonElement = h('button', {
        type: 'button', id: `${idPrefix}-${k.kind}`, class: 'btn btn--ghost btn--small record-btn', 'data-record': k.kind,
        disabled: recordingNow,
        title: `Record a ${k.kind === 'voice' ? 'voice' : k.kind} reply, up to ${formatDurationLong(MAX_REPLY_MS)}`,
        onclick: () => onPick(k.kind, btn),
      }, icon(k.ic, 16), h('span', { text: KIND_LABEL[k.kind] }));
      return btn;
    }));
}

/** recordSlot is the record buttons for members, or why there are none. */
export function recordSlot(idPrefix: string, record: ((kind: ReplyKind, btn: HTMLButtonElement) => void) | null): HTMLElement {
  if (record) return recordButtons(idPrefix, record);
  const next = location.pathname + location.search;
  return h('span', { class: 'record-btns__guest' },
    h('a', { href: `/login?next=${encodeURIComponent(next)}`, text: 'Sign in' }),
    h('span', { text: ' to reply with a recording.' }));
}
