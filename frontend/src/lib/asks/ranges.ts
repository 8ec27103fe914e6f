// What a page actually played, as [startMs, endMs] ranges, and the reply-by
// line in the viewer's own zone. Pure, so it is unit-tested.

export type Range = [number, number];

/** mergeRanges sorts and joins overlapping or touching ranges. */
export function mergeRanges(rs: Range[]): Range[] {
  const s = rs.filter(([a, b]) => b > a).map(([a, b]) => [a, b] as Range).sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

/**
 * PlayTracker turns the player's clock into played ranges. It extends the
 * open range while time moves forward by small steps during playback; a
 * seek, a pause or a jump closes it, so scrubbing is never counted as
 * watching.
 */
export class PlayTracker {
  private closed: Range[] = [];
  private start = -1;
  private last = -1;

  /** tick reports the position (ms) during playback at the given rate. */
  tick(ms: number, rate = 1): void {
    const step = 2000 * Math.max(1, rate);
    if (this.start < 0) {
      this.start = this.last = ms;
      return;
    }
    if (ms >= this.last && ms - this.last <= step) {
      this.last = ms;
      return;
    }
    this.close();
    this.start = this.last = ms;
  }

  /** close ends the open range (a pause, a seek, the end). */
  close(): void {
    if (this.start >= 0 && this.last > this.start) this.closed.push([Math.round(this.start), Math.round(this.last)]);
    this.start = this.last = -1;
    this.closed = mergeRanges(this.closed);
  }

  /** ranges is everything played so far, merged. */
  ranges(): Range[] {
    const open: Range[] = this.start >= 0 && this.last > this.start ? [[Math.round(this.start), Math.round(this.last)]] : [];
    return mergeRanges([...this.closed, ...open]);
  }
}

/**
 * formatReplyBy writes a deadline as "Fri 11 Dec, 18:00" in the given zone
 * (the browser's own by default).
 */
export function formatReplyBy(iso: string, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const parts = new Intl.DateTimeFormat('en-GB', {
    weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone,
  }).formatToParts(d);
  const p = (t: Intl.DateTimeFormatPartTypes) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('weekday')} ${p('day')} ${p('month')}, ${p('hour')}:${p('minute')}`;
}

/** toLocalInput formats a date for <input type="datetime-local"> in the browser's zone. */
export function toLocalInput(d: Date): string {
  const z = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}T${z(d.getHours())}:${z(d.getMinutes())}`;
}
