// Account page: when Baton may email you (time zone, working hours, email
// mode) and your webhooks.
import '../../styles/notify.css';

import { confirmDialog } from '../dialog';
import { h } from '../dom';
import { formatRelativeTime } from '../format';
import { toast, toastError } from '../toast';
import {
  browserZone, clockIn, createWebhook, deleteWebhook, describeHours, listWebhooks, saveSettings, settings,
  testWebhook, webhookDeliveries, WEEK, type EmailMode, type NotifySettings, type Webhook,
} from './api';

const DAY_LABELS: Record<string, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
const EVENTS: [string, string][] = [
  ['comment.created', 'New comments'], ['comment.replied', 'Replies'], ['comment.resolved', 'Resolved threads'],
  ['video.ready', 'Video ready'], ['video.viewed', 'Views'],
];

function zones(current: string): string[] {
  let all: string[] = [];
  try {
    all = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    all = [];
  }
  const set = new Set(all);
  for (const z of [current, browserZone(), 'UTC']) if (z) set.add(z);
  return [...set].sort();
}

/** nowLine is "It is 14:05 for you now; you get email Mon–Fri 09:00–17:30". */
export function nowLine(s: Pick<NotifySettings, 'timeZone' | 'workingHours' | 'emailMode' | 'emailEnabled'>, now = new Date()): string {
  const clock = clockIn(s.timeZone, now);
  const hours = describeHours(s.workingHours);
  const it = `It is ${clock} for you now (${s.timeZone})`;
  if (!s.emailEnabled) return `${it}; your working hours are ${hours}. Email is not set up on this server, so notifications appear in the bell only.`;
  switch (s.emailMode) {
    case 'off': return `${it}; you get no email; the bell still shows everything.`;
    case 'daily': return `${it}; you get one digest at ${s.workingHours.start} on ${hours.replace(/ \S+$/, '')}.`;
    default: return `${it}; you get email ${hours}.`;
  }
}

/** mountNotifySettings fills the account page's notifications panel. */
export async function mountNotifySettings(panel: HTMLElement, isAdmin: boolean): Promise<void> {
  const now = h('p', { class: 'notify-now', id: 'notify-now', role: 'status' });
  const zone = h('select', { class: 'input', id: 'notify-zone' });
  const useBrowser = h('button', { type: 'button', class: 'btn btn--secondary btn--small', id: 'notify-zone-browser', text: 'Use my browser’s zone' });
  const days = WEEK.map((d) => h('input', { type: 'checkbox', id: `notify-day-${d}`, value: d }));
  const start = h('input', { class: 'input notify-time', id: 'notify-start', type: 'text', inputmode: 'numeric', pattern: '[0-2][0-9]:[0-5][0-9]', maxlength: 5, required: true, 'aria-describedby': 'notify-time-hint' });
  const end = h('input', { class: 'input notify-time', id: 'notify-end', type: 'text', inputmode: 'numeric', pattern: '[0-2][0-9]:[0-5][0-9]', maxlength: 5, required: true, 'aria-describedby': 'notify-time-hint' });
  const modes: [EmailMode, string, string][] = [
    ['working-hours', 'In my working hours', 'Bundled while you work; anything that comes outside your hours waits for the start of your next working day, as one digest.'],
    ['daily', 'Daily digest', 'One email at the start of each working day, skipped when there is nothing new.'],
    ['off', 'Off', 'No email at all, not even urgent comments. The bell still shows everything.'],
  ];
  const modeInputs = modes.map(([v]) => h('input', { type: 'radio', name: 'notify-mode', id: `notify-mode-${v}`, value: v }));
  const status = h('p', { class: 'panel__status', id: 'notify-status', role: 'status' });
  const save = h('button', { class: 'btn btn--primary', type: 'submit', id: 'notify-save', text: 'Save' });
  const form = h('form', { class: 'panel__form', id: 'notify-form' },
    now,
    h('div', { class: 'panel__row' },
      h('div', { class: 'field' }, h('label', { class: 'field__label', for: 'notify-zone', text: 'Time zone' }), zone),
      h('div', { class: 'field field--end' }, useBrowser)),
    h('fieldset', { class: 'notify-days' }, h('legend', { class: 'field__label', text: 'Working days' }),
      ...days.map((cb, i) => h('label', { class: 'notify-day', for: cb.id }, cb, h('span', { text: DAY_LABELS[WEEK[i]!]! })))),
    h('div', { class: 'panel__row' },
      h('div', { class: 'field' }, h('label', { class: 'field__label', for: 'notify-start', text: 'Day starts' }), start),
      h('div', { class: 'field' }, h('label', { class: 'field__label', for: 'notify-end', text: 'Day ends' }), end)),
    h('p', { class: 'field__hint', id: 'notify-time-hint', text: '24-hour clock, e.g. 09:00 and 17:30; the day may end at 24:00.' }),
    h('fieldset', { class: 'notify-modes' }, h('legend', { class: 'field__label', text: 'Email' }),
      ...modes.map(([v, label, hint], i) => h('label', { class: 'notify-mode', for: `notify-mode-${v}` }, modeInputs[i]!,
        h('span', {}, h('strong', { text: label }), h('span', { class: 'notify-mode__hint', text: hint }))))),
    h('div', {}, save),
    status,
  );
  panel.append(form);

  let current: NotifySettings;
  const fill = (s: NotifySettings) => {
    current = s;
    zone.replaceChildren(...zones(s.timeZone).map((z) => h('option', { value: z, text: z.replaceAll('_', ' ') })));
    zone.value = s.timeZone;
    days.forEach((cb) => { cb.checked = s.workingHours.days.includes(cb.value); });
    start.value = s.workingHours.start;
    end.value = s.workingHours.end;
    modeInputs.forEach((r) => { r.checked = r.value === s.emailMode; });
    now.textContent = nowLine(s);
  };
  const load = async () => {
    try {
      fill(await settings());
    } catch (err) {
      now.textContent = err instanceof Error ? err.message : 'Could not load your notification settings.';
    }
  };
  await load();
  document.addEventListener('baton:notify-settings', () => void load());
  // The clock in the sentence keeps time.
  setInterval(() => { if (current) now.textContent = nowLine(current); }, 30_000);

  useBrowser.addEventListener('click', () => {
    const z = browserZone();
    if (z) {
      if (![...zone.options].some((o) => o.value === z)) zone.append(h('option', { value: z, text: z }));
      zone.value = z;
    }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const mode = (modeInputs.find((r) => r.checked)?.value ?? 'working-hours') as EmailMode;
    try {
      const s = await saveSettings({
        timeZone: zone.value,
        workingHours: { days: days.filter((d) => d.checked).map((d) => d.value), start: start.value.trim(), end: end.value.trim() },
        emailMode: mode,
      });
      fill(s);
      status.dataset.kind = 'ok';
      status.textContent = 'Saved.';
    } catch (err) {
      status.dataset.kind = 'error';
      status.textContent = err instanceof Error ? err.message : 'Couldn’t save.';
    }
  });

  mountWebhooks(panel, isAdmin);
}

/* ---------- Webhooks ---------- */

function mountWebhooks(after: HTMLElement, isAdmin: boolean): void {
  const list = h('ul', { class: 'notify-hooks', id: 'webhook-list' });
  const url = h('input', { class: 'input', id: 'webhook-url', type: 'url', required: true, placeholder: 'https://hooks.slack.com/services/…' });
  const format = h('select', { class: 'input', id: 'webhook-format' },
    h('option', { value: 'standard', text: 'Standard Webhooks (signed JSON)' }),
    h('option', { value: 'slack', text: 'Slack or Mattermost message' }));
  const events = EVENTS.map(([v]) => h('input', { type: 'checkbox', id: `webhook-ev-${v.replace('.', '-')}`, value: v, checked: v.startsWith('comment.') }));
  const workspace = isAdmin ? h('input', { type: 'checkbox', id: 'webhook-workspace' }) : null;
  const secret = h('div', { class: 'secret', id: 'webhook-secret', hidden: true });
  const status = h('p', { class: 'panel__status', role: 'status' });
  const form = h('form', { class: 'panel__form', id: 'webhook-form' },
    h('div', { class: 'field' }, h('label', { class: 'field__label', for: 'webhook-url', text: 'Address' }), url),
    h('div', { class: 'field' }, h('label', { class: 'field__label', for: 'webhook-format', text: 'Format' }), format),
    h('fieldset', { class: 'notify-days' }, h('legend', { class: 'field__label', text: 'Events' }),
      ...events.map((cb, i) => h('label', { class: 'notify-day', for: cb.id }, cb, h('span', { text: EVENTS[i]![1] })))),
    workspace ? h('label', { class: 'notify-day', for: 'webhook-workspace' }, workspace, h('span', { text: 'Every video in the workspace (not only mine)' })) : null,
    h('div', {}, h('button', { class: 'btn btn--secondary', type: 'submit', text: 'Add webhook' })),
    secret, status,
  );
  const section = h('section', { class: 'panel', 'aria-labelledby': 'webhooks-title', id: 'webhooks-panel' },
    h('div', { class: 'panel__head' },
      h('h2', { class: 'panel__title', id: 'webhooks-title', text: 'Webhooks' }),
      h('p', { class: 'panel__text', text: 'Baton posts events about your videos to these addresses, signed (Standard Webhooks) and retried for a day when the receiver is down.' })),
    list, form);
  after.after(section);

  const render = (hooks: Webhook[]) => {
    if (hooks.length === 0) {
      list.replaceChildren(h('li', { class: 'panel__text', text: 'No webhooks yet.' }));
      return;
    }
    list.replaceChildren(...hooks.map((w) => {
      const log = h('ul', { class: 'notify-hooks__log', hidden: true });
      const row = h('li', { class: 'notify-hooks__row' },
        h('div', {}, h('strong', { class: 'notify-hooks__url', text: w.url }),
          h('span', { class: 'panel__text', text: ` ${w.format === 'slack' ? 'Slack' : 'Signed JSON'} · ${w.events.join(', ')}${w.workspace ? ' · whole workspace' : ''}` })),
        h('div', { class: 'notify-hooks__actions' },
          h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Send test', onclick: async () => {
            try { await testWebhook(w.id); toast('Test event queued.', 'success'); } catch (err) { toastError(err); }
          } }),
          h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Deliveries', onclick: async () => {
            try {
              const r = await webhookDeliveries(w.id);
              log.replaceChildren(...(r.items.length ? r.items : []).map((d) => h('li', {},
                h('strong', { text: `${d.type}: ${d.state}` }), ' ',
                d.attempts.map((a) => `${formatRelativeTime(new Date(a.at))} ${a.statusCode || ''} ${a.error}${a.nextRetry ? ` (retry ${formatRelativeTime(new Date(a.nextRetry))})` : ''}`).join(' · '))));
              if (!r.items.length) log.replaceChildren(h('li', { text: 'No deliveries yet.' }));
              log.hidden = false;
            } catch (err) { toastError(err); }
          } }),
          h('button', { type: 'button', class: 'btn btn--danger btn--small', text: 'Remove', onclick: async () => {
            const done = await confirmDialog({ title: 'Remove this webhook?', message: w.url, confirmLabel: 'Remove', danger: true,
              action: async () => { await deleteWebhook(w.id); return true; } });
            if (done) await refresh();
          } })),
        log);
      return row;
    }));
  };
  const refresh = async () => {
    try { render((await listWebhooks()).items); } catch (err) { list.replaceChildren(h('li', { text: err instanceof Error ? err.message : 'Could not load webhooks.' })); }
  };
  void refresh();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const w = await createWebhook({ url: url.value.trim(), format: format.value, events: events.filter((e) => e.checked).map((e) => e.value), workspace: workspace?.checked ?? false });
      secret.replaceChildren(h('strong', { text: 'Signing secret (shown once)' }), h('code', { text: w.secret ?? '' }),
        h('span', { text: 'Verify each request’s webhook-signature with it.' }));
      secret.hidden = false;
      url.value = '';
      status.textContent = '';
      await refresh();
    } catch (err) {
      status.dataset.kind = 'error';
      status.textContent = err instanceof Error ? err.message : 'Couldn’t add the webhook.';
    }
  });
}
