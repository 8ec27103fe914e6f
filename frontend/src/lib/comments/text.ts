// Putting people's text on the page: always as text nodes, with http(s)
// links as <a> elements built here. Nothing a person wrote is ever parsed
// as HTML.
import { linkify, safeHref } from './linkify';

/** LINK_REL keeps linked pages from reaching back (opener), knowing where
 * the click came from (referrer), or being read as endorsed (nofollow, ugc). */
export const LINK_REL = 'noopener noreferrer nofollow ugc';

/**
 * renderText fills el with text, its links clickable. The element's
 * textContent is exactly text.
 */
export function renderText(el: HTMLElement, text: string): void {
  const nodes: Node[] = [];
  for (const seg of linkify(text)) {
    if (seg.kind === 'text') {
      nodes.push(document.createTextNode(seg.text));
      continue;
    }
    // linkify only yields http(s) links; checked again here, where the
    // attribute is set, so this function is safe on its own.
    const href = safeHref(seg.href);
    if (!href) {
      nodes.push(document.createTextNode(seg.text));
      continue;
    }
    const a = document.createElement('a');
    a.href = href;
    a.rel = LINK_REL;
    a.target = '_blank';
    a.referrerPolicy = 'no-referrer';
    a.className = 'comment__link';
    // A link reads left to right whatever surrounds it: an override
    // character before it cannot make it show as another address.
    a.dir = 'ltr';
    a.textContent = seg.text;
    nodes.push(a);
  }
  el.replaceChildren(...nodes);
}
