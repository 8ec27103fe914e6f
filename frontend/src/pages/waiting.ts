// "Waiting on me": every ask addressed to me that I have not answered,
// oldest deadline first, each with my personal link.
import '../styles/watch.css';
import '../styles/asks.css';

import { waitingOnMe } from '../lib/asks/api';
import { formatReplyBy } from '../lib/asks/ranges';
import { $, h } from '../lib/dom';
import { me } from '../lib/auth';
import { mountHeader } from '../lib/header';

const STATE: Record<string, string> = { 'not-opened': 'Not opened yet', opened: 'Opened', watched: 'Watched' };

async function load(): Promise<void> {
  const status = $('waiting-status');
  const list = $('waiting-list');
  try {
    const { asks } = await waitingOnMe();
    status.textContent = asks.length === 0 ? 'Nothing is waiting on you.' : `${asks.length} ${asks.length === 1 ? 'video waits' : 'videos wait'} on you.`;
    list.replaceChildren(...asks.map((a) => h('li', { class: 'ask__box waiting__item', 'data-video-id': a.videoId },
      a.posterUrl ? h('img', { class: 'waiting__poster', src: a.posterUrl, alt: '' }) : h('div', { class: 'waiting__poster' }),
      h('div', { class: 'ask__box--plain' },
        h('a', { href: a.link, text: a.title || 'Untitled video' }),
        h('p', { class: 'ask__from', text: `${a.from || 'Someone'} asks:` }),
        h('p', { class: 'ask__question', text: a.question }),
        h('p', { class: `ask__by${a.overdue ? ' ask__by--overdue' : ''}`,
          text: `Reply by ${formatReplyBy(a.replyBy)} your time${a.overdue ? ' · overdue' : ''}` }),
        h('p', { class: 'ask__hint', text: STATE[a.state] ?? a.state })))));
  } catch (err) {
    status.textContent = err instanceof Error ? err.message : 'Could not load the list. Try again.';
  }
}

const header = mountHeader('other', { signedIn: true });
void me().then((u) => header.setUser(u), () => header.setUser(null));
void load();
