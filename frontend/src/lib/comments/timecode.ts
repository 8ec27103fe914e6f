// Times in a video, as people read and type them: "0:05", "2:14", "1:02:03".
import { formatClock } from '../format';

/**
 * formatTimecode shows a moment of the video in whole seconds, rounded
 * down (a comment at 2:14.9 is "2:14", where the player shows it).
 */
export function formatTimecode(ms: number): string {
  return formatClock(ms);
}

/** formatRange is "1:10–1:25", or the moment alone without an end after it. */
export function formatRange(startMs: number, endMs?: number): string {
  if (endMs === undefined || !(endMs > startMs)) return formatTimecode(startMs);
  return `${formatTimecode(startMs)}–${formatTimecode(endMs)}`;
}

/** spokenTimecode is the form for screen readers: "2 minutes 14 seconds", "0 seconds". */
export function spokenTimecode(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts: string[] = [];
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (s || parts.length === 0) parts.push(`${s} second${s === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/**
 * parseTimecode reads what a person typed as a time: "2:14", "1:02:03",
 * "75" (seconds), "2:14.5"; surrounding spaces are fine. Minutes and
 * seconds after the first field must be below 60. Anything else (empty,
 * negative, letters, "1::2", "1:60") is null.
 */
export function parseTimecode(input: string): number | null {
  const s = input.trim();
  if (!/^\d{1,6}(:\d{1,2}){0,2}(\.\d{1,3})?$/.test(s)) return null;
  const [whole = '', frac = ''] = s.split('.');
  const fields = whole.split(':').map((f) => Number.parseInt(f, 10));
  if (fields.some((n) => !Number.isFinite(n))) return null;
  // Fields after the first are minutes/seconds of a clock.
  if (fields.slice(1).some((n) => n >= 60)) return null;
  let secs = 0;
  for (const n of fields) secs = secs * 60 + n;
  const ms = secs * 1000 + (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0);
  return Number.isSafeInteger(ms) ? ms : null;
}
