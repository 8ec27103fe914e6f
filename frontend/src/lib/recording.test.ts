import { describe, expect, it } from 'vitest';
import {
  MIME_PREFERENCE,
  bubbleCircle,
  canvasSize,
  cornerAt,
  coverSquare,
  elapsedMs,
  fitContain,
  isRetryableStatus,
  maxPicture,
  pickMimeType,
  planSend,
  retryDelay,
  videoBitrate,
} from './recording';

describe('pickMimeType', () => {
  it('prefers H.264, as Chromium offers it', () => {
    expect(pickMimeType(() => true)).toBe('video/webm;codecs=h264,opus');
  });

  it('falls back in order: VP9, VP8, plain WebM, MP4', () => {
    const only = (ok: string[]) => (t: string) => ok.includes(t);
    expect(pickMimeType(only(['video/webm;codecs=vp9,opus', 'video/webm']))).toBe('video/webm;codecs=vp9,opus');
    expect(pickMimeType(only(['video/webm;codecs=vp8,opus', 'video/webm']))).toBe('video/webm;codecs=vp8,opus');
    expect(pickMimeType(only(['video/webm']))).toBe('video/webm');
    expect(pickMimeType(only(['video/mp4']))).toBe('video/mp4');
  });

  it('lets the browser choose when it supports none, or throws', () => {
    expect(pickMimeType(() => false)).toBe('');
    expect(pickMimeType(() => {
      throw new Error('unknown type');
    })).toBe('');
  });

  it('never asks for AAC, which MediaRecorder refuses', () => {
    expect(MIME_PREFERENCE.some((t) => t.includes('mp4a'))).toBe(false);
  });
});

describe('planSend', () => {
  const chunks = [
    { offset: 0, size: 100 },
    { offset: 100, size: 50 },
    { offset: 150, size: 70 },
  ];

  it('sends the first chunk of a fresh upload whole', () => {
    expect(planSend(chunks, 0)).toEqual({ acked: 0, plan: { kind: 'send', start: 0 } });
  });

  it('drops acknowledged chunks and sends the next', () => {
    expect(planSend(chunks, 100)).toEqual({ acked: 1, plan: { kind: 'send', start: 0 } });
    expect(planSend(chunks, 150)).toEqual({ acked: 2, plan: { kind: 'send', start: 0 } });
  });

  it('slices a chunk the server holds part of', () => {
    expect(planSend(chunks, 120)).toEqual({ acked: 1, plan: { kind: 'send', start: 20 } });
    expect(planSend(chunks, 219)).toEqual({ acked: 2, plan: { kind: 'send', start: 69 } });
  });

  it('is idle when the server has everything', () => {
    expect(planSend(chunks, 220)).toEqual({ acked: 3, plan: { kind: 'idle' } });
    expect(planSend([], 0)).toEqual({ acked: 0, plan: { kind: 'idle' } });
  });

  it('reports bytes that are neither on the server nor kept', () => {
    // Kept chunks start at 100, the server has only 60.
    expect(planSend(chunks.slice(1), 60)).toEqual({ acked: 0, plan: { kind: 'gap', missingFrom: 60, missingTo: 100 } });
  });
});

describe('canvasSize', () => {
  it.each([
    [{ width: 1920, height: 1080 }, { width: 1920, height: 1080 }],
    [{ width: 2560, height: 1440 }, { width: 1920, height: 1080 }],
    [{ width: 3840, height: 1600 }, { width: 1920, height: 800 }],
    [{ width: 1001, height: 701 }, { width: 1002, height: 702 }],
    [{ width: 1080, height: 1920 }, { width: 608, height: 1080 }],
    [{ width: 0, height: 0 }, { width: 1280, height: 720 }],
  ])('%j -> %j (at most 1080p, even)', (src, want) => {
    expect(canvasSize(src)).toEqual(want);
  });
});

describe('maxPicture', () => {
  it('records 1080p on machines with room, 720p on small ones', () => {
    expect(maxPicture(8)).toEqual({ width: 1920, height: 1080 });
    expect(maxPicture(4)).toEqual({ width: 1920, height: 1080 });
    expect(maxPicture(2)).toEqual({ width: 1280, height: 720 });
    expect(maxPicture(undefined)).toEqual({ width: 1280, height: 720 });
    expect(canvasSize({ width: 1920, height: 1080 }, 1280, 720)).toEqual({ width: 1280, height: 720 });
  });
});

describe('layout', () => {
  it('letterboxes a 4:3 screen in a 16:9 canvas', () => {
    expect(fitContain({ width: 800, height: 600 }, { width: 1920, height: 1080 })).toEqual({ x: 240, y: 0, width: 1440, height: 1080 });
  });

  it('crops the camera to a centred square', () => {
    expect(coverSquare({ width: 640, height: 480 })).toEqual({ x: 80, y: 0, width: 480, height: 480 });
  });

  it('puts the bubble in each corner, inside the picture', () => {
    const box = { width: 1920, height: 1080 };
    const br = bubbleCircle(box, 'bottom-right');
    expect(br.r).toBeGreaterThan(100);
    expect(br.cx + br.r).toBeLessThan(1920);
    expect(br.cy + br.r).toBeLessThan(1080);
    const tl = bubbleCircle(box, 'top-left');
    expect(tl.cx - tl.r).toBeGreaterThan(0);
    expect(tl.cy - tl.r).toBeGreaterThan(0);
    expect(bubbleCircle(box, 'top-right').cx).toBe(br.cx);
    expect(bubbleCircle(box, 'bottom-left').cy).toBe(br.cy);
  });

  it('finds the corner nearest a click', () => {
    const box = { width: 400, height: 200 };
    expect(cornerAt(10, 10, box)).toBe('top-left');
    expect(cornerAt(390, 10, box)).toBe('top-right');
    expect(cornerAt(10, 190, box)).toBe('bottom-left');
    expect(cornerAt(390, 190, box)).toBe('bottom-right');
  });
});

describe('retries', () => {
  it('backs off from a quarter second to a few seconds', () => {
    const mid = () => 0.5;
    expect(retryDelay(0, mid)).toBe(250);
    expect(retryDelay(2, mid)).toBe(1000);
    expect(retryDelay(40, mid)).toBe(3000);
    expect(retryDelay(0, () => 0)).toBe(200);
    expect(retryDelay(0, () => 1)).toBe(300);
  });

  it('retries what may pass, not refusals', () => {
    for (const s of [0, 408, 409, 423, 429, 500, 502, 503]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 410, 413, 415]) expect(isRetryableStatus(s)).toBe(false);
  });
});

describe('elapsedMs', () => {
  it('leaves pauses out', () => {
    expect(elapsedMs([{ start: 0, end: 4000 }, { start: 7000, end: null }], 10_000)).toBe(7000);
    expect(elapsedMs([], 10)).toBe(0);
  });
});

describe('videoBitrate', () => {
  it('grows with the picture', () => {
    expect(videoBitrate(640, 480)).toBeLessThan(videoBitrate(1280, 720));
    expect(videoBitrate(1280, 720)).toBeLessThan(videoBitrate(1920, 1080));
  });
});
