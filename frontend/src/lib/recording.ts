// Pure decisions of the recorder: which format to record, how to lay out the
// picture, where an interrupted upload resumes. No DOM or browser APIs here,
// so all of it is unit-tested under Node.

/**
 * MIME_PREFERENCE is the order in which the recorder asks MediaRecorder for a
 * format. H.264 first: Chromium encodes it at a fraction of VP8's cost and
 * the server keeps the video stream as it is (only the audio is converted).
 * Chromium answers the H.264 request with Matroska, which the server reads.
 * VP9 next, then VP8, which cannot keep up with 720p on two cores. MP4 last,
 * for Safari, which records nothing else.
 */
export const MIME_PREFERENCE = [
  'video/webm;codecs=h264,opus',
  'video/webm;codecs=vp9,opus',
  'video/webm;codecs=vp8,opus',
  'video/webm',
  'video/mp4;codecs=avc1',
  'video/mp4',
] as const;

/**
 * pickMimeType returns the first supported type of MIME_PREFERENCE, or ""
 * to let the browser choose.
 */
export function pickMimeType(isSupported: (type: string) => boolean): string {
  for (const t of MIME_PREFERENCE) {
    try {
      if (isSupported(t)) return t;
    } catch {
      // Some browsers throw on types they do not know.
    }
  }
  return '';
}

/** videoBitrate picks an encoder bitrate for a frame size: enough for legible screen text. */
export function videoBitrate(width: number, height: number): number {
  const px = width * height;
  if (px >= 1920 * 1080) return 5_000_000;
  if (px >= 1280 * 720) return 3_000_000;
  return 1_500_000;
}

export interface Size {
  width: number;
  height: number;
}

/**
 * canvasSize is the size of the composited picture for a screen of the given
 * size: at most `maxWidth` x `maxHeight` (scaled down keeping the aspect
 * ratio), and even in both directions, as H.264 with 4:2:0 chroma needs.
 */
export function canvasSize(src: Size, maxWidth = 1920, maxHeight = 1080): Size {
  let { width, height } = src;
  if (!(width > 0) || !(height > 0)) return { width: 1280, height: 720 };
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  width = Math.max(2, Math.round((width * scale) / 2) * 2);
  height = Math.max(2, Math.round((height * scale) / 2) * 2);
  return { width, height };
}

/**
 * maxPicture is the largest picture the recorder composites on a machine
 * with `cores` logical cores: 1080p where there is room, 720p on small
 * machines, where drawing and encoding 1080p at 30 fps takes most of two
 * cores and starves everything else.
 */
export function maxPicture(cores: number | undefined): Size {
  return (cores ?? 0) >= 4 ? { width: 1920, height: 1080 } : { width: 1280, height: 720 };
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** fitContain places a source of size `src` inside `box`, letterboxed and centred. */
export function fitContain(src: Size, box: Size): Rect {
  if (!(src.width > 0) || !(src.height > 0)) return { x: 0, y: 0, width: box.width, height: box.height };
  const scale = Math.min(box.width / src.width, box.height / src.height);
  const width = src.width * scale;
  const height = src.height * scale;
  return { x: (box.width - width) / 2, y: (box.height - height) / 2, width, height };
}

/** coverSquare is the centred square crop of a source, for the round camera bubble. */
export function coverSquare(src: Size): Rect {
  const side = Math.min(src.width, src.height);
  return { x: (src.width - side) / 2, y: (src.height - side) / 2, width: side, height: side };
}

export type Corner = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
export const CORNERS: readonly Corner[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

export function isCorner(s: unknown): s is Corner {
  return typeof s === 'string' && (CORNERS as readonly string[]).includes(s);
}

/** Circle geometry of the camera bubble: centre and radius in canvas pixels. */
export interface Circle {
  cx: number;
  cy: number;
  r: number;
}

/**
 * bubbleCircle places the camera bubble in a corner of a canvas. Its
 * diameter is about a quarter of the picture's height, as on a call, and it
 * keeps a margin from the edges so players' controls do not cover it.
 */
export function bubbleCircle(canvas: Size, corner: Corner): Circle {
  const short = Math.min(canvas.width, canvas.height);
  const r = Math.round(short * 0.13);
  const margin = Math.round(short * 0.04);
  const left = corner.endsWith('left');
  const top = corner.startsWith('top');
  return {
    cx: left ? margin + r : canvas.width - margin - r,
    cy: top ? margin + r : canvas.height - margin - r,
    r,
  };
}

/** cornerAt is the corner of a box nearest to a point in it (for "click to move the bubble"). */
export function cornerAt(x: number, y: number, box: Size): Corner {
  const top = y < box.height / 2;
  const left = x < box.width / 2;
  return `${top ? 'top' : 'bottom'}-${left ? 'left' : 'right'}` as Corner;
}

/** A chunk of the recording: `size` bytes that belong at byte `offset` of the file. */
export interface ChunkSpan {
  offset: number;
  size: number;
}

export type SendPlan =
  | { kind: 'send'; start: number }
  | { kind: 'idle' }
  | { kind: 'gap'; missingFrom: number; missingTo: number };

/**
 * planSend decides what to send next, given the chunks still held (in order)
 * and the server's offset. Chunks wholly below the offset are acknowledged
 * and can be dropped (`acked` counts them, from the front); the chunk after
 * them is the one to send. A chunk that
 * straddles the offset is sent from `start`, the first byte the server lacks
 * (the server may have kept part of a request that broke off). A chunk that
 * begins beyond the offset means bytes are missing: resuming there would
 * corrupt the file, so that is reported, never papered over.
 */
export function planSend(chunks: readonly ChunkSpan[], serverOffset: number): { acked: number; plan: SendPlan } {
  let acked = 0;
  while (acked < chunks.length) {
    const c = chunks[acked]!;
    if (c.offset + c.size > serverOffset) break;
    acked++;
  }
  const next = chunks[acked];
  if (!next) return { acked, plan: { kind: 'idle' } };
  if (next.offset > serverOffset) {
    return { acked, plan: { kind: 'gap', missingFrom: serverOffset, missingTo: next.offset } };
  }
  return { acked, plan: { kind: 'send', start: serverOffset - next.offset } };
}

/**
 * retryDelay is the wait before retry number `attempt` (0-based) of a failed
 * upload request: quick at first, since most drops are brief, then every
 * few seconds, with jitter so many recorders do not retry in step.
 */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const steps = [250, 500, 1000, 2000, 3000];
  const base = steps[Math.min(attempt, steps.length - 1)]!;
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** isRetryableStatus: answers after which the same request may succeed later. */
export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 409 || status === 423 || status === 429 || status >= 500;
}

/**
 * elapsedMs sums the recorded time of segments [start, end) (end null while
 * running), i.e. wall time minus pauses.
 */
export function elapsedMs(segments: readonly { start: number; end: number | null }[], now: number): number {
  let total = 0;
  for (const s of segments) total += Math.max(0, (s.end ?? now) - s.start);
  return total;
}
