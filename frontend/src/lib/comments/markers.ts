// Where markers go on the timeline strip: each thread and reaction at its
// time, and those too close to tell apart on the strip's current width
// merged into one cluster (a tiny strip on a phone clusters more).

export interface Timed {
  timeMs: number;
}

export interface Cluster<T extends Timed> {
  /** Centre of the cluster along the strip, 0..1. */
  pos: number;
  /** Where clicking the cluster seeks: its first item's time. */
  timeMs: number;
  items: T[];
}

/**
 * layoutMarkers groups items (in time order) into clusters no wider than
 * minGapPx on a strip widthPx wide representing durationMs. With the
 * duration unknown every item sits at the start. Items outside the video
 * are clamped to its ends.
 */
export function layoutMarkers<T extends Timed>(items: T[], durationMs: number, widthPx: number, minGapPx: number): Cluster<T>[] {
  const sorted = [...items].filter((it) => Number.isFinite(it.timeMs)).sort((a, b) => a.timeMs - b.timeMs);
  if (sorted.length === 0) return [];
  const frac = (t: number): number => (durationMs > 0 ? Math.min(1, Math.max(0, t / durationMs)) : 0);
  const width = Math.max(1, widthPx);
  const out: Cluster<T>[] = [];
  let cur: { x0: number; x1: number; items: T[] } | null = null;
  const flush = (): void => {
    if (!cur) return;
    out.push({ pos: (cur.x0 + cur.x1) / 2 / width, timeMs: cur.items[0]!.timeMs, items: cur.items });
  };
  for (const it of sorted) {
    const x = frac(it.timeMs) * width;
    if (cur && x - cur.x0 < minGapPx) {
      cur.items.push(it);
      cur.x1 = x;
    } else {
      flush();
      cur = { x0: x, x1: x, items: [it] };
    }
  }
  flush();
  return out;
}

/** topEmoji is the most frequent emoji of a reaction cluster (first seen wins ties). */
export function topEmoji(items: { emoji: string }[]): string {
  const n = new Map<string, number>();
  let best = '';
  let bestN = 0;
  for (const it of items) {
    const c = (n.get(it.emoji) ?? 0) + 1;
    n.set(it.emoji, c);
    if (c > bestN) {
      best = it.emoji;
      bestN = c;
    }
  }
  return best;
}
