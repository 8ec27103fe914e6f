// Extra fields on the comment box: members may mark a comment urgent
// (it emails the people it concerns at once, whatever their hours), guests
// may leave an email to hear replies. The comment box is someone else's
// module; this one adds its fields when the box appears and hands their
// values to createComment through commentExtras.
import { h } from '../dom';

/** commentExtras are the notification fields to send with a new comment. */
export function commentExtras(): { urgent?: boolean; notifyEmail?: string } {
  const out: { urgent?: boolean; notifyEmail?: string } = {};
  const urgent = document.getElementById('comment-urgent') as HTMLInputElement | null;
  if (urgent?.checked) {
    out.urgent = true;
    urgent.checked = false; // one comment at a time
  }
  const email = document.getElementById('comment-notify-email') as HTMLInputElement | null;
  const v = email?.value.trim();
  if (v) {
    out.notifyEmail = v;
    try { localStorage.setItem('baton.notifyEmail', v); } catch { /* private mode */ }
  }
  return out;
}

function enhance(form: HTMLElement): void {
  if (form.querySelector('.composer__notify')) return;
  const guest = form.querySelector('#comment-guest-name') !== null;
  const box = guest
    ? h('div', { class: 'composer__notify field' },
      h('label', { class: 'composer__label', for: 'comment-notify-email', text: 'Email me replies (optional)' }),
      h('input', { id: 'comment-notify-email', class: 'input input--small', type: 'email', autocomplete: 'email', maxlength: 254, 'aria-describedby': 'comment-notify-email-hint' }),
      h('span', { id: 'comment-notify-email-hint', class: 'composer__help', text: 'We first send a link to confirm it is yours; nothing else until you click it.' }))
    : h('div', { class: 'composer__notify' },
      h('label', { class: 'notify-day', for: 'comment-urgent' },
        h('input', { type: 'checkbox', id: 'comment-urgent', 'aria-describedby': 'comment-urgent-hint' }),
        h('span', { text: 'Urgent' })),
      h('span', { id: 'comment-urgent-hint', class: 'composer__help', text: 'Emails the people it concerns right away, even outside their working hours. A few per hour at most.' }));
  if (guest) {
    const input = box.querySelector('input');
    try { if (input) input.value = localStorage.getItem('baton.notifyEmail') ?? ''; } catch { /* private mode */ }
  }
  const actions = form.querySelector('.composer__actions');
  if (actions) actions.before(box);
  else form.append(box);
}

/** enhanceComposer adds the fields to the comment box whenever it renders. */
export function enhanceComposer(): void {
  const run = () => {
    const form = document.getElementById('comment-form');
    if (form) enhance(form);
  };
  run();
  new MutationObserver(run).observe(document.body, { childList: true, subtree: true });
}
