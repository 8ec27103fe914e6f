// Pure formatting helpers. No DOM here, so they are unit-tested under Node.

/** formatDuration renders milliseconds as m:ss, or h:mm:ss from one hour. "" when unknown. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  // Whole seconds rounded down, as the player's own clock shows them (one
  // rounding everywhere: 7.9 s is 0:07 on the card, the page and the
  // player). A 400 ms clip is still a video: never 0:00 for one.
  const total = Math.max(1, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** formatDurationLong is the spoken form for screen readers: "1 minute 5 seconds". */
export function formatDurationLong(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  const total = Math.max(1, Math.floor(ms / 1000));
  const parts: string[] = [];
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) parts.push(plural(h, 'hour'));
  if (m) parts.push(plural(m, 'minute'));
  if (s) parts.push(plural(s, 'second'));
  return parts.join(' ');
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** formatBytes uses decimal units, as file managers do: 999 B, 1.2 MB, 48 MB, 1.5 GB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 999.5 && i < units.length - 1);
  const digits = v < 9.95 ? 1 : 0;
  return `${v.toFixed(digits)} ${units[i]}`;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * formatRelativeTime says how long ago `then` was: "just now", "5 minutes ago",
 * "yesterday", "3 days ago"; from four weeks on it gives the date instead.
 */
export function formatRelativeTime(then: Date, now: Date = new Date(), locale?: string): string {
  const t = then.getTime();
  if (Number.isNaN(t)) return '';
  // Clocks disagree a little; a date slightly in the future is "just now".
  const secs = Math.round((now.getTime() - t) / 1000);
  if (secs < 45) return 'just now';
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (secs < 45 * MINUTE) return rtf.format(-Math.max(1, Math.round(secs / MINUTE)), 'minute');
  if (secs < 22 * HOUR) return rtf.format(-Math.max(1, Math.round(secs / HOUR)), 'hour');
  const days = calendarDaysBetween(then, now);
  if (days < 28) return rtf.format(-Math.max(1, days), 'day');
  return formatDate(then, now, locale);
}

/** Whole calendar days between two instants in the local time zone. */
function calendarDaysBetween(a: Date, b: Date): number {
  const da = Date.UTC(a.getFullYear(), a.getMonth(), a.getDate());
  const db = Date.UTC(b.getFullYear(), b.getMonth(), b.getDate());
  return Math.round((db - da) / (DAY * 1000));
}

/** formatDate gives "Mar 3", or "Mar 3, 2024" outside the current year. */
export function formatDate(d: Date, now: Date = new Date(), locale?: string): string {
  if (Number.isNaN(d.getTime())) return '';
  const opts: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric' };
  if (d.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
  return d.toLocaleDateString(locale, opts);
}

/** formatDateTime is the full form used in tooltips: "March 3, 2025 at 14:05". */
export function formatDateTime(d: Date, locale?: string): string {
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(locale, { dateStyle: 'long', timeStyle: 'short' });
}

/** titleFromFileName turns "Q3 demo_final.mp4" into "Q3 demo_final"; never empty. */
export function titleFromFileName(name: string): string {
  const base = name.replace(/^.*[\\/]/, '');
  const dot = base.lastIndexOf('.');
  const stem = (dot > 0 ? base.slice(0, dot) : base).trim();
  return stem || 'Untitled video';
}

const VIDEO_EXTENSIONS = ['mp4', 'm4v', 'mov', 'webm', 'mkv', 'ogv', 'avi', 'mpg', 'mpeg', 'wmv', '3gp'];

/**
 * looksLikeVideo is a courtesy check before uploading; the server decides by
 * the file's bytes. Some systems give .mkv/.webm files no MIME type.
 */
export function looksLikeVideo(name: string, type: string): boolean {
  if (type.startsWith('video/')) return true;
  if (type && type !== 'application/octet-stream') return false;
  const ext = name.split('.').pop()?.toLowerCase() ?? '';
  return VIDEO_EXTENSIONS.includes(ext);
}

/** clampPercent keeps a progress value in 0..100 and whole. */
export function clampPercent(p: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.min(100, Math.max(0, Math.round(p)));
}

/**
 * formatClock is a running timer's reading: whole seconds, rounded down, so
 * it ticks like a stopwatch. "0:00", "1:05", "1:02:03".
 */
export function formatClock(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
