// Watch page: the follow toggle, and "new" marks on threads with activity
// since the member's last visit.
import '../../styles/notify.css';

import { h } from '../dom';
import { toastError } from '../toast';
import { followState, markSeen, setFollow } from './api';
import { enhanceComposer } from './composer';

/**
 * mountWatchNotify adds the follow toggle to the video's info and marks
 * new threads as the comments render. Signed-out viewers get nothing.
 */
export async function mountWatchNotify(videoId: string, info: HTMLElement): Promise<void> {
  enhanceComposer();
  let state;
  try {
    state = await followState(videoId);
  } catch {
    return; // not a member's video view (a guest through the link)
  }
  if (!state.signedIn || document.getElementById('follow-toggle')) return;
  const btn = h('button', { type: 'button', class: 'btn btn--secondary follow-toggle', id: 'follow-toggle', 'aria-pressed': 'false' });
  const show = (on: boolean) => {
    btn.setAttribute('aria-pressed', String(on));
    btn.textContent = on ? 'Following' : 'Follow';
    btn.title = on ? 'You hear about every new comment and reply. Click to stop.' : 'Hear about every new comment and reply on this video.';
  };
  show(state.following);
  btn.addEventListener('click', async () => {
    const on = btn.getAttribute('aria-pressed') !== 'true';
    try {
      show((await setFollow(videoId, on)).following);
    } catch (err) {
      toastError(err);
    }
  });
  info.append(btn);

  let since = 0;
  try {
    const r = await markSeen(videoId);
    since = r.lastSeenAt ? Date.parse(r.lastSeenAt) : 0;
  } catch {
    return;
  }
  if (!since) return; // a first visit: everything is new, so nothing is marked
  const mark = () => {
    document.querySelectorAll<HTMLElement>('.thread[data-id]').forEach((t) => {
      const fresh = [...t.querySelectorAll<HTMLTimeElement>('.comment:not(.comment--mine) time[datetime]')]
        .some((el) => Date.parse(el.dateTime) > since);
      t.classList.toggle('thread--new', fresh);
      const head = t.querySelector('.comment');
      const badge = t.querySelector('.badge--new');
      if (fresh && !badge && head) head.prepend(h('span', { class: 'badge badge--new', text: 'New' }));
      if (!fresh && badge) badge.remove();
    });
  };
  mark();
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; mark(); });
  }).observe(document.body, { childList: true, subtree: true });
}
