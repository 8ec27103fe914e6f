// The bell in the page header: the unread count, kept live by the server's
// event stream, and a panel with the newest notifications, each opening
// the video at its moment. It also proposes the browser's time zone once,
// on a member's first visit, so email is timed to their day.
import '../../styles/notify.css';

import { formatClock, formatRelativeTime } from '../format';
import { h } from '../dom';
import { toastError } from '../toast';
import { atMoment, browserZone, inbox, markRead, saveSettings, sentence, settings, type Notification } from './api';

const SVG_NS = 'http://www.w3.org/2000/svg';

function bellIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '1.8');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(SVG_NS, 'path');
  p.setAttribute('d', 'M18 16v-5a6 6 0 1 0-12 0v5l-2 2h16l-2-2zM10 21h4');
  svg.append(p);
  return svg;
}

let mounted: HTMLElement | null = null;

/** bellButton returns the bell for a signed-in member's header. */
export function bellButton(): HTMLElement {
  // accountMenu may redraw the header; keep one bell and one stream.
  if (mounted) return mounted;
  const count = h('span', { class: 'bell__count', id: 'bell-count', hidden: true, 'aria-hidden': 'true', text: '0' });
  const button = h('button', {
    type: 'button', class: 'icon-btn bell__button', id: 'bell-button',
    'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': 'bell-panel', 'aria-label': 'Notifications',
  });
  button.append(bellIcon(), count);
  const list = h('ul', { class: 'bell__list', id: 'bell-list' });
  const readAll = h('button', { type: 'button', class: 'btn btn--secondary btn--small', id: 'bell-read-all', text: 'Mark all read' });
  const panel = h('div', { class: 'bell__panel', id: 'bell-panel', role: 'dialog', 'aria-label': 'Notifications', hidden: true },
    h('div', { class: 'bell__head' }, h('h2', { class: 'bell__title', text: 'Notifications' }), readAll),
    list,
  );
  const root = h('div', { class: 'bell' }, button, panel);
  mounted = root;

  let unread = 0;
  const show = (n: number) => {
    unread = n;
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    root.dataset.unread = String(n);
    button.setAttribute('aria-label', n === 0 ? 'Notifications' : `Notifications, ${n} unread`);
  };

  const render = (items: Notification[]) => {
    if (items.length === 0) {
      list.replaceChildren(h('li', { class: 'bell__empty', text: 'Nothing yet. Replies, mentions and first views show up here.' }));
      return;
    }
    list.replaceChildren(...items.map((n) => {
      const when = new Date(n.createdAt);
      const a = h('a', { class: 'bell__item', href: n.url || '/', 'data-id': n.id },
        h('span', { class: 'bell__sentence' },
          n.urgent ? h('span', { class: 'badge badge--urgent', text: 'Urgent' }) : null,
          sentence(n)),
        n.text && n.kind !== 'view' && n.kind !== 'ready' ? h('span', { class: 'bell__text', text: n.text }) : null,
        h('span', { class: 'bell__meta' },
          atMoment(n) ? `at ${formatClock(n.timeMs)} · ` : '',
          h('time', { datetime: n.createdAt, text: formatRelativeTime(when) })),
      );
      a.addEventListener('click', () => {
        // Mark it read on the way out; the link works either way.
        if (!n.readAt) void markRead([n.id]).catch(() => undefined);
      });
      return h('li', { class: n.readAt ? 'bell__row' : 'bell__row bell__row--unread' }, a);
    }));
  };

  const open = async () => {
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    list.replaceChildren(h('li', { class: 'bell__empty', text: 'Loading…' }));
    try {
      const r = await inbox(20);
      show(r.unread);
      render(r.items);
    } catch (err) {
      list.replaceChildren(h('li', { class: 'bell__empty', text: err instanceof Error ? err.message : 'Could not load notifications.' }));
    }
    list.querySelector<HTMLElement>('a')?.focus();
  };
  const close = (focus = false) => {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (focus) button.focus();
  };
  button.addEventListener('click', () => (panel.hidden ? void open() : close()));
  root.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !panel.hidden) {
      ev.stopPropagation();
      close(true);
    }
  });
  document.addEventListener('click', (ev) => {
    if (!panel.hidden && !root.contains(ev.target as Node)) close();
  });
  readAll.addEventListener('click', async () => {
    try {
      show((await markRead('all')).unread);
      list.querySelectorAll('.bell__row--unread').forEach((r) => r.classList.remove('bell__row--unread'));
    } catch (err) {
      toastError(err);
    }
  });

  // The count, live: the stream answers at once and after every change;
  // EventSource reconnects by itself. The stream closes when the page is
  // hidden for navigation: a page kept in the back-forward cache would
  // otherwise hold one of the browser's six connections to Baton, and a
  // few pages later the next page's requests would queue behind them.
  let es: EventSource | null = null;
  const connect = () => {
    if (typeof EventSource === 'undefined' || es) return;
    es = new EventSource('/api/notifications/events');
    es.addEventListener('unread', (ev) => {
      try {
        show((JSON.parse((ev as MessageEvent<string>).data) as { unread: number }).unread);
      } catch {
        /* a malformed event changes nothing */
      }
    });
  };
  window.addEventListener('pagehide', () => {
    es?.close();
    es = null;
  });
  window.addEventListener('pageshow', (ev) => {
    if (ev.persisted) connect();
  });
  connect();
  void proposeZone();
  void unread;
  return root;
}

const DISMISSED = 'baton.zoneProposalDismissed';

/**
 * proposeZone offers the browser's zone to a member who never saved their
 * hours, so email reaches them in their own day, not the server's.
 */
async function proposeZone(): Promise<void> {
  if (localStorage.getItem(DISMISSED)) return;
  const zone = browserZone();
  if (!zone) return;
  let s;
  try {
    s = await settings();
  } catch {
    return;
  }
  if (s.hoursSet || s.timeZone === zone) return;
  const bar = h('div', { class: 'zone-proposal', id: 'zone-proposal', role: 'region', 'aria-label': 'Time zone' },
    h('p', { text: `Your browser is in ${zone}. Baton times your email to your working hours there (${s.hoursText}).` }),
  );
  const use = h('button', { type: 'button', class: 'btn btn--primary btn--small', id: 'zone-accept', text: `Use ${zone}` });
  const later = h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Not now' });
  use.addEventListener('click', async () => {
    try {
      await saveSettings({ timeZone: zone });
      bar.remove();
      document.dispatchEvent(new CustomEvent('baton:notify-settings'));
    } catch (err) {
      toastError(err);
    }
  });
  later.addEventListener('click', () => {
    localStorage.setItem(DISMISSED, '1');
    bar.remove();
  });
  bar.append(h('div', { class: 'zone-proposal__actions' }, use, later));
  document.body.append(bar);
}
