// Library: a "new" count on each video card with unread comment
// notifications.
import '../../styles/notify.css';

import { h } from '../dom';
import { newCommentCounts } from './api';

/** watchLibraryCounts badges the cards in grid as they render. */
export function watchLibraryCounts(grid: HTMLElement): void {
  let timer = 0;
  const seen = new Map<string, number>();
  const apply = () => {
    grid.querySelectorAll<HTMLElement>('.card[data-video-id]').forEach((card) => {
      const n = seen.get(card.dataset.videoId ?? '') ?? 0;
      let badge = card.querySelector<HTMLElement>('.card__new');
      if (n > 0 && !badge) {
        badge = h('span', { class: 'badge badge--new card__new' });
        card.querySelector('.card__meta')?.append(badge);
      }
      if (badge) {
        badge.hidden = n === 0;
        badge.textContent = `${n} new`;
        badge.title = `${n} new comment${n === 1 ? '' : 's'} since you last looked`;
      }
    });
  };
  const refresh = async () => {
    const ids = [...grid.querySelectorAll<HTMLElement>('.card[data-video-id]')].map((c) => c.dataset.videoId ?? '').filter(Boolean);
    const missing = ids.filter((id) => !seen.has(id));
    if (missing.length === 0) {
      apply();
      return;
    }
    try {
      const r = await newCommentCounts(missing.slice(0, 200));
      for (const id of missing.slice(0, 200)) seen.set(id, r.counts[id] ?? 0);
    } catch {
      return;
    }
    apply();
  };
  new MutationObserver(() => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void refresh(), 150);
  }).observe(grid, { childList: true, subtree: true });
  void refresh();
}
