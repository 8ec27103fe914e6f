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

/** embedCode is the iframe snippet people paste into docs and wikis. */
export function embedCode(src: string, title: string): string {
  return `<iframe src="${escapeAttr(src)}" title="${escapeAttr(title)}" width="640" height="360" style="border:0;aspect-ratio:16/9;width:100%;height:auto" allow="fullscreen; picture-in-picture" allowfullscreen></iframe>`;
}
