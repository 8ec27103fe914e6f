// The recorder opened from a check-in prompt (/record?checkin=…&round=…):
// it says which round this recording is for, caps its length, and attaches
// the video to the round as soon as the video exists (before the first
// byte, as every recording's link does).
import { h } from '../dom';
import { toastError } from '../toast';
import { getCheckin, parseDuration, postUpdate } from './api';

/**
 * attachToRound runs on the record page. videoId reads the recorder's
 * current video id; setMax caps the recording. It watches for the id with
 * a light poll, since the recorder has no event for it.
 */
export async function attachToRound(panel: HTMLElement, videoId: () => string, setMax: (ms: number) => void): Promise<void> {
  const q = new URLSearchParams(location.search);
  const id = q.get('checkin');
  const round = q.get('round');
  if (!id || !round || !/^\d{4}-\d{2}-\d{2}$/.test(round)) return;
  let title = 'a check-in';
  try {
    const c = await getCheckin(id);
    title = c.title;
    const max = parseDuration(c.maxLength);
    if (max > 0) setMax(max);
    panel.prepend(h('div', { id: 'rec-checkin', class: 'notice', role: 'note' },
      h('strong', { text: `Your update for “${c.title}”` }),
      h('p', { class: 'panel__hint', text: c.prompt }),
      h('p', { class: 'panel__hint', text: `Up to ${Math.round(max / 60000) || 1} min. It joins the round of ${round} as soon as you start.` })));
  } catch (err) {
    toastError(err, 'This check-in link is not valid for you.');
    return;
  }
  let attached = '';
  const timer = window.setInterval(async () => {
    const vid = videoId();
    if (!vid || vid === attached) return;
    attached = vid;
    try {
      await postUpdate(id, round, vid);
      document.getElementById('rec-checkin')?.setAttribute('data-attached', vid);
    } catch (err) {
      attached = '';
      toastError(err, `Could not add this recording to ${title}; it is saved as a normal video.`);
      window.clearInterval(timer);
    }
  }, 500);
}
