// Watch page: /v/{slug}. Public view of a shared video.
// One stylesheet per page, which @imports the shared ones in a fixed order.
import '../styles/watch.css';

import { ApiError, getSharedVideo, type Video } from '../lib/api';
import { copyWithToast } from '../lib/clipboard';
import { mountComments, type CommentsController } from '../lib/comments';
import { $, h } from '../lib/dom';
import { formatDate, formatDateTime, formatDuration, formatDurationLong } from '../lib/format';
import { embedCode, embedUrl, slugFromPath } from '../lib/route';
import { createStage } from '../lib/stage';
import { mountWatchNotify } from '../lib/notify/watch';
import { mountAsks } from '../lib/asks/watch';
import { isPasswordRequired, mountAccount, ownerTools, passwordGate, viewsText } from '../lib/watchtools';

const slug = slugFromPath(location.pathname, 'v');

const loading = $('watch-loading');
const article = $('watch');
const notFound = $('not-found');
const loadError = $('load-error');
const stage = createStage($('stage'));
const titleEl = $('video-title');
const metaEl = $('video-meta');
const shareInput = $<HTMLInputElement>('share-link');
const shareGroup = shareInput.closest<HTMLElement>('.share') ?? article;

let current: Video | null = null;
// The comments hold the page's one event stream, which also brings the video's changes.
let comments: CommentsController | null = null;

function show(section: HTMLElement): void {
  for (const el of [loading, article, notFound, loadError]) el.hidden = el !== section;
}

function renderInfo(v: Video): void {
  titleEl.textContent = v.title || 'Untitled video';
  document.title = `${v.title || 'Untitled video'} · Baton`;
  const created = new Date(v.createdAt);
  const parts: Node[] = [];
  if (!Number.isNaN(created.getTime())) {
    parts.push(h('time', {
      datetime: v.createdAt,
      title: formatDateTime(created),
      text: formatDate(created),
    }));
  }
  const dur = formatDuration(v.durationMs);
  if (dur) {
    parts.push(h('span', {},
      h('span', { class: 'visually-hidden', text: `Duration ${formatDurationLong(v.durationMs)}` }),
      h('span', { 'aria-hidden': 'true', text: dur }),
    ));
  }
  metaEl.replaceChildren();
  parts.forEach((p, i) => {
    if (i > 0) metaEl.append(h('span', { class: 'dot', 'aria-hidden': 'true', text: '·' }));
    metaEl.append(p);
  });
  shareInput.value = v.shareUrl || location.href;
}

function render(v: Video): void {
  current = v;
  renderInfo(v);
  if (v.isOwner && v.views !== undefined) {
    metaEl.append(h('span', { class: 'dot', 'aria-hidden': 'true', text: '·' }), h('span', { id: 'video-views', text: viewsText(v.views) }));
  }
  ownerTools(shareGroup, v, render);
  stage.update(v);
  comments?.update(v);
}

async function load(): Promise<void> {
  if (!slug) {
    showNotFound();
    return;
  }
  show(loading);
  try {
    let v: Video;
    try {
      // Loading the page is a view (not for the owner; once per pass).
      v = await getSharedVideo(slug, { view: true });
    } catch (err) {
      if (!isPasswordRequired(err)) throw err;
      v = await passwordGate($('main'), slug);
    }
    render(v);
    show(article);
    void mountWatchNotify(v.id, titleEl.closest<HTMLElement>('.watch__info') ?? article); // notify/watch.ts
    comments ??= mountComments({ stage: $('stage'), after: titleEl.closest<HTMLElement>('.watch__info') ?? titleEl, video: v, onVideo: render });
    mountAsks(v, $('stage'), titleEl.closest<HTMLElement>('.watch__info') ?? titleEl); // asks/watch.ts
  } catch (err) {
    if (err instanceof ApiError && err.notFound) showNotFound();
    else {
      $('load-error-text').textContent =
        err instanceof Error ? err.message : 'Something went wrong. Try again.';
      show(loadError);
    }
  }
}

function showNotFound(): void {
  document.title = 'Video not available · Baton';
  show(notFound);
}

shareInput.addEventListener('focus', () => shareInput.select());
$('copy-link').addEventListener('click', () => {
  void copyWithToast(shareInput.value, 'Link');
});
$('copy-embed').addEventListener('click', () => {
  if (!current) return;
  const src = embedUrl(current.shareUrl, current.slug, location.origin);
  void copyWithToast(embedCode(src, current.title || 'Video'), 'Embed code');
});
$('load-retry').addEventListener('click', () => void load());

void mountAccount($('account-slot'));
void load();
