// The page header every page shares: the wordmark (in the page shell,
// partials/header.html), then for signed-in people Library, Upload and
// Record and the account menu, for others "Sign in". One module so that
// every page, 404 included, has the same header, and so that later
// additions go in one place:
// `header.extra` is the slot before the account menu (a notification bell
// goes there).
import type { User } from './auth';
import { accountMenu } from './auth';
import { h, icon } from './dom';

export type HeaderPage = 'library' | 'record' | 'account' | 'watch' | 'other';

export interface Header {
  /** Slot for more header controls (e.g. notifications), before the account menu. */
  readonly extra: HTMLElement;
  /** setUser shows the signed-in links and the account menu (null: "Sign in"). */
  setUser(user: User | null): void;
}

/**
 * mountHeader fills #header-actions. Pages only signed-in people see
 * (library, recorder, account) pass signedIn so that the links are there
 * at once; the rest get them once setUser knows who is there.
 */
export function mountHeader(page: HeaderPage, opts: { signedIn?: boolean } = {}): Header {
  const slot = document.getElementById('header-actions') ?? document.body;
  const nav = h('nav', { class: 'site-nav', 'aria-label': 'Baton' });
  const extra = h('div', { class: 'site-header__extra', id: 'header-extra' });
  const account = h('div', { id: 'account-slot', class: 'account-slot' });
  slot.replaceChildren(nav, extra, account);

  const links = (): void => {
    const here = (p: HeaderPage): Record<string, string> => (p === page ? { 'aria-current': 'page' } : {});
    const upload = page === 'library'
      // The library's own picker (home.ts wires it; drop works there too).
      // aria-label: on a phone only the icons show.
      ? h('button', { id: 'upload-button', class: 'btn btn--secondary', type: 'button', 'aria-describedby': 'drop-hint', 'aria-label': 'Upload a video', title: 'Upload a video' },
        icon('upload', 18), h('span', { text: 'Upload' }))
      : h('a', { id: 'upload-link', class: 'btn btn--secondary', href: '/?upload', 'aria-label': 'Upload a video', title: 'Upload a video' }, icon('upload', 18), h('span', { text: 'Upload' }));
    nav.replaceChildren(
      h('a', { id: 'library-link', class: 'btn btn--ghost site-nav__library', href: '/', 'aria-label': 'Library', title: 'Library', ...here('library') },
        icon('film', 18), h('span', { class: 'hide-narrow', text: 'Library' })),
      upload,
      h('a', { id: 'record-link', class: 'btn btn--primary btn--record', href: '/record', ...here('record') },
        h('span', { class: 'record-dot', 'aria-hidden': 'true' }), h('span', { text: 'Record' })),
    );
  };
  if (opts.signedIn) links();

  return {
    extra,
    setUser(user) {
      if (user) {
        if (!nav.childElementCount) links();
      } else {
        nav.replaceChildren();
      }
      accountMenu(account, user);
    },
  };
}
