// The reaction emoji as pictures shipped with Baton, so that they look the
// same on every system (a Linux desktop without a colour-emoji font showed
// empty boxes). Twemoji graphics by Twitter, Inc and other contributors,
// CC-BY 4.0 (https://github.com/jdecked/twemoji); see frontend/NOTICE.
import e1f389 from '@twemoji/svg/1f389.svg?url';
import e1f440 from '@twemoji/svg/1f440.svg?url';
import e1f44d from '@twemoji/svg/1f44d.svg?url';
import e1f525 from '@twemoji/svg/1f525.svg?url';
import e1f602 from '@twemoji/svg/1f602.svg?url';
import e1f62e from '@twemoji/svg/1f62e.svg?url';
import e1f64f from '@twemoji/svg/1f64f.svg?url';
import e2764 from '@twemoji/svg/2764.svg?url';
import { h } from './dom';

const PICTURES: Record<string, string> = {
  '👍': e1f44d,
  '❤️': e2764,
  '❤': e2764,
  '😂': e1f602,
  '🎉': e1f389,
  '😮': e1f62e,
  '👀': e1f440,
  '🙏': e1f64f,
  '🔥': e1f525,
};

/**
 * emoji is an emoji for the eyes: the bundled picture where there is one,
 * else the character. Decorative (alt=""): the caller labels what it means.
 */
export function emoji(e: string, cls = 'emoji'): HTMLElement {
  const src = PICTURES[e];
  if (!src) return h('span', { class: cls, 'aria-hidden': 'true', text: e });
  return h('img', { class: cls, src, alt: '', draggable: 'false', 'aria-hidden': 'true', 'data-emoji': e });
}
