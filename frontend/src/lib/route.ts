// Reading the page's subject from its URL.

/**
 * slugFromPath returns the slug in "/{prefix}/{slug}", or "" when the path
 * has another shape. "/v/abc", "/v/abc/" -> "abc".
 */
export function slugFromPath(pathname: string, prefix: string): string {
  const parts = pathname.split('/').filter(Boolean);
  if (parts.length !== 2 || parts[0] !== prefix) return '';
  try {
    return decodeURIComponent(parts[1] ?? '');
  } catch {
    return '';
  }
}

/** watchPath is the relative link to a video's watch page. */
export function watchPath(slug: string): string {
  return `/v/${encodeURIComponent(slug)}`;
}

/** embedUrl derives the embeddable player's address from a share URL's origin. */
export function embedUrl(shareUrl: string, slug: string, fallbackOrigin: string): string {
  let origin = fallbackOrigin;
  try {
    origin = new URL(shareUrl).origin;
  } catch {
    // Relative or empty share URL: use the page's origin.
  }
  return `${origin}/embed/${encodeURIComponent(slug)}`;
}

/** escapeAttr makes text safe inside a double-quoted HTML attribute. */
export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface EmbedOptions {
  /** Fill the width of the page, 16:9 (true), or a fixed size. */
  responsive: boolean;
  width: number;
  height: number;
  /** Start at this second (0: the beginning). */
  start: number;
  /** Play by itself, muted (browsers allow nothing else). */
  autoplay: boolean;
}

export const DEFAULT_EMBED: EmbedOptions = { responsive: true, width: 640, height: 360, start: 0, autoplay: false };

/** embedSrc is the embed address with the chosen start and autoplay. */
export function embedSrc(base: string, o: Pick<EmbedOptions, 'start' | 'autoplay'>): string {
  const q = new URLSearchParams();
  if (o.start > 0) q.set('t', String(Math.floor(o.start)));
  if (o.autoplay) {
    q.set('autoplay', '1');
    q.set('muted', '1');
  }
  const qs = q.toString();
  return qs ? `${base}?${qs}` : base;
}

/** embedCode is the snippet people paste into docs and wikis. */
export function embedCode(base: string, title: string, o: EmbedOptions = DEFAULT_EMBED): string {
  const src = escapeAttr(embedSrc(base, o));
  const t = escapeAttr(title);
  const allow = 'allow="autoplay; fullscreen; picture-in-picture" allowfullscreen';
  if (o.responsive) {
    return `<div style="position:relative;width:100%;aspect-ratio:16/9"><iframe src="${src}" title="${t}" style="position:absolute;inset:0;width:100%;height:100%;border:0" ${allow}></iframe></div>`;
  }
  const w = Math.max(160, Math.min(3840, Math.round(o.width)));
  const hgt = Math.max(90, Math.min(2160, Math.round(o.height)));
  return `<iframe src="${src}" title="${t}" width="${w}" height="${hgt}" style="border:0" ${allow}></iframe>`;
}

/** shareAt is the share link that starts playing at a moment (?t=seconds). */
export function shareAt(shareUrl: string, seconds: number): string {
  const s = Math.floor(seconds);
  if (s <= 0) return shareUrl;
  try {
    const u = new URL(shareUrl);
    u.searchParams.set('t', String(s));
    return u.toString();
  } catch {
    return `${shareUrl}${shareUrl.includes('?') ? '&' : '?'}t=${s}`;
  }
}

/** startFrom reads ?t= (seconds, "83", "1m23s" or "1:23") from a query string; 0 when absent or odd. */
export function startFrom(search: string): number {
  const t = new URLSearchParams(search).get('t') ?? '';
  let m = /^(\d{1,6})s?$/.exec(t);
  if (m) return Number(m[1]);
  m = /^(?:(\d{1,3})h)?(?:(\d{1,4})m)?(?:(\d{1,2})s)?$/.exec(t);
  if (m && t) return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  m = /^(?:(\d{1,3}):)?(\d{1,2}):(\d{2})$/.exec(t);
  if (m) return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return 0;
}
