// Watch page: the summary a chat model wrote from the transcript (only
// when the server has one, BATON_LLM_URL), shown to everyone who may
// watch; its chapter suggestions shown to the owner with "Apply as
// chapters" (PUT chapters). Nothing shows while there is no summary.
import '../../styles/summary.css';

import { request, type Video } from '../api';
import { h } from '../dom';
import { formatClock } from '../format';
import { toast, toastError } from '../toast';

export interface SuggestedChapter {
  startMs: number;
  title: string;
}

export interface Summary {
  status: 'pending' | 'done' | 'failed' | 'off';
  text: string;
  model?: string;
  message?: string;
  suggestedChapters?: SuggestedChapter[];
}

export function getSummary(v: Video): Promise<Summary> {
  // The owner's route carries the suggestions; everyone else reads the link's.
  const path = v.isOwner
    ? `/api/videos/${encodeURIComponent(v.id)}/summary`
    : `/api/share/${encodeURIComponent(v.slug)}/summary`;
  return request<Summary>('GET', path, undefined, { cache: 'no-store' });
}

export function applyChapters(v: Video, ch: SuggestedChapter[]): Promise<unknown> {
  return request('PUT', `/api/videos/${encodeURIComponent(v.id)}/chapters`, ch);
}

/** mountSummary adds the summary section after `after` once there is one to show. */
export async function mountSummary(v: Video, after: HTMLElement): Promise<void> {
  if (document.getElementById('summary-section')) return;
  let s: Summary;
  try {
    s = await getSummary(v);
  } catch {
    return; // a summary is extra; the page works without it
  }
  const failed = s.status === 'failed' && v.isOwner;
  if (s.status !== 'done' && !failed) return;
  const section = h('section', { id: 'summary-section', class: 'summary', 'aria-labelledby': 'summary-title' });
  const box = h('div', { class: 'summary__box' },
    h('h2', { id: 'summary-title', class: 'summary__title', text: 'Summary' }));
  if (s.text) box.append(h('p', { id: 'summary-text', class: 'summary__text', text: s.text }));
  if (failed && s.message) box.append(h('p', { class: 'summary__note', text: s.message }));
  const suggested = s.suggestedChapters ?? [];
  if (v.isOwner && suggested.length > 0) {
    const list = h('ol', { id: 'summary-chapters', class: 'summary__chapters' },
      ...suggested.map((c) => h('li', {},
        h('span', { class: 'summary__time', text: formatClock(c.startMs) }), ' ', c.title)));
    const apply = h('button', { id: 'summary-apply', type: 'button', class: 'btn btn--secondary btn--small', text: 'Apply as chapters' });
    apply.addEventListener('click', () => {
      apply.disabled = true;
      applyChapters(v, suggested).then(
        () => toast('Chapters applied. They replace the ones set before.'),
        (err) => toastError(err),
      ).finally(() => { apply.disabled = false; });
    });
    box.append(h('div', { class: 'summary__suggest' },
      h('p', { class: 'summary__note', text: 'Suggested chapters (only you see these):' }), list, apply));
  }
  if (s.model) box.append(h('p', { class: 'summary__note', text: `Written by ${s.model} from the transcript; it can be wrong.` }));
  section.append(box);
  after.after(section);
}
