// Embeddable player: /embed/{slug}. Only the stage, filling the frame.
// One stylesheet per page, which @imports the shared ones in a fixed order.
import '../styles/embed.css';

import { ApiError, getSharedVideo, isSettled, watchSharedVideo } from '../lib/api';
import { $, h, icon } from '../lib/dom';
import { slugFromPath, startFrom, watchPath } from '../lib/route';
import { trackViews } from '../lib/views';
import { createStage } from '../lib/stage';

const slug = slugFromPath(location.pathname, 'embed');
const root = $('stage');
const query = new URLSearchParams(location.search);
// The embed code's options: ?t= start, ?autoplay=1 (always muted: browsers
// refuse autoplay with sound).
const stage = createStage(root, { minimal: true, startAt: startFrom(location.search), autoplayMuted: query.get('autoplay') === '1' });
trackViews(() => stage.player()?.media ?? null, () => slug);

function message(title: string, text: string, status: string): void {
  root.dataset.status = status;
  root.removeAttribute('aria-busy');
  root.replaceChildren(
    h('div', { class: 'stage__panel' },
      h('div', { class: 'stage__icon' }, icon('film', 28)),
      h('p', { class: 'stage__heading', text: title }),
      text ? h('p', { class: 'stage__hint', text }) : null,
    ),
  );
}

async function load(): Promise<void> {
  if (!slug) {
    message('This video isn’t available', '', 'unavailable');
    return;
  }
  try {
    const v = await getSharedVideo(slug, { view: true });
    document.title = `${v.title || 'Video'} · Baton`;
    stage.update(v);
    // A quiet way out to the full page (comments, sharing) in a new tab.
    document.body.append(
      h('a', {
        class: 'embed__open',
        id: 'open-watch',
        href: watchPath(v.slug),
        target: '_blank',
        rel: 'noopener',
        title: 'Open on Baton',
      }, h('span', { class: 'embed__open-text', text: v.title || 'Open on Baton' }), icon('external', 16)),
    );
    if (!isSettled(v.status)) watchSharedVideo(v.slug, (nv) => stage.update(nv));
  } catch (err) {
    if (err instanceof ApiError && err.notFound) message('This video isn’t available', '', 'unavailable');
    else if (err instanceof ApiError && err.code === 'password_required') {
      // The password is given on the full page, which sets the pass.
      message('This video is protected by a password', 'Open it on Baton to enter the password.', 'unavailable');
      document.body.append(h('a', { class: 'embed__open', href: watchPath(slug), target: '_blank', rel: 'noopener' },
        h('span', { class: 'embed__open-text', text: 'Open on Baton' }), icon('external', 16)));
    }
    else message('Couldn’t load this video', err instanceof Error ? err.message : '', 'error');
  }
}

void load();
