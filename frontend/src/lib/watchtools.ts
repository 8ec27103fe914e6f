// The watch page's account side: the header's account menu, the owner's
// sharing button and the viewer's download link next to the share link,
// and the password gate of a protected video.
import { ApiError, type Video } from './api';
import { unlockVideo } from './auth';
import { h, icon } from './dom';
import { sharingDialog, sharingIcon, sharingSummary } from './sharing';
import { watchPath } from './route';

/** isPasswordRequired tells a protected video's answer from other errors. */
export function isPasswordRequired(err: unknown): boolean {
  return err instanceof ApiError && err.code === 'password_required';
}

/**
 * ownerTools keeps the watch page's extra controls in step with v: a
 * Download link when downloads are allowed, and for the video's owner a
 * Sharing button (with who can watch) that opens the sharing dialog.
 * onChange receives the video after the owner changes its sharing.
 */
export function ownerTools(group: HTMLElement, v: Video, onChange: (v: Video) => void): void {
  group.querySelectorAll('[data-owner-tool]').forEach((el) => el.remove());
  if (v.downloadUrl) {
    group.append(h('a', {
      class: 'btn btn--secondary', id: 'download-link', href: v.downloadUrl, download: '', 'data-owner-tool': 'download',
    }, icon('download', 18), h('span', { text: 'Download' })));
  }
  if (!v.isOwner) return;
  const summary = sharingSummary(v.sharing);
  group.append(h('button', {
    type: 'button', class: 'btn btn--secondary', id: 'sharing-button', 'data-owner-tool': 'sharing',
    title: summary, 'aria-label': `Sharing: ${summary}`,
    onclick: () => void sharingDialog(v, (nv) => {
      if (nv.slug !== v.slug) {
        // The link was reset: this page's own address is the old link.
        history.replaceState(null, '', watchPath(nv.slug));
      }
      onChange(nv);
    }),
  }, icon(sharingIcon(v.sharing), 18), h('span', { text: 'Sharing' })));
}

/**
 * passwordGate shows the password form of a protected video in place of
 * the page's sections, and resolves with the video once the right
 * password is given. Nothing of the video is known before that.
 */
export function passwordGate(main: HTMLElement, slug: string): Promise<Video> {
  document.title = 'Password required · Baton';
  const input = h('input', { id: 'video-password', class: 'input', type: 'password', autocomplete: 'off', required: true, maxlength: 1024 });
  const error = h('p', { class: 'gate__error', id: 'gate-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn--primary', id: 'gate-submit', text: 'Watch video' });
  const form = h('form', { class: 'gate__form', id: 'password-form' },
    h('label', { class: 'field__label', for: input.id, text: 'Password' }), input, error, submit);
  const gate = h('section', { class: 'gate', id: 'password-gate', 'aria-labelledby': 'gate-title' },
    h('div', { class: 'gate__icon', 'aria-hidden': 'true' }, icon('lock', 26)),
    h('h1', { class: 'gate__title', id: 'gate-title', text: 'This video is protected' }),
    h('p', { class: 'gate__text', text: 'Enter the password you were given to watch it.' }),
    form,
  );
  for (const el of main.children) (el as HTMLElement).hidden = true;
  main.append(gate);
  input.focus();
  return new Promise((resolve) => {
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!input.value) {
        input.focus();
        return;
      }
      submit.disabled = true;
      submit.setAttribute('aria-busy', 'true');
      error.hidden = true;
      try {
        const v = await unlockVideo(slug, input.value);
        gate.remove();
        resolve(v);
      } catch (err) {
        error.textContent = isPasswordRequired(err) ? 'That password isn’t right. Try again.'
          : err instanceof Error ? err.message : 'Something went wrong. Try again.';
        error.hidden = false;
        input.select();
      } finally {
        submit.disabled = false;
        submit.removeAttribute('aria-busy');
      }
    });
  });
}

/** viewsText says how many people watched, for the owner. */
export function viewsText(n: number): string {
  return n === 1 ? '1 view' : `${n.toLocaleString()} views`;
}
