// Account page: name, password, API tokens, the workspace's members, and
// (for admins) invite links.
import '../styles/auth.css';

import {
  changePassword,
  createInvite,
  createToken,
  initials,
  listInvites,
  listMembers,
  listTokens,
  logout,
  me,
  removeMember,
  revokeInvite,
  revokeToken,
  setRole,
  updateProfile,
  type User,
} from '../lib/auth';
import { copyWithToast } from '../lib/clipboard';
import { mountHeader } from '../lib/header';
import { mountNotifySettings } from '../lib/notify/settings';
import { confirmDialog } from '../lib/dialog';
import { $, h, icon } from '../lib/dom';
import { formatDate, formatRelativeTime } from '../lib/format';
import { toast, toastError } from '../lib/toast';

let user: User;

function status(el: HTMLElement, text: string, kind: 'ok' | 'error' = 'ok'): void {
  el.dataset.kind = kind;
  el.textContent = text;
}

function when(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : formatRelativeTime(d);
}

/** secretBox shows a value that is shown only once, with Copy. */
function secretBox(box: HTMLElement, label: string, value: string, note: string): void {
  const input = h('input', { class: 'input secret__value', type: 'text', readonly: true, 'aria-label': label });
  input.value = value;
  input.addEventListener('focus', () => input.select());
  box.replaceChildren(
    h('strong', { text: label }),
    h('div', { class: 'share-dialog__row' }, input,
      h('button', { type: 'button', class: 'btn btn--secondary btn--small', onclick: () => void copyWithToast(value, label) }, icon('link', 16), h('span', { text: 'Copy' }))),
    h('span', { text: note }),
  );
  box.hidden = false;
  input.focus();
}

const header = mountHeader('account', { signedIn: true });

/* ---------- Profile ---------- */

$('profile-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const st = $('profile-status');
  try {
    user = await updateProfile($<HTMLInputElement>('profile-name').value);
    status(st, 'Name saved.');
    header.setUser(user);
  } catch (err) {
    status(st, err instanceof Error ? err.message : 'Couldn’t save.', 'error');
  }
});

/* ---------- Password ---------- */

$('password-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const st = $('password-status');
  const cur = $<HTMLInputElement>('password-current');
  const next = $<HTMLInputElement>('password-new');
  const again = $<HTMLInputElement>('password-again');
  if (next.value !== again.value) {
    status(st, 'The new passwords differ.', 'error');
    again.focus();
    return;
  }
  const btn = $<HTMLButtonElement>('password-submit');
  btn.disabled = true;
  try {
    await changePassword(cur.value, next.value);
    cur.value = next.value = again.value = '';
    status(st, 'Password changed. Every other device was signed out.');
  } catch (err) {
    status(st, err instanceof Error ? err.message : 'Couldn’t change the password.', 'error');
  } finally {
    btn.disabled = false;
  }
});

/* ---------- API tokens ---------- */

async function loadTokens(): Promise<void> {
  const tokens = await listTokens();
  const list = $('token-list');
  list.replaceChildren(...tokens.map((t) => h('li', { class: 'list__item', 'data-token-id': t.id },
    h('span', { class: 'list__main' },
      h('span', { class: 'list__name', text: t.name }),
      h('span', { class: 'list__meta', text: `${t.prefix}… · made ${when(t.createdAt)}${t.lastUsedAt ? ` · used ${when(t.lastUsedAt)}` : ' · never used'}` }),
    ),
    h('button', {
      type: 'button', class: 'btn btn--secondary btn--small', 'data-action': 'revoke',
      'aria-label': `Revoke ${t.name}`,
      onclick: () => void confirmDialog({
        title: `Revoke “${t.name}”?`,
        message: 'Scripts using it stop working at once.',
        confirmLabel: 'Revoke token',
        danger: true,
        action: () => revokeToken(t.id),
      }).then(async (done) => {
        if (done === null) return;
        toast('Token revoked', 'success');
        await loadTokens();
      }),
      text: 'Revoke',
    }),
  )));
  $('tokens-empty').hidden = tokens.length > 0;
}

$('token-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = $<HTMLInputElement>('token-name');
  try {
    const t = await createToken(name.value.trim());
    name.value = '';
    secretBox($('token-secret'), 'Your new token', t.token ?? '', 'Copy it now: it is not shown again.');
    await loadTokens();
  } catch (err) {
    toastError(err);
  }
});

/* ---------- Members and invites ---------- */

async function loadMembers(): Promise<void> {
  const members = await listMembers();
  const admin = user.role === 'admin';
  $('member-list').replaceChildren(...members.map((m) => {
    const self = m.id === user.id;
    const role = admin && !self
      ? (() => {
          const sel = h('select', { class: 'input select select--small', 'aria-label': `Role of ${m.name}` },
            h('option', { value: 'member', text: 'Member' }), h('option', { value: 'admin', text: 'Admin' }));
          sel.value = m.role;
          sel.addEventListener('change', async () => {
            try {
              await setRole(m.id, sel.value as 'admin' | 'member');
              toast(`${m.name} is now ${sel.value === 'admin' ? 'an admin' : 'a member'}`, 'success');
            } catch (err) {
              sel.value = m.role;
              toastError(err);
            }
          });
          return sel;
        })()
      : h('span', { class: 'badge', text: m.role === 'admin' ? 'Admin' : 'Member' });
    return h('li', { class: 'list__item' },
      h('span', { class: 'avatar', 'aria-hidden': 'true', text: initials(m.name) }),
      h('span', { class: 'list__main' },
        h('span', { class: 'list__name', text: self ? `${m.name} (you)` : m.name }),
        h('span', { class: 'list__meta', text: `${m.email} · joined ${formatDate(new Date(m.createdAt))}` }),
      ),
      role,
      admin && !self ? h('button', {
        type: 'button', class: 'icon-btn', 'aria-label': `Remove ${m.name}`, title: 'Remove',
        onclick: () => void confirmDialog({
          title: `Remove ${m.name}?`,
          message: 'They can no longer sign in. Their videos stay, and become yours.',
          confirmLabel: 'Remove member',
          danger: true,
          action: () => removeMember(m.id),
        }).then(async (done) => {
          if (done !== null) await loadMembers();
        }),
      }, icon('trash', 18)) : null,
    );
  }));
}

async function loadInvites(): Promise<void> {
  const invites = await listInvites();
  $('invite-list').replaceChildren(...invites.map((inv) => h('li', { class: 'list__item' },
    h('span', { class: 'list__main' },
      h('span', { class: 'list__name', text: `Invite as ${inv.role === 'admin' ? 'admin' : 'member'}` }),
      h('span', { class: 'list__meta', text: `made ${when(inv.createdAt)} · expires ${formatDate(new Date(inv.expiresAt))}` }),
    ),
    h('button', {
      type: 'button', class: 'btn btn--secondary btn--small', text: 'Revoke',
      onclick: async () => {
        try {
          await revokeInvite(inv.id);
          await loadInvites();
        } catch (err) {
          toastError(err);
        }
      },
    }),
  )));
}

$('invite-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const inv = await createInvite($<HTMLSelectElement>('invite-role').value as 'admin' | 'member');
    secretBox($('invite-secret'), 'Invite link', inv.url ?? '', 'Send it to one person. It works once and is not shown again.');
    await loadInvites();
  } catch (err) {
    toastError(err);
  }
});

$('sign-out').addEventListener('click', async () => {
  try {
    await logout();
  } finally {
    location.assign('/login');
  }
});

async function start(): Promise<void> {
  const u = await me();
  if (!u) {
    location.replace(`/login?next=${encodeURIComponent('/account')}`);
    return;
  }
  user = u;
  header.setUser(u);
  $('profile-email').textContent = `${u.email} · ${u.role === 'admin' ? 'Admin' : 'Member'} of this workspace`;
  $<HTMLInputElement>('profile-name').value = u.name;
  $<HTMLInputElement>('password-username').value = u.email;
  $('invites-panel').hidden = u.role !== 'admin';
  await Promise.all([loadTokens(), loadMembers(), u.role === 'admin' ? loadInvites() : Promise.resolve(),
    mountNotifySettings($('notify-panel'), u.role === 'admin')]); // notify/settings.ts
}

start().catch(toastError);
