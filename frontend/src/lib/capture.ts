// Capturing what the recorder records: the screen, the camera and the
// microphone, the camera bubble composited onto the screen in a canvas, the
// microphone mixed with the screen's own audio, and a level meter.
import {
  bubbleCircle,
  canvasSize,
  coverSquare,
  fitContain,
  maxPicture,
  videoBitrate,
  type Corner,
  type Size,
} from './recording';

export type Mode = 'screen-camera' | 'screen' | 'camera';

export function modeUsesScreen(m: Mode): boolean {
  return m !== 'camera';
}

export function modeUsesCamera(m: Mode): boolean {
  return m !== 'screen';
}

/** What the browser lacks for recording, or [] when everything is there. */
export function missingApis(mode: Mode): string[] {
  const missing: string[] = [];
  const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  if (typeof MediaRecorder === 'undefined') missing.push('MediaRecorder');
  if (modeUsesScreen(mode) && !md?.getDisplayMedia) missing.push('screen capture (getDisplayMedia)');
  if (!md?.getUserMedia) missing.push('camera and microphone access (getUserMedia)');
  return missing;
}

export type CaptureErrorKind = 'denied' | 'not-found' | 'in-use' | 'cancelled' | 'unsupported' | 'other';

/** CaptureError carries a message meant for the person recording. */
export class CaptureError extends Error {
  readonly kind: CaptureErrorKind;
  constructor(kind: CaptureErrorKind, message: string) {
    super(message);
    this.name = 'CaptureError';
    this.kind = kind;
  }
}

/** captureError explains a getUserMedia/getDisplayMedia failure for `what`. */
export function captureError(err: unknown, what: 'camera' | 'microphone' | 'camera and microphone' | 'screen'): CaptureError {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  if (what === 'screen') {
    if (name === 'NotAllowedError' || name === 'AbortError') {
      // Chromium says NotAllowedError both when the picker is dismissed and
      // when a policy forbids capture; both mean "no screen".
      return new CaptureError('cancelled', 'Screen sharing was cancelled. Choose a screen, window or tab to record, or record your camera only.');
    }
    if (name === 'NotFoundError') return new CaptureError('not-found', 'There is no screen to share.');
    if (name === 'NotReadableError') return new CaptureError('in-use', 'The screen couldn’t be captured. Close other apps that capture it and try again.');
    return new CaptureError('other', 'The screen couldn’t be captured.');
  }
  const cap = what.charAt(0).toUpperCase() + what.slice(1);
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new CaptureError('denied', `${cap} access is blocked. Allow it in your browser’s site settings (the icon left of the address), then reload this page.`);
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new CaptureError('not-found', what === 'camera' ? 'No camera was found. Connect one, or record your screen only.' : `No ${what} was found.`);
    case 'NotReadableError':
    case 'AbortError':
      return new CaptureError('in-use', `The ${what} is in use by another app or couldn’t be started.`);
    case 'TypeError':
      return new CaptureError('unsupported', `This page can’t use the ${what} here (it needs HTTPS or localhost).`);
    default:
      return new CaptureError('other', `The ${what} couldn’t be started.`);
  }
}

export interface DeviceLists {
  cameras: MediaDeviceInfo[];
  mics: MediaDeviceInfo[];
}

export async function listDevices(): Promise<DeviceLists> {
  const all = await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
  return {
    cameras: all.filter((d) => d.kind === 'videoinput'),
    mics: all.filter((d) => d.kind === 'audioinput'),
  };
}

function device(id: string): ConstrainDOMString | undefined {
  return id ? { exact: id } : undefined;
}

export async function openCamera(deviceId: string): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: {
        deviceId: device(deviceId),
        width: { ideal: 1280 },
        height: { ideal: 720 },
        frameRate: { ideal: 30 },
      },
      audio: false,
    });
  } catch (err) {
    throw captureError(err, 'camera');
  }
}

export async function openMic(deviceId: string): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: {
        deviceId: device(deviceId),
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
      },
      video: false,
    });
  } catch (err) {
    throw captureError(err, 'microphone');
  }
}

export async function openScreen(withAudio: boolean): Promise<MediaStream> {
  const opts: DisplayMediaStreamOptions & Record<string, unknown> = {
    video: { frameRate: { ideal: 30 }, width: { max: 1920 }, height: { max: 1080 } },
    audio: withAudio,
    // Chromium extras, ignored elsewhere: offer the tab's or system audio,
    // do not offer this very tab, let the person switch what is shared.
    systemAudio: withAudio ? 'include' : 'exclude',
    selfBrowserSurface: 'exclude',
    surfaceSwitching: 'include',
  };
  try {
    return await navigator.mediaDevices.getDisplayMedia(opts);
  } catch (err) {
    throw captureError(err, 'screen');
  }
}

export function stopStream(s: MediaStream | null | undefined): void {
  s?.getTracks().forEach((t) => t.stop());
}

/** videoFor plays a stream in a detached, muted <video> that the compositor draws from. */
export function videoFor(stream: MediaStream): HTMLVideoElement {
  const v = document.createElement('video');
  v.muted = true;
  v.playsInline = true;
  v.srcObject = stream;
  void v.play().catch(() => {});
  return v;
}

/**
 * Ticker calls back at a steady rate even when the page is hidden, from a
 * worker (see ticker.worker.ts); setInterval where workers are unavailable.
 */
export class Ticker {
  private worker: Worker | null = null;
  private interval = 0;
  private readonly fns = new Set<() => void>();

  constructor(private readonly ms: number) {}

  add(fn: () => void): () => void {
    this.fns.add(fn);
    if (this.fns.size === 1) this.start();
    return () => {
      this.fns.delete(fn);
      if (this.fns.size === 0) this.stop();
    };
  }

  private tick = (): void => {
    for (const fn of this.fns) fn();
  };

  private start(): void {
    try {
      this.worker = new Worker(new URL('./ticker.worker.ts', import.meta.url), { type: 'module' });
      this.worker.onmessage = this.tick;
      this.worker.onerror = () => this.fallback();
      this.worker.postMessage(this.ms);
    } catch {
      this.fallback();
    }
  }

  private fallback(): void {
    this.worker?.terminate();
    this.worker = null;
    if (!this.interval) this.interval = window.setInterval(this.tick, this.ms);
  }

  private stop(): void {
    this.worker?.terminate();
    this.worker = null;
    window.clearInterval(this.interval);
    this.interval = 0;
  }
}

/**
 * Compositor draws the screen, letterboxed into a fixed-size canvas (so the
 * recording keeps one resolution when the shared window is resized), and the
 * camera as a round bubble in a corner. The canvas's stream is what is
 * recorded.
 */
export class Compositor {
  readonly canvas: HTMLCanvasElement;
  corner: Corner;
  private readonly ctx: CanvasRenderingContext2D;
  private stopTick: (() => void) | null = null;

  constructor(
    private readonly screen: HTMLVideoElement,
    private camera: HTMLVideoElement | null,
    screenSize: Size,
    corner: Corner,
    private readonly ticker: Ticker,
  ) {
    this.canvas = document.createElement('canvas');
    const max = maxPicture(navigator.hardwareConcurrency);
    const size = canvasSize(screenSize, max.width, max.height);
    this.canvas.width = size.width;
    this.canvas.height = size.height;
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new CaptureError('unsupported', 'This browser can’t draw the recording (no canvas 2D).');
    this.ctx = ctx;
    this.corner = corner;
    this.draw();
  }

  get size(): Size {
    return { width: this.canvas.width, height: this.canvas.height };
  }

  setCamera(v: HTMLVideoElement | null): void {
    this.camera = v;
  }

  start(): void {
    if (!this.stopTick) this.stopTick = this.ticker.add(() => this.draw());
  }

  stop(): void {
    this.stopTick?.();
    this.stopTick = null;
  }

  stream(fps = 30): MediaStream {
    return this.canvas.captureStream(fps);
  }

  draw(): void {
    const { ctx } = this;
    const W = this.canvas.width;
    const H = this.canvas.height;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, W, H);
    const s = this.screen;
    if (s.readyState >= 2 && s.videoWidth > 0) {
      const r = fitContain({ width: s.videoWidth, height: s.videoHeight }, { width: W, height: H });
      ctx.drawImage(s, r.x, r.y, r.width, r.height);
    }
    const c = this.camera;
    if (c && c.readyState >= 2 && c.videoWidth > 0) {
      const { cx, cy, r } = bubbleCircle({ width: W, height: H }, this.corner);
      const crop = coverSquare({ width: c.videoWidth, height: c.videoHeight });
      ctx.save();
      ctx.beginPath();
      ctx.arc(cx, cy, r, 0, Math.PI * 2);
      ctx.closePath();
      ctx.clip();
      ctx.drawImage(c, crop.x, crop.y, crop.width, crop.height, cx - r, cy - r, 2 * r, 2 * r);
      ctx.restore();
      ctx.beginPath();
      ctx.arc(cx, cy, r, 0, Math.PI * 2);
      ctx.lineWidth = Math.max(2, r * 0.04);
      ctx.strokeStyle = 'rgba(255,255,255,0.9)';
      ctx.stroke();
    }
  }
}

/**
 * mixAudio combines audio tracks (microphone and the screen's audio) into
 * one, as MediaRecorder records only one audio track. A single track is
 * passed through untouched.
 */
export function mixAudio(tracks: MediaStreamTrack[]): { track: MediaStreamTrack | null; close(): void } {
  if (tracks.length === 0) return { track: null, close() {} };
  if (tracks.length === 1) return { track: tracks[0]!, close() {} };
  const ctx = new AudioContext();
  void ctx.resume().catch(() => {});
  const dest = ctx.createMediaStreamDestination();
  const sources = tracks.map((t) => {
    const src = ctx.createMediaStreamSource(new MediaStream([t]));
    src.connect(dest);
    return src;
  });
  return {
    track: dest.stream.getAudioTracks()[0] ?? null,
    close() {
      sources.forEach((s) => s.disconnect());
      void ctx.close().catch(() => {});
    },
  };
}

/** LevelMeter reports a microphone's loudness, 0..1, about ten times a second. */
export class LevelMeter {
  private ctx: AudioContext | null = null;
  private timer = 0;
  private readonly resume = (): void => {
    void this.ctx?.resume().catch(() => {});
  };

  constructor(stream: MediaStream, onLevel: (level: number) => void) {
    try {
      this.ctx = new AudioContext();
    } catch {
      return;
    }
    const src = this.ctx.createMediaStreamSource(stream);
    const an = this.ctx.createAnalyser();
    an.fftSize = 1024;
    src.connect(an);
    const buf = new Float32Array(an.fftSize);
    // Audio may not start before the person interacts with the page.
    if (this.ctx.state === 'suspended') {
      window.addEventListener('pointerdown', this.resume, { once: true, capture: true });
      window.addEventListener('keydown', this.resume, { once: true, capture: true });
    }
    this.timer = window.setInterval(() => {
      an.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const x of buf) sum += x * x;
      const rms = Math.sqrt(sum / buf.length);
      // Roughly perceptual: -60 dBFS -> 0, 0 dBFS -> 1.
      const db = 20 * Math.log10(rms || 1e-8);
      onLevel(Math.min(1, Math.max(0, (db + 60) / 60)));
    }, 100);
  }

  close(): void {
    window.clearInterval(this.timer);
    window.removeEventListener('pointerdown', this.resume, { capture: true });
    window.removeEventListener('keydown', this.resume, { capture: true });
    void this.ctx?.close().catch(() => {});
    this.ctx = null;
  }
}

/** recorderOptions asks for a keyframe every 2 s where the browser supports it (HLS cuts only there). */
export function recorderOptions(mimeType: string, size: Size, audio: boolean): MediaRecorderOptions & Record<string, unknown> {
  const o: MediaRecorderOptions & Record<string, unknown> = {
    videoBitsPerSecond: videoBitrate(size.width, size.height),
    videoKeyFrameIntervalDuration: 2000,
  };
  if (mimeType) o.mimeType = mimeType;
  if (audio) o.audioBitsPerSecond = 128_000;
  return o;
}

/** stopMediaRecorder stops rec and resolves after its last chunk was handed over. */
export function stopMediaRecorder(rec: MediaRecorder | null): Promise<void> {
  if (!rec || rec.state === 'inactive') return Promise.resolve();
  return new Promise((resolve) => {
    rec.addEventListener('stop', () => resolve(), { once: true });
    try {
      rec.stop();
    } catch {
      resolve();
    }
  });
}
