// The sharing dialog: who may watch a video through its link (anyone with
// it, workspace members, only its owner), an optional password, an
// optional end (a date, or a number of views), downloads and guest
// comments, and resetting the link. Used on the watch page and from the
// library's card menu; only shown to those who manage the video.
import type { Sharing, Video, Visibility } from './api';
import { regenerateLink, updateSharing, type SharingChange } from './auth';
import { copyWithToast } from './clipboard';
import { formDialog } from './dialog';
import { h, icon, type IconName } from './dom';

const VISIBILITY: { value: Visibility; label: string; hint: string; icon: IconName }[] = [
  { value: 'link', label: 'Anyone with the link', hint: 'No account needed to watch.', icon: 'globe' },
  { value: 'workspace', label: 'Workspace members', hint: 'People signed in to this Baton.', icon: 'users' },
  { value: 'private', label: 'Only me', hint: 'Nobody else, even with the link.', icon: 'lock' },
];

export type ExpiryKind = 'never' | 'date' | 'views';

/** sharingSummary says in a few words who may watch, for buttons and cards. */
export function sharingSummary(s: Sharing | undefined): string {
  if (!s) return '';
  const who = s.visibility === 'private' ? 'Only you' : s.visibility === 'workspace' ? 'Workspace' : 'Anyone with the link';
  const extra: string[] = [];
  if (s.hasPassword) extra.push('password');
  if (s.expiresAt) extra.push('expires');
  else if (s.maxViews > 0) extra.push(`${s.maxViews} ${s.maxViews === 1 ? 'view' : 'views'}`);
  return extra.length ? `${who} · ${extra.join(', ')}` : who;
}

/** sharingIcon is the icon that stands for the visibility. */
export function sharingIcon(s: Sharing | undefined): IconName {
  if (!s) return 'globe';
  if (s.visibility === 'private' || s.hasPassword) return 'lock';
  return s.visibility === 'workspace' ? 'users' : 'globe';
}

/** toLocalInput formats an RFC 3339 time for <input type="datetime-local">. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * sharingChange works out what to send from the dialog's fields: only what
 * differs from the current settings. It throws an Error whose message is
 * shown in the dialog when a field is wrong.
 */
export function sharingChange(cur: Sharing, f: {
  visibility: Visibility;
  passwordOn: boolean;
  password: string;
  expiry: ExpiryKind;
  expiresLocal: string;
  maxViews: string;
  allowDownload: boolean;
  guestComments: boolean;
}, now = new Date()): SharingChange {
  const out: SharingChange = {};
  if (f.visibility !== cur.visibility) out.visibility = f.visibility;
  if (!f.passwordOn && cur.hasPassword) out.password = '';
  if (f.passwordOn) {
    if (f.password) {
      if ([...f.password].length < 4) throw new Error('Use a password of at least 4 characters.');
      out.password = f.password;
    } else if (!cur.hasPassword) {
      throw new Error('Type the password viewers will need, or turn the password off.');
    }
  }
  if (f.expiry === 'date') {
    const d = new Date(f.expiresLocal);
    if (!f.expiresLocal || Number.isNaN(d.getTime())) throw new Error('Choose the date and time the link stops working.');
    if (d.getTime() <= now.getTime()) throw new Error('The end date must be in the future.');
    const iso = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (!cur.expiresAt || new Date(cur.expiresAt).getTime() !== d.getTime()) out.expiresAt = iso;
    if (cur.maxViews) out.maxViews = 0;
  } else if (f.expiry === 'views') {
    const n = Number(f.maxViews);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new Error('The number of views must be a whole number from 1.');
    if (n !== cur.maxViews) out.maxViews = n;
    if (cur.expiresAt) out.expiresAt = null;
  } else {
    if (cur.expiresAt) out.expiresAt = null;
    if (cur.maxViews) out.maxViews = 0;
  }
  if (f.allowDownload !== cur.allowDownload) out.allowDownload = f.allowDownload;
  if (f.guestComments !== cur.guestComments) out.guestComments = f.guestComments;
  return out;
}

let seq = 0;

/**
 * sharingDialog opens the dialog for v. onChange gets every new state of
 * the video (after Save, and after the link is reset, which happens at
 * once). Resolves when the dialog closes.
 */
export function sharingDialog(v: Video, onChange: (v: Video) => void): Promise<void> {
  const n = ++seq;
  let video = v;
  const cur = (): Sharing => video.sharing ?? {
    visibility: 'link', hasPassword: false, expiresAt: '', maxViews: 0, allowDownload: true, guestComments: true,
  };
  const s = cur();
  const id = (name: string) => `share-${name}-${n}`;

  // The link, with copy and reset.
  const linkInput = h('input', { id: id('link'), class: 'input input--link share-dialog__link', type: 'text', readonly: true, value: video.shareUrl });
  linkInput.value = video.shareUrl;
  linkInput.addEventListener('focus', () => linkInput.select());
  const resetConfirm = h('div', { class: 'share-dialog__confirm', hidden: true, role: 'group', 'aria-label': 'Reset the link' });
  const resetBtn = h('button', { type: 'button', class: 'btn btn--secondary btn--small', id: 'share-reset', 'data-action': 'reset-link' }, icon('refresh', 16), h('span', { text: 'Reset link' }));
  const linkRow = h('div', { class: 'share-dialog__row' },
    linkInput,
    h('button', { type: 'button', class: 'btn btn--secondary btn--small', 'data-action': 'copy', onclick: () => void copyWithToast(linkInput.value, 'Link') }, icon('link', 16), h('span', { text: 'Copy' })),
  );

  // Who can watch.
  const radios = VISIBILITY.map((o) => {
    const input = h('input', { type: 'radio', name: `visibility-${n}`, value: o.value, id: id(`vis-${o.value}`), class: 'choice__input' });
    input.checked = s.visibility === o.value;
    return {
      input,
      el: h('label', { class: 'choice', for: input.id },
        input,
        h('span', { class: 'choice__icon', 'aria-hidden': 'true' }, icon(o.icon, 18)),
        h('span', { class: 'choice__text' },
          h('span', { class: 'choice__label', text: o.label }),
          h('span', { class: 'choice__hint', text: o.hint }),
        ),
      ),
    };
  });

  // Password.
  const pwToggle = h('input', { type: 'checkbox', id: id('pw-on'), class: 'check__input' });
  pwToggle.checked = s.hasPassword;
  const pwInput = h('input', {
    type: 'password', id: id('pw'), class: 'input', autocomplete: 'new-password', maxlength: 200,
    placeholder: s.hasPassword ? 'Leave empty to keep the current one' : 'Password viewers will need',
  });
  const pwField = h('div', { class: 'share-dialog__sub' },
    h('label', { class: 'visually-hidden', for: pwInput.id, text: s.hasPassword ? 'New password' : 'Password' }), pwInput);

  // Expiry.
  const expirySel = h('select', { id: id('expiry'), class: 'input select' },
    h('option', { value: 'never', text: 'Never' }),
    h('option', { value: 'date', text: 'On a date' }),
    h('option', { value: 'views', text: 'After a number of views' }),
  );
  expirySel.value = s.expiresAt ? 'date' : s.maxViews > 0 ? 'views' : 'never';
  const dateInput = h('input', { type: 'datetime-local', id: id('date'), class: 'input' });
  dateInput.value = s.expiresAt ? toLocalInput(s.expiresAt) : toLocalInput(new Date(Date.now() + 7 * 864e5).toISOString());
  const viewsInput = h('input', { type: 'number', id: id('views'), class: 'input input--narrow', min: 1, max: 1000000, step: 1, inputmode: 'numeric' });
  viewsInput.value = String(s.maxViews || 10);
  const dateField = h('div', { class: 'share-dialog__sub' }, h('label', { class: 'visually-hidden', for: dateInput.id, text: 'Link ends on' }), dateInput);
  const viewsNote = h('span', { class: 'share-dialog__note', text: s.maxViews > 0 ? `${video.views ?? 0} used so far` : 'views' });
  const viewsField = h('div', { class: 'share-dialog__sub share-dialog__inline' },
    h('label', { class: 'visually-hidden', for: viewsInput.id, text: 'Number of views' }), viewsInput, viewsNote);

  // Options.
  const dlToggle = h('input', { type: 'checkbox', id: id('dl'), class: 'check__input' });
  dlToggle.checked = s.allowDownload;
  const guestToggle = h('input', { type: 'checkbox', id: id('guests'), class: 'check__input' });
  guestToggle.checked = s.guestComments;
  const check = (input: HTMLInputElement, label: string, hint?: string) =>
    h('label', { class: 'check', for: input.id }, input, h('span', { class: 'check__text' },
      h('span', { class: 'check__label', text: label }), hint ? h('span', { class: 'check__hint', text: hint }) : null));

  const resetError = h('p', { class: 'dialog__error', role: 'alert', hidden: true });
  const body = [
    h('div', { class: 'share-dialog__section' },
      h('label', { class: 'field__label', for: linkInput.id, text: 'Link' }),
      linkRow,
      h('div', { class: 'share-dialog__reset' }, resetBtn, resetConfirm),
      resetError,
    ),
    h('fieldset', { class: 'share-dialog__section fieldset' },
      h('legend', { class: 'field__label', text: 'Who can watch' }),
      h('div', { class: 'choices' }, ...radios.map((r) => r.el)),
    ),
    h('div', { class: 'share-dialog__section' },
      check(pwToggle, 'Require a password', s.hasPassword ? 'A password is set.' : 'Viewers type it before they see anything.'),
      pwField,
    ),
    h('div', { class: 'share-dialog__section' },
      h('label', { class: 'field__label', for: expirySel.id, text: 'Link stops working' }),
      expirySel, dateField, viewsField,
    ),
    h('div', { class: 'share-dialog__section share-dialog__checks' },
      check(dlToggle, 'Allow downloads'),
      check(guestToggle, 'Allow comments from people without an account'),
    ),
  ];

  const sync = (): void => {
    pwField.hidden = !pwToggle.checked;
    dateField.hidden = expirySel.value !== 'date';
    viewsField.hidden = expirySel.value !== 'views';
  };
  for (const el of [pwToggle, expirySel]) el.addEventListener('change', sync);
  sync();

  resetBtn.addEventListener('click', () => {
    resetBtn.hidden = true;
    const yes = h('button', { type: 'button', class: 'btn btn--danger btn--small', id: 'share-reset-confirm', text: 'Reset link' });
    const no = h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Keep it' });
    resetConfirm.replaceChildren(
      h('p', { class: 'share-dialog__note', text: 'The current link stops working at once, for everyone who has it.' }),
      h('div', { class: 'share-dialog__row' }, no, yes),
    );
    resetConfirm.hidden = false;
    no.focus();
    no.addEventListener('click', () => {
      resetConfirm.hidden = true;
      resetBtn.hidden = false;
      resetBtn.focus();
    });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        video = await regenerateLink(video.id);
        linkInput.value = video.shareUrl;
        onChange(video);
        resetConfirm.replaceChildren(h('p', { class: 'share-dialog__note share-dialog__note--ok', role: 'status', text: 'New link made. The old one no longer works.' }));
        resetBtn.hidden = false;
        linkInput.focus();
      } catch (err) {
        resetError.textContent = err instanceof Error ? err.message : 'Couldn’t reset the link.';
        resetError.hidden = false;
        yes.disabled = false;
      }
    });
  });

  // Only what differs from the current settings is sent; a wrong field
  // throws, and formDialog shows the message and stays open.
  const save = async (): Promise<void> => {
    const change = sharingChange(cur(), {
      visibility: (radios.find((r) => r.input.checked)?.input.value ?? 'link') as Visibility,
      passwordOn: pwToggle.checked,
      password: pwInput.value,
      expiry: expirySel.value as ExpiryKind,
      expiresLocal: dateInput.value,
      maxViews: viewsInput.value,
      allowDownload: dlToggle.checked,
      guestComments: guestToggle.checked,
    });
    if (Object.keys(change).length === 0) return;
    video = await updateSharing(video.id, change);
    onChange(video);
  };
  return formDialog({
    title: 'Share', subtitle: video.title || 'Untitled video', submitLabel: 'Save', cancelLabel: 'Close',
    id: 'sharing-dialog', submitId: 'share-save', wide: true, formClass: 'share-dialog',
    body, action: save, focus: () => radios.find((r) => r.input.checked)?.input,
  }).then(() => undefined);
}
