// Watch page: the ask. The owner sees who still owes an answer (one row per
// person: opened, watched %, replied or acknowledged, overdue in red), the
// heat strip under the player and who watched; a recipient sees the
// question, "Reply by Fri 11 Dec, 18:00 your time" in their own zone and a
// "Got it" button. What viewers play is reported by lib/views.ts.
import '../../styles/asks.css';

import { ApiError, type Video } from '../api';
import { copyWithToast } from '../clipboard';
import { confirmDialog } from '../dialog';
import { h } from '../dom';
import { formatRelativeTime } from '../format';
import { toastError } from '../toast';
import {
  acknowledge, deleteAsk, getAsk, getInsights, getResponses, getSharedAsk,
  type Ask, type Insights, type Response, type Responses, type SharedAsk,
} from './api';
import { askDialog, NEEDS } from './form';
import { formatReplyBy } from './ranges';
import { reportOpened } from '../views';

const STATE_TEXT: Record<string, string> = {
  'not-opened': 'Not opened',
  opened: 'Opened',
  watched: 'Watched',
  replied: 'Replied',
  acknowledged: 'Got it',
};

/** mountAsks adds the ask section after `after`, and the heat strip after the stage. */
export function mountAsks(v: Video, stage: HTMLElement, after: HTMLElement): void {
  if (document.getElementById('ask-section')) return;
  const section = h('section', { id: 'ask-section', class: 'ask', 'aria-label': 'Ask' });
  after.after(section);
  if (v.isOwner) {
    const heat = h('div', { id: 'heat', class: 'heat', hidden: true });
    stage.after(heat);
    void ownerView(v, section, heat);
    return;
  }
  void viewerView(v, section, () => reportOpened(v.slug));
}

/* ---------- The recipient ---------- */

async function viewerView(v: Video, section: HTMLElement, opened: () => void): Promise<void> {
  let a: SharedAsk | undefined;
  try {
    a = await getSharedAsk(v.slug);
  } catch {
    section.hidden = true;
    return;
  }
  if (!a) {
    section.hidden = true; // no ask on this video (204)
    return;
  }
  if (a.you) opened();
  renderViewer(v, section, a);
}

function renderViewer(v: Video, section: HTMLElement, a: SharedAsk): void {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const line = h('p', { id: 'ask-reply-by', class: `ask__by${a.overdue ? ' ask__by--overdue' : ''}`, title: zone,
    text: `Reply by ${formatReplyBy(a.replyBy)} your time` });
  const parts: Node[] = [
    h('p', { class: 'ask__from', text: a.from ? `${a.from} asks${a.you ? ' you' : ''}:` : 'A question for viewers:' }),
    h('p', { class: 'ask__question', text: a.question }),
    line,
  ];
  if (a.you) {
    const done = a.you.state === 'acknowledged' || a.you.state === 'replied';
    if (done) {
      parts.push(h('p', { id: 'ask-done', class: 'ask__done', role: 'status',
        text: a.you.state === 'replied' ? 'You replied. Thanks!' : 'You said “Got it”. The owner can see it.' }));
    } else {
      const btn = h('button', { id: 'ask-ack', type: 'button', class: 'btn btn--primary', text: 'Got it' });
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
          const you = await acknowledge(v.slug);
          renderViewer(v, section, { ...a, you });
        } catch (err) {
          btn.disabled = false;
          toastError(err);
        }
      });
      parts.push(h('div', { class: 'ask__actions' }, btn,
        h('span', { class: 'ask__hint', text: 'or answer in a comment below.' })));
    }
  }
  section.replaceChildren(h('div', { class: 'ask__box' }, ...parts));
}

/* ---------- The owner ---------- */

async function ownerView(v: Video, section: HTMLElement, heat: HTMLElement): Promise<void> {
  let warnings: string[] = [];
  let ask: Ask | null = null;
  const refresh = async () => {
    let rs: Responses | null = null;
    try {
      const [got, responses] = await Promise.all([getAsk(v.id), getResponses(v.id)]);
      ask = got ?? null; // 204: no ask
      rs = responses ?? null;
    } catch (err) {
      if (!(err instanceof ApiError && err.notFound)) {
        toastError(err);
        return;
      }
      ask = null;
    }
    let ins: Insights | null = null;
    try {
      ins = await getInsights(v.id);
    } catch {
      ins = null;
    }
    renderOwner(v, section, ask, rs, warnings, refresh);
    renderInsights(heat, section, ins);
  };
  section.addEventListener('ask-saved', ((ev: CustomEvent<Ask>) => {
    warnings = ev.detail.warnings;
    void refresh();
  }) as EventListener);
  await refresh();
  window.setInterval(() => {
    if (document.visibilityState === 'visible') void refresh();
  }, 30000);
}

function renderOwner(v: Video, section: HTMLElement, ask: Ask | null, rs: Responses | null, warnings: string[], refresh: () => Promise<void>): void {
  const edit = h('button', { id: 'ask-edit', type: 'button', class: `btn ${ask ? 'btn--secondary' : 'btn--primary'} btn--small`,
    text: ask ? 'Edit ask' : 'Ask for a reply' });
  edit.addEventListener('click', async () => {
    const saved = await askDialog(v.id);
    if (saved) section.dispatchEvent(new CustomEvent('ask-saved', { detail: saved }));
  });
  const head = h('div', { class: 'ask__head' }, h('h2', { class: 'ask__title', text: 'Replies' }), edit);
  if (!ask || !rs) {
    section.replaceChildren(h('div', { class: 'ask__box ask__box--empty' }, head,
      h('p', { class: 'ask__hint', text: 'Ask people for an answer by a date; Baton shows who still owes one and reminds only them.' })));
    return;
  }
  const remove = h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Remove ask' });
  remove.addEventListener('click', () => void confirmDialog({
    title: 'Remove the ask?', message: 'The personal links stop working and no more reminders go out.', confirmLabel: 'Remove', danger: true,
    action: async () => { await deleteAsk(v.id); await refresh(); },
  }));
  head.append(remove);
  const links = new Map(ask.recipients.map((r) => [r.id, r]));
  const rows = rs.recipients.map((r) => responseRow(r, links.get(r.id)?.link ?? '', links.get(r.id)?.needs ?? 'link'));
  const table = h('table', { id: 'ask-table', class: 'ask-table' },
    h('caption', { class: 'visually-hidden', text: 'Who has answered' }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: 'Person' }), h('th', { scope: 'col', text: 'Status' }),
      h('th', { scope: 'col', text: 'Watched' }), h('th', { scope: 'col', text: 'When' }),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', text: 'Personal link' })))),
    h('tbody', {}, ...rows));
  section.replaceChildren(h('div', { class: 'ask__box' }, head,
    h('p', { class: 'ask__question', text: rs.question }),
    h('p', { class: `ask__by${rs.summary.overdue ? ' ask__by--overdue' : ''}`,
      text: `Reply by ${formatReplyBy(rs.replyBy)} your time · ${rs.summary.text}` }),
    warnings.length ? h('ul', { class: 'ask__warnings', role: 'status' }, ...warnings.map((w) => h('li', { text: w }))) : null,
    h('div', { class: 'ask-table__wrap' }, table)));
}

function responseRow(r: Response, link: string, needs: string): HTMLTableRowElement {
  const when = r.repliedAt || r.acknowledgedAt || r.openedAt;
  let state = STATE_TEXT[r.state] ?? r.state;
  if (r.away) state += ' · away';
  const stateCell = h('td', {}, h('span', { class: `ask-state ask-state--${r.state}${r.overdue ? ' ask-state--overdue' : ''}`, text: state }),
    r.overdue ? h('span', { class: 'ask-overdue', text: 'Overdue' }) : null);
  const copy = h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Copy link',
    'aria-label': `Copy ${r.name}’s personal link`, onclick: () => void copyWithToast(link, 'Personal link') });
  const who = h('td', {}, h('span', { class: 'ask-person__name', text: r.name }),
    h('span', { class: 'ask-person__detail', text: `${r.email} · ${r.timeZone}` }),
    needs !== 'link' ? h('span', { class: 'ask-person__detail', text: NEEDS[needs] ?? '' }) : null);
  return h('tr', { 'data-email': r.email, 'data-state': r.state, class: r.overdue ? 'ask-row--overdue' : '' },
    who, stateCell,
    h('td', { class: 'ask-num', 'data-label': 'Watched', text: r.state === 'not-opened' ? '–' : `${r.watchedPercent}%` }),
    h('td', { 'data-label': 'When', text: when ? formatRelativeTime(new Date(when)) : '–' }),
    h('td', { class: 'ask-table__link' }, copy));
}

function renderInsights(heat: HTMLElement, section: HTMLElement, ins: Insights | null): void {
  document.getElementById('insights')?.remove();
  if (!ins || ins.views === 0) {
    heat.hidden = true;
    return;
  }
  heat.hidden = false;
  heat.setAttribute('role', 'img');
  heat.setAttribute('aria-label', 'Where viewers watched: darker parts were watched by more views');
  heat.replaceChildren(...ins.heat.map((x, i) => h('span', { class: 'heat__cell', style: `--heat:${x.toFixed(3)}`, title: `${i}%: ${Math.round(x * 100)}% of views` })));
  const pct = Math.round(ins.completionRate * 100);
  const box = h('div', { id: 'insights', class: 'ask__box insights' },
    h('h2', { class: 'ask__title', text: 'Who watched' }),
    h('p', { class: 'insights__facts', text: `${ins.views} ${ins.views === 1 ? 'view' : 'views'} · ${ins.uniqueViewers} ${ins.uniqueViewers === 1 ? 'viewer' : 'viewers'} · ${pct}% watched to the end` }),
    ins.viewers.length ? h('ul', { class: 'insights__list' }, ...ins.viewers.map((p) => h('li', {},
      h('span', { class: 'ask-person__name', text: p.name || p.email }),
      h('span', { class: 'ask-person__detail', text: `${p.watchedPercent}% · ${formatRelativeTime(new Date(p.firstViewAt))}` })))) : null,
    h('p', { class: 'ask__hint', text: 'Names only for members and people you asked; everyone else is a count. Your own viewing is not counted.' }));
  section.after(box);
}
