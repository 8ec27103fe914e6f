// Watch page: /v/{slug}. The player (comments and reactions on its seek
// bar), the title and description (the owner edits them in place), the
// share row, and the comment panel. Also the 404 page's shell.
// One stylesheet per page, which @imports the shared ones in a fixed order.
import '../styles/watch.css';

import { ApiError, getSharedVideo, type Video } from '../lib/api';
import { me } from '../lib/auth';
import { copyWithToast } from '../lib/clipboard';
import { mountComments, type CommentsController } from '../lib/comments';
import { mountDetails } from '../lib/details';
import { $, h } from '../lib/dom';
import { embedDialog } from '../lib/embeddialog';
import { formatClock, formatDate, formatDateTime, formatDuration, formatDurationLong } from '../lib/format';
import { mountHeader } from '../lib/header';
import { mountChapterList } from '../lib/player/chapters';
import { mountOwnerSpeed } from '../lib/player/ownerspeed';
import { embedUrl, shareAt, slugFromPath, startFrom } from '../lib/route';
import { createStage } from '../lib/stage';
import { mountWatchNotify } from '../lib/notify/watch';
import { mountAsks } from '../lib/asks/watch';
import { mountSummary } from '../lib/summary/watch';
import { mountTranscript, type TranscriptController } from '../lib/transcript';
import { takeFlash } from '../lib/flash';
import { toast } from '../lib/toast';
import { trackViews } from '../lib/views';
import { isPasswordRequired, ownerTools, passwordGate, viewsText } from '../lib/watchtools';

// Who is watching: asked once, for the header and the member-only parts.
const signedIn = me().catch(() => null);

const slug = slugFromPath(location.pathname, 'v');
const header = mountHeader('watch');

const loading = $('watch-loading');
const article = $('watch');
const notFound = $('not-found');
const loadError = $('load-error');
const stageEl = $('stage');
const stage = createStage(stageEl, { startAt: startFrom(location.search) });
const titleEl = $('video-title');
const metaEl = $('video-meta');
const shareInput = $<HTMLInputElement>('share-link');
const shareGroup = shareInput.closest<HTMLElement>('.share') ?? article;
const copyAt = $<HTMLButtonElement>('copy-link-at');
const copyAtTime = $('copy-at-time');
const details = mountDetails(titleEl, $('video-description'), (v) => render(v));
// The player's extras around it: chapters under the description, the
// owner's default speed under the video's meta line.
mountChapterList($('video-description'), stage);
const ownerSpeed = mountOwnerSpeed(metaEl, (v) => render(v));

let current: Video | null = null;
// The comments hold the page's one event stream, which also brings the video's changes.
let comments: CommentsController | null = null;
// The transcript tab beside the comments (lib/transcript).
let transcript: TranscriptController | null = null;

function show(section: HTMLElement): void {
  for (const el of [loading, article, notFound, loadError]) el.hidden = el !== section;
}

function renderInfo(v: Video): void {
  details.render(v);
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
  if (v.isOwner && v.views !== undefined) parts.push(h('span', { id: 'video-views', text: viewsText(v.views) }));
  metaEl.replaceChildren();
  parts.forEach((p, i) => {
    if (i > 0) metaEl.append(h('span', { class: 'dot', 'aria-hidden': 'true', text: '·' }));
    metaEl.append(p);
  });
  // CSS shows its end (the unique part) when it does not fit.
  shareInput.value = v.shareUrl || location.href;
}

function render(v: Video): void {
  current = v;
  renderInfo(v);
  ownerTools(shareGroup, v, render);
  ownerSpeed.render(v);
  stage.update(v);
  comments?.update(v);
  transcript?.update(v);
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
      // ?view=1 spends a view of a view-limited link (its pass depends on
      // it); other views count from playback (trackViews).
      v = await getSharedVideo(slug, { view: true });
    } catch (err) {
      if (!isPasswordRequired(err)) throw err;
      v = await passwordGate($('main'), slug);
    }
    render(v);
    show(article);
    // Following is for members: a guest's page asks nothing it would be refused.
    const info = titleEl.closest<HTMLElement>('.watch__info') ?? article;
    void signedIn.then((u) => u && mountWatchNotify(v.id, info)); // notify/watch.ts
    comments ??= mountComments({ stage, stageEl, after: titleEl.closest<HTMLElement>('.watch__info') ?? titleEl, video: v, onVideo: render });
    transcript ??= mountTranscript({ stage, stageEl, video: v, comments });
    mountAsks(v, stageEl, titleEl.closest<HTMLElement>('.watch__info') ?? titleEl); // asks/watch.ts
    void mountSummary(v, titleEl.closest<HTMLElement>('.watch__info') ?? titleEl); // summary/watch.ts
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

/** The player's position in whole seconds (0 without a player). */
function nowSeconds(): number {
  const m = stage.player()?.media;
  return m && Number.isFinite(m.currentTime) ? Math.floor(m.currentTime) : 0;
}

function syncCopyAt(): void {
  const s = nowSeconds();
  copyAt.hidden = s < 1;
  const label = formatClock(s * 1000);
  if (copyAtTime.textContent !== label) copyAtTime.textContent = label;
}

for (const type of ['timeupdate', 'seeked', 'emptied']) stageEl.addEventListener(type, syncCopyAt, true);
shareInput.addEventListener('focus', () => shareInput.select());
$('copy-link').addEventListener('click', () => {
  void copyWithToast(shareInput.value, 'Link');
});
copyAt.addEventListener('click', () => {
  void copyWithToast(shareAt(shareInput.value, nowSeconds()), `Link at ${copyAtTime.textContent}`);
});
$('copy-embed').addEventListener('click', () => {
  if (!current) return;
  const base = embedUrl(current.shareUrl, current.slug, location.origin);
  void embedDialog(base, current.title || 'Video', nowSeconds());
});
$('load-retry').addEventListener('click', () => void load());

trackViews(() => stage.player()?.media ?? null, () => current?.slug ?? slug, (n) => {
  if (current?.isOwner) render({ ...current, views: n });
});

const flash = takeFlash();
if (flash) toast(flash, 'success');
void signedIn.then((u) => header.setUser(u));
void load();
