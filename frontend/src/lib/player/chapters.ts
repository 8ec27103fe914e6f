// The chapter list beside the video: every chapter with its time, the one
// playing marked (aria-current), a click or Enter seeks there. The same
// chapters split the player's seek bar (record.ts).
import { h } from '../dom';
import { formatClock } from '../format';
import type { Stage } from '../stage';
import { chapterAt, type Chapter } from './record';

/** mountChapterList keeps a chapter list after `after`, hidden while the video has none. */
export function mountChapterList(after: HTMLElement, stage: Stage): void {
  const list = h('ol', { class: 'chapters__list', id: 'chapter-list' });
  const nav = h('nav', { class: 'chapters', id: 'chapters', 'aria-labelledby': 'chapters-title', hidden: true },
    h('h2', { class: 'chapters__title', id: 'chapters-title', text: 'Chapters' }), list);
  after.after(nav);
  let chapters: Chapter[] = [];
  let current = -2;

  const sync = (): void => {
    const m = stage.player()?.media;
    const at = m ? chapterAt(chapters, m.currentTime * 1000) : -1;
    if (at === current) return;
    current = at;
    list.querySelectorAll<HTMLElement>('.chapters__item').forEach((b, i) => {
      if (i === at) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    });
  };

  stage.onChapters((next) => {
    chapters = next;
    current = -2;
    nav.hidden = next.length === 0;
    list.replaceChildren(...next.map((c) => {
      const time = formatClock(c.startMs);
      return h('li', {},
        h('button', {
          type: 'button', class: 'chapters__item', 'data-start-ms': String(c.startMs),
          'aria-label': `${c.title}, at ${time}`,
          onclick: () => {
            const m = stage.player()?.media;
            if (!m) return;
            m.currentTime = c.startMs / 1000;
            sync();
          },
        }, h('span', { class: 'chapters__time', 'aria-hidden': 'true', text: time }), h('span', { class: 'chapters__name', 'aria-hidden': 'true', text: c.title })));
    }));
    sync();
  });
  stage.onPlayer((p) => {
    for (const type of ['timeupdate', 'seeked', 'loadedmetadata']) p.media.addEventListener(type, sync);
  });
}
