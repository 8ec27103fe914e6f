// Home: the library of videos, uploads (button or drop anywhere), and the way
// to the recorder.

// One stylesheet per page, which @imports the shared ones in a fixed order.
import '../styles/home.css';

import {
  ApiError,
  createVideo,
  deleteVideo,
  listVideos,
  renameVideo,
  watchVideo,
  type LibraryScope,
  type Video,
} from '../lib/api';
import { me } from '../lib/auth';
import { mountHeader } from '../lib/header';
import { sharingDialog, sharingIcon, sharingSummary } from '../lib/sharing';
import { copyWithToast } from '../lib/clipboard';
import { confirmDialog, textDialog } from '../lib/dialog';
import { $, h, icon } from '../lib/dom';
import {
  clampPercent,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatDurationLong,
  formatRelativeTime,
  looksLikeVideo,
  titleFromFileName,
} from '../lib/format';
import { menuButton } from '../lib/menu';
import { watchPath } from '../lib/route';
import { statusHeading } from '../lib/stage';
import { toast, toastError } from '../lib/toast';
import { EUPLOAD_ABORTED, uploadFile, type UploadHandle } from '../lib/upload';
import { watchLibraryCounts } from '../lib/notify/library';
import { showMoments } from '../lib/moments';
import { askLine, mountWaitingLink } from '../lib/asks/library';

const PAGE_SIZE = 24;
// Each live card holds an EventSource, and browsers allow about six HTTP/1.1
// connections per host; keep most of them free for the page itself.
const MAX_LIVE_CARDS = 3;

const header = mountHeader('library', { signedIn: true });
const grid = $<HTMLUListElement>('video-grid');
watchLibraryCounts(grid); // notify/library.ts
void mountWaitingLink(header.extra); // asks/library.ts
const empty = $('empty-state');
const loadMore = $<HTMLButtonElement>('load-more');
const libraryStatus = $('library-status');
const uploadInput = $<HTMLInputElement>('upload-input');

let nextBefore = '';
/** The library's filters: whose videos, and a title search. */
let scope: LibraryScope = '';
let query = '';
/** The upload in progress, if any. One at a time. */
let active: { file: File; handle: UploadHandle | null; video: Video | null; cancelled: boolean } | null = null;
const cards = new Map<string, { el: HTMLLIElement; video: Video; stop?: () => void }>();

/* ---------- Library ---------- */

function skeletons(n: number): HTMLLIElement[] {
  return Array.from({ length: n }, () =>
    h('li', { class: 'card card--skeleton', 'aria-hidden': 'true' },
      h('div', { class: 'card__thumb skeleton' }),
      h('div', { class: 'card__body' },
        h('div', { class: 'skeleton skeleton--line' }),
        h('div', { class: 'skeleton skeleton--line skeleton--short' }),
      ),
    ),
  );
}

function thumb(v: Video): HTMLElement {
  const duration = formatDuration(v.durationMs);
  const children: (Node | null)[] = [];
  if (v.status === 'ready' && v.posterUrl) {
    children.push(h('img', {
      class: 'card__poster',
      src: v.posterUrl,
      alt: '',
      loading: 'lazy',
      decoding: 'async',
    }));
  } else {
    const ico = v.status === 'failed' ? icon('alert', 22)
      : v.status === 'created' ? icon('clock', 22)
      : v.status === 'ready' ? icon('film', 22)
      : h('span', { class: 'pulse', 'aria-hidden': 'true' });
    children.push(h('div', { class: 'card__placeholder', 'aria-hidden': 'true' },
      ico,
      h('span', { class: 'card__placeholder-text', text: placeholderText(v) }),
    ));
  }
  if (v.status === 'processing') {
    const p = clampPercent(v.progress);
    children.push(h('div', {
      class: 'card__progress',
      role: 'progressbar',
      'aria-label': `Processing ${v.title}`,
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': String(p),
    }, h('div', { class: 'card__progress-fill', style: `width:${p}%` })));
  }
  const b = badge(v);
  if (b) children.push(b);
  if (v.sharing && (v.sharing.visibility !== 'link' || v.sharing.hasPassword)) {
    children.push(h('span', { class: 'card__lock', title: sharingSummary(v.sharing) },
      h('span', { class: 'visually-hidden', text: sharingSummary(v.sharing) }), icon(sharingIcon(v.sharing), 14)));
  }
  if (duration && v.status === 'ready') {
    children.push(h('span', { class: 'card__duration' },
      h('span', { class: 'visually-hidden', text: `Duration ${formatDurationLong(v.durationMs)}` }),
      h('span', { 'aria-hidden': 'true', text: duration }),
    ));
  }
  return h('div', { class: 'card__thumb' }, ...children);
}

function placeholderText(v: Video): string {
  switch (v.status) {
    case 'processing':
      return `${clampPercent(v.progress)}%`;
    case 'failed':
      return v.error || 'Processing failed';
    case 'ready':
      return '';
    default:
      return statusHeading(v);
  }
}

/** Badges only for states that need attention; the placeholder says the rest. */
function badge(v: Video): HTMLElement | null {
  if (v.status === 'processing') return h('span', { class: 'badge badge--busy', 'data-badge': 'processing', text: 'Processing' });
  if (v.status === 'failed') return h('span', { class: 'badge badge--failed', 'data-badge': 'failed', text: 'Failed' });
  return null;
}

function timeEl(iso: string): HTMLElement | null {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  return h('time', {
    class: 'card__date',
    datetime: iso,
    title: formatDateTime(d),
    'data-relative': 'true',
    text: formatRelativeTime(d),
  });
}

function cardContent(v: Video): Node[] {
  const title = v.title || 'Untitled video';
  const link = h('a', { class: 'card__link', href: watchPath(v.slug), text: title });
  const copy = h('button', {
    type: 'button',
    class: 'icon-btn',
    'aria-label': `Copy link to ${title}`,
    title: 'Copy link',
    'data-action': 'copy-link',
    onclick: () => void copyWithToast(v.shareUrl || new URL(watchPath(v.slug), location.href).href),
  }, icon('link'));
  // Only those who manage a video change it; others' cards just link.
  const menu = v.isOwner ? menuButton({
    label: `More actions for ${title}`,
    items: [
      { label: 'Sharing…', icon: 'share', action: 'sharing', onSelect: () => void share(v.id) },
      { label: 'Rename', icon: 'pencil', action: 'rename', onSelect: () => void rename(v.id) },
      { label: 'Delete', icon: 'trash', action: 'delete', danger: true, onSelect: () => void remove(v.id) },
    ],
  }) : null;
  const meta = h('p', { class: 'card__meta' }, timeEl(v.createdAt),
    h('span', { class: 'fact', title: 'Views' }, icon('eye', 14), h('span', { text: `${v.views ?? 0}` }), h('span', { class: 'visually-hidden', text: v.views === 1 ? ' view' : ' views' })),
    h('span', { class: 'fact', title: 'Comments' }, icon('message', 14), h('span', { text: `${v.commentCount ?? 0}` }), h('span', { class: 'visually-hidden', text: v.commentCount === 1 ? ' comment' : ' comments' })),
  );
  // Someone else's video says whose it is.
  const facts = v.owner && !v.isOwner
    ? h('p', { class: 'card__facts facts' }, h('span', { class: 'fact' }, icon('user', 14), h('span', { text: v.owner.name })))
    : null;
  if (v.status === 'failed' && v.error) meta.title = v.error;
  return [
    thumb(v),
    h('div', { class: 'card__body' },
      h('h2', { class: 'card__title' }, link),
      facts,
      askLine(v), // asks/library.ts
      h('div', { class: 'card__footer' }, meta, h('div', { class: 'card__actions' },
        // A video that failed has nothing to share; its owner may remove it.
        v.status === 'failed' && v.isOwner
          ? h('button', { type: 'button', class: 'btn btn--secondary btn--small', 'data-action': 'delete-failed', text: 'Delete', onclick: () => void remove(v.id) })
          : copy,
        menu)),
    ),
  ];
}

function renderCard(v: Video): HTMLLIElement {
  const el = h('li', { class: 'card', 'data-video-id': v.id, 'data-slug': v.slug, 'data-status': v.status });
  el.append(...cardContent(v));
  cards.set(v.id, { el, video: v });
  return el;
}

function updateCard(v: Video): void {
  const entry = cards.get(v.id);
  if (!entry) return;
  const prev = entry.video;
  entry.video = v;
  entry.el.dataset.status = v.status;
  // Keep focus where it was when a live update redraws the card.
  const focusedAction = (document.activeElement as HTMLElement | null)?.closest('.card') === entry.el
    ? (document.activeElement as HTMLElement).dataset.action ?? 'link'
    : null;
  if (prev.status === v.status && v.status === 'processing' && prev.title === v.title) {
    // Progress only: touch the numbers, not the whole card.
    const bar = entry.el.querySelector<HTMLElement>('.card__progress');
    const fill = entry.el.querySelector<HTMLElement>('.card__progress-fill');
    const text = entry.el.querySelector<HTMLElement>('.card__placeholder-text');
    const p = clampPercent(v.progress);
    bar?.setAttribute('aria-valuenow', String(p));
    if (fill) fill.style.width = `${p}%`;
    if (text) text.textContent = placeholderText(v);
    return;
  }
  entry.el.replaceChildren(...cardContent(v));
  if (focusedAction) {
    const sel = focusedAction === 'link' ? '.card__link' : `[data-action="${focusedAction}"]`;
    entry.el.querySelector<HTMLElement>(sel)?.focus();
  }
}

function liveCount(): number {
  let n = 0;
  for (const c of cards.values()) if (c.stop) n++;
  return n;
}

/** followLiveCards subscribes to a few busy cards so they turn ready by themselves. */
function followLiveCards(): void {
  for (const entry of cards.values()) {
    if (liveCount() >= MAX_LIVE_CARDS) return;
    const s = entry.video.status;
    if (entry.stop || (s !== 'processing' && s !== 'uploading')) continue;
    const id = entry.video.id;
    entry.stop = watchVideo(id, (v) => {
      updateCard(v);
      if (v.status === 'ready' || v.status === 'failed') {
        const e = cards.get(id);
        if (e) {
          e.stop?.();
          delete e.stop;
        }
        followLiveCards();
      }
    });
  }
}

function syncEmpty(): void {
  const isEmpty = cards.size === 0 && !nextBefore;
  const filtered = scope !== '' || query !== '';
  // While a first upload runs, its panel says enough; a search or a filter
  // that finds nothing says so in a line, not with the welcome.
  empty.hidden = !isEmpty || active !== null || filtered;
  grid.hidden = isEmpty;
  if (isEmpty && filtered) {
    const what = query ? `No titles match “${query}”` : scope === 'mine' ? 'You have no videos yet' : 'Nobody has shared a video with the workspace yet';
    libraryStatus.replaceChildren(h('p', { class: 'library__none', text: `${what}.` }));
  } else if (libraryStatus.querySelector('.library__none')) {
    libraryStatus.replaceChildren();
  }
}

async function loadPage(before: string): Promise<HTMLLIElement[]> {
  const page = await listVideos({ limit: PAGE_SIZE, before, scope, q: query });
  nextBefore = page.nextBefore || '';
  if (!before) grid.replaceChildren();
  const added = page.videos.filter((v) => !cards.has(v.id)).map(renderCard);
  grid.append(...added);
  loadMore.hidden = !nextBefore;
  syncEmpty();
  followLiveCards();
  return added;
}

async function loadFirstPage(): Promise<void> {
  libraryStatus.replaceChildren();
  for (const c of cards.values()) c.stop?.();
  cards.clear();
  grid.replaceChildren(...skeletons(8));
  grid.setAttribute('aria-busy', 'true');
  try {
    await loadPage('');
  } catch (err) {
    grid.replaceChildren();
    loadMore.hidden = true;
    libraryStatus.replaceChildren(
      h('div', { class: 'notice notice--error' },
        h('p', { text: err instanceof Error ? err.message : "Couldn’t load your videos." }),
        h('button', { type: 'button', class: 'btn btn--secondary btn--small', onclick: () => void loadFirstPage(), text: 'Try again' }),
      ),
    );
  } finally {
    grid.setAttribute('aria-busy', 'false');
  }
}

loadMore.addEventListener('click', async () => {
  if (!nextBefore) return;
  loadMore.disabled = true;
  loadMore.setAttribute('aria-busy', 'true');
  loadMore.textContent = 'Loading…';
  try {
    const added = await loadPage(nextBefore);
    // Continue reading where the new videos start.
    added[0]?.querySelector<HTMLElement>('.card__link')?.focus();
  } catch (err) {
    toastError(err);
  } finally {
    loadMore.disabled = false;
    loadMore.removeAttribute('aria-busy');
    loadMore.textContent = 'Load more';
  }
});

async function share(id: string): Promise<void> {
  const entry = cards.get(id);
  if (!entry) return;
  // The answer is not a listing: keep the listing's counts and owner.
  await sharingDialog(entry.video, (v) => updateCard({ ...v, commentCount: entry.video.commentCount, owner: entry.video.owner }));
}

async function rename(id: string): Promise<void> {
  const entry = cards.get(id);
  if (!entry) return;
  const updated = await textDialog({
    id: 'rename-dialog',
    title: 'Rename video',
    label: 'Title',
    value: entry.video.title,
    submitLabel: 'Save',
    action: async (title) => {
      if (!title) throw new Error('Give the video a title.');
      return renameVideo(id, title);
    },
  });
  if (updated) {
    updateCard(updated);
    toast('Video renamed', 'success');
  }
}

async function remove(id: string): Promise<void> {
  const entry = cards.get(id);
  if (!entry) return;
  const title = entry.video.title || 'Untitled video';
  const ok = await confirmDialog({
    id: 'delete-dialog',
    title: `Delete “${title}”?`,
    message: 'The video and its link stop working for everyone who has it. This can’t be undone.',
    confirmLabel: 'Delete video',
    danger: true,
    action: async () => {
      await deleteVideo(id);
      return true;
    },
  });
  if (!ok) return;
  const cardsInOrder = [...grid.querySelectorAll<HTMLLIElement>('.card')];
  const i = cardsInOrder.indexOf(entry.el);
  const next = cardsInOrder[i + 1] ?? cardsInOrder[i - 1];
  entry.stop?.();
  entry.el.remove();
  cards.delete(id);
  syncEmpty();
  (next?.querySelector<HTMLElement>('.card__link') ?? $('main')).focus();
  toast('Video deleted', 'success');
}

// Relative dates drift; refresh them once a minute.
window.setInterval(() => {
  for (const t of grid.querySelectorAll<HTMLTimeElement>('time[data-relative]')) {
    t.textContent = formatRelativeTime(new Date(t.dateTime));
  }
}, 60_000);

/* ---------- Upload ---------- */

const panel = $('upload-panel');
const panelTitle = $('upload-title');
const panelDetail = $('upload-detail');
const panelError = $('upload-error');
const panelCancel = $<HTMLButtonElement>('upload-cancel');
const progress = $('upload-progress');
const progressFill = progress.querySelector<HTMLElement>('.progress__fill');


function setProgress(sent: number, total: number): void {
  const p = total > 0 ? Math.floor((sent / total) * 100) : 0;
  progress.setAttribute('aria-valuenow', String(p));
  progress.setAttribute('aria-valuetext', `${p}%, ${formatBytes(sent)} of ${formatBytes(total)}`);
  if (progressFill) progressFill.style.width = `${p}%`;
  panelDetail.textContent = `${formatBytes(sent)} of ${formatBytes(total)} · ${p}%`;
}

function showUploadPanel(file: File): void {
  panel.hidden = false;
  panel.dataset.state = 'uploading';
  panelTitle.textContent = `Uploading “${titleFromFileName(file.name)}”`;
  panelDetail.textContent = 'Starting…';
  panelError.hidden = true;
  progress.hidden = false;
  panelCancel.textContent = 'Cancel';
  panelCancel.disabled = false;
  setProgress(0, file.size);
  panelDetail.textContent = 'Starting…';
}

function showUploadError(message: string): void {
  panel.dataset.state = 'failed';
  panelTitle.textContent = 'Upload failed';
  panelDetail.textContent = active ? active.file.name : '';
  progress.hidden = true;
  panelError.textContent = message;
  panelError.hidden = false;
  panelCancel.textContent = 'Dismiss';
}

function hideUploadPanel(): void {
  panel.hidden = true;
  delete panel.dataset.state;
}

function onBeforeUnload(ev: BeforeUnloadEvent): void {
  ev.preventDefault();
  // Older browsers need returnValue set to show the prompt.
  ev.returnValue = '';
}

async function startUpload(file: File): Promise<void> {
  if (active) {
    toast('One upload at a time. Wait for this one to finish, or cancel it.', 'info');
    return;
  }
  if (!looksLikeVideo(file.name, file.type)) {
    toast(`“${file.name}” isn’t a video file. Choose an MP4, MOV, WebM or MKV file.`, 'error');
    return;
  }
  if (file.size === 0) {
    toast(`“${file.name}” is empty.`, 'error');
    return;
  }
  const job = { file, handle: null as UploadHandle | null, video: null as Video | null, cancelled: false };
  active = job;
  showUploadPanel(file);
  syncEmpty();
  panel.scrollIntoView({ block: 'nearest' });
  window.addEventListener('beforeunload', onBeforeUnload);
  try {
    job.video = await createVideo(titleFromFileName(file.name));
    if (job.cancelled) throw new ApiError(0, EUPLOAD_ABORTED, 'Upload cancelled.');
    job.handle = uploadFile(job.video, file, setProgress);
    await job.handle.done;
    panel.dataset.state = 'done';
    panelTitle.textContent = 'Upload complete';
    panelDetail.textContent = 'Opening the video…';
    window.removeEventListener('beforeunload', onBeforeUnload);
    location.assign(watchPath(job.video.slug));
  } catch (err) {
    window.removeEventListener('beforeunload', onBeforeUnload);
    if (err instanceof ApiError && err.code === EUPLOAD_ABORTED) {
      hideUploadPanel();
      active = null;
      syncEmpty();
      // Nothing useful was stored; don't leave an empty video behind.
      if (job.video) await deleteVideo(job.video.id).catch(() => {});
      toast('Upload cancelled');
      return;
    }
    showUploadError(err instanceof Error ? err.message : 'The upload failed. Try again.');
    active = null;
    // The server may have kept the video with its failure reason: show it.
    if (job.video) void loadFirstPage();
    else syncEmpty();
  }
}

panelCancel.addEventListener('click', () => {
  if (active) {
    active.cancelled = true;
    if (active.handle) active.handle.abort();
    else panelCancel.disabled = true;
    return;
  }
  hideUploadPanel();
});

function pickFile(): void {
  uploadInput.click();
}

$('upload-button').addEventListener('click', pickFile);
$('empty-upload').addEventListener('click', pickFile);
uploadInput.addEventListener('change', () => {
  const file = uploadInput.files?.[0];
  // Clear it so choosing the same file again (after a cancel) fires change.
  uploadInput.value = '';
  if (file) void startUpload(file);
});

/* ---------- Drag and drop anywhere on the page ---------- */

const overlay = $('drop-overlay');
let dragDepth = 0;

function hasFiles(ev: DragEvent): boolean {
  return ev.dataTransfer?.types.includes('Files') ?? false;
}

window.addEventListener('dragenter', (ev) => {
  if (!hasFiles(ev)) return;
  ev.preventDefault();
  dragDepth++;
  overlay.hidden = false;
});
window.addEventListener('dragover', (ev) => {
  if (!hasFiles(ev)) return;
  ev.preventDefault();
  if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy';
});
window.addEventListener('dragleave', (ev) => {
  if (!hasFiles(ev)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) overlay.hidden = true;
});
window.addEventListener('drop', (ev) => {
  if (!hasFiles(ev)) return;
  ev.preventDefault();
  dragDepth = 0;
  overlay.hidden = true;
  const files = [...(ev.dataTransfer?.files ?? [])];
  if (files.length > 1) toast('One video at a time: uploading the first file.', 'info');
  const file = files[0];
  if (file) void startUpload(file);
});

/* ---------- Filters ---------- */

const scopeButtons = [...document.querySelectorAll<HTMLButtonElement>('.segmented__btn')];
for (const btn of scopeButtons) {
  btn.addEventListener('click', () => {
    scope = (btn.dataset.scope ?? '') as LibraryScope;
    for (const b of scopeButtons) b.setAttribute('aria-pressed', String(b === btn));
    void loadFirstPage();
  });
}

const searchInput = $<HTMLInputElement>('search-input');
let searchTimer = 0;
function search(): void {
  window.clearTimeout(searchTimer);
  const q = searchInput.value.trim();
  if (q === query) return;
  query = q;
  void loadFirstPage();
  void showMoments($('moments'), $('moments-list'), q);
}
searchInput.addEventListener('input', () => {
  window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(search, 250);
});
$('search-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  search();
});

async function start(): Promise<void> {
  const user = await me().catch(() => null);
  if (!user) {
    // Signed out (the session ended while the page was open).
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    return;
  }
  header.setUser(user);
  // "Upload" from another page's header lands here: the picker needs a
  // click of its own, so point at it.
  if (new URLSearchParams(location.search).has('upload')) {
    history.replaceState(null, '', '/');
    $('upload-button').focus();
    toast('Choose a video to upload, or drop it anywhere on this page.');
  }
  await loadFirstPage();
}

void start();
