// Check-ins: /checkins lists yours and starts a new one; /checkins/{id} is a
// round's page, where everyone's updates play one after another as one reel
// with a chapter per person, at the speed you pick, each linking to its
// thread.
import '../styles/watch.css';
import '../styles/asks.css';

import { formatReplyBy } from '../lib/asks/ranges';
import { createCheckin, getCheckin, getRound, listCheckins, type Post, type Round } from '../lib/checkins/api';
import { $, append, h } from '../lib/dom';
import { formatDuration } from '../lib/format';
import { toastError } from '../lib/toast';
import { me } from '../lib/auth';
import { mountHeader } from '../lib/header';

const root = $('checkin-root');
const id = location.pathname.split('/')[2] ?? '';

async function listPage(): Promise<void> {
  document.title = 'Check-ins · Baton';
  const { checkins } = await listCheckins();
  const list = h('ul', { class: 'waiting__list' }, ...checkins.map((c) => h('li', { class: 'ask__box' },
    h('a', { href: `/checkins/${c.id}`, text: c.title }),
    h('p', { class: 'ask__hint', text: `${c.schedule.days.join(', ')} at ${c.schedule.time}, each in their own time zone · ${c.participants.map((p) => p.name).join(', ')}` }))));
  const n = Date.now();
  const f = (name: string, label: string, input: HTMLElement) => {
    input.id = `ci-${name}-${n}`;
    return [h('label', { class: 'field__label', for: input.id, text: label }), input];
  };
  const title = h('input', { class: 'input', required: true, maxlength: 120, value: 'Weekly update' });
  const prompt = h('textarea', { class: 'input', required: true, maxlength: 1000, rows: 2, text: 'What moved, what is blocked?' });
  const days = h('input', { class: 'input', required: true, value: 'mon' });
  const time = h('input', { class: 'input', type: 'time', required: true, value: '10:00' });
  const people = h('input', { class: 'input', required: true, placeholder: 'ana@example.com, bo@example.com' });
  const observers = h('input', { class: 'input', placeholder: 'Optional: who gets the round by email' });
  const status = h('p', { class: 'ask__hint', role: 'status' });
  const form = h('form', { class: 'ask__box', 'aria-label': 'New check-in' },
    h('h2', { class: 'ask__title', text: 'New check-in' }),
    ...f('title', 'Title', title), ...f('prompt', 'Prompt', prompt),
    ...f('days', 'Days (mon, tue, … comma-separated)', days), ...f('time', 'Time (each person’s own)', time),
    ...f('people', 'Participants (member emails)', people), ...f('observers', 'Observers', observers),
    h('div', { class: 'ask__actions' }, h('button', { type: 'submit', class: 'btn btn--primary', text: 'Start check-in' })), status);
  const split = (s: string) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const c = await createCheckin({ title: title.value, prompt: prompt.value, schedule: { days: split(days.value), time: time.value },
        participants: split(people.value), observers: split(observers.value), dueAfter: '8h', maxLength: '3m' });
      location.href = `/checkins/${c.id}`;
    } catch (err) {
      status.textContent = err instanceof Error ? err.message : 'Could not start the check-in.';
    }
  });
  root.replaceChildren(h('h1', { class: 'waiting__title', text: 'Check-ins' }),
    checkins.length ? list : h('p', { class: 'ask__hint', text: 'No check-ins yet.' }), form);
}

async function roundPage(): Promise<void> {
  const c = await getCheckin(id);
  document.title = `${c.title} · Baton`;
  const q = new URLSearchParams(location.search).get('round') ?? 'latest';
  let r: Round;
  try {
    r = await getRound(id, q);
  } catch (err) {
    root.replaceChildren(h('h1', { class: 'waiting__title', text: c.title }),
      h('p', { class: 'ask__hint', text: err instanceof Error ? err.message : 'No round yet.' }));
    return;
  }
  const playable = r.posted.filter((p) => p.mp4Url);
  const player = h('video', { id: 'reel-player', class: 'stage__player', controls: true, playsinline: true, preload: 'metadata' });
  const speed = h('select', { id: 'reel-speed', class: 'input input--narrow' },
    ...[1, 1.25, 1.5, 1.75, 2].map((x) => h('option', { value: String(x), text: `${x}×` })));
  const chapters = h('ol', { id: 'reel-chapters', class: 'waiting__list reel__chapters' });
  let current = -1;
  const play = (i: number, autoplay: boolean) => {
    const p = playable[i];
    if (!p) return;
    current = i;
    player.src = p.mp4Url;
    player.poster = p.posterUrl;
    player.playbackRate = Number(speed.value);
    player.dataset.videoId = p.videoId;
    chapters.querySelectorAll('button').forEach((b, j) => b.setAttribute('aria-current', String(j === i)));
    if (autoplay) void player.play().catch(() => {});
  };
  player.addEventListener('loadedmetadata', () => { player.playbackRate = Number(speed.value); });
  player.addEventListener('ended', () => play(current + 1, true));
  speed.addEventListener('change', () => { player.playbackRate = Number(speed.value); });
  chapters.append(...playable.map((p: Post, i) => h('li', { class: 'ask__box reel__chapter' },
    h('button', { type: 'button', class: 'btn btn--secondary btn--small', 'aria-current': 'false',
      text: `${i + 1}. ${p.user.name} · ${formatDuration(p.durationMs)}`, onclick: () => play(i, true) }),
    h('a', { href: p.shareUrl, text: 'Open with its thread' }))));
  const people = (label: string, xs: { name: string }[]) => xs.length
    ? h('p', { class: 'ask__hint', text: `${label}: ${xs.map((x) => x.name).join(', ')}` }) : null;
  const total = playable.reduce((n, p) => n + p.durationMs, 0);
  root.replaceChildren();
  append(root,
    h('h1', { class: 'waiting__title', text: c.title }),
    h('p', { class: 'ask__question', text: r.prompt }),
    h('p', { class: 'ask__by', text: `Round of ${r.round} · due ${formatReplyBy(r.dueAt)} your time` }),
    playable.length
      ? h('div', { class: 'stage reel__stage' }, player)
      : h('p', { class: 'ask__hint', text: 'No updates yet in this round.' }),
    playable.length ? h('div', { class: 'ask__actions' },
      h('label', { class: 'field__label', for: 'reel-speed', text: 'Speed' }), speed,
      h('span', { class: 'ask__hint', text: `${playable.length} ${playable.length === 1 ? 'update' : 'updates'} · ${formatDuration(total)} in all` })) : null,
    chapters,
    people('Posted', r.posted.map((p) => p.user)), people('Missing', r.missing), people('Away', r.away),
  );
  play(0, false);
}

const header = mountHeader('other', { signedIn: true });
void me().then((u) => header.setUser(u), () => header.setUser(null));
(id ? roundPage() : listPage()).catch((err) => {
  toastError(err);
  root.replaceChildren(h('p', { class: 'ask__hint', text: err instanceof Error ? err.message : 'Could not load.' }));
});
