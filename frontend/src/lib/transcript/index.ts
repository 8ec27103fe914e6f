// The transcript panel of the watch page, in a tab beside the comments:
// every line with its time, the line being spoken highlighted as the video
// plays, and the list following playback until the person scrolls it
// themselves ("Follow along" resumes). A click, or Enter on a line's time,
// plays from there. A search box marks matches and steps through them;
// downloads (.txt, .vtt, .srt) sit in a menu. The owner corrects a line in
// place (Enter saves, Escape cancels).
//
// "Show comments" turns the panel into the record: comments (author,
// replies) between the lines by time, one document that a person in
// another time zone reads instead of watching.
//
// The transcript arrives after the video is ready, so one that is not
// done is fetched again whenever the page's event stream brings a change
// of the video (the server announces every record change that way), with
// a slow poll underneath in case the stream is down.
//
// Hooks for tests: data-status, data-current (line index) and
// data-following on #transcript.
import type { Video } from '../api';
import { commentCount, type Thread } from '../comments/model';
import { formatTimecode, spokenTimecode } from '../comments/timecode';
import { h, icon, prefersReducedMotion } from '../dom';
import { menuButton } from '../menu';
import { highlight } from '../moments';
import type { Stage } from '../stage';
import { toastError } from '../toast';
import * as api from './api';
import {
  findMatches, interleave, lineAt, matcher, pendingHint, recordComments, recordText,
  type Entry, type RecordComment, type Segment, type Transcript,
} from './model';
import { sideTabs, type SideTabs } from './tabs';

export interface TranscriptOptions {
  stage: Stage;
  stageEl: HTMLElement;
  video: Video;
  /** The comment panel, which goes into the first tab. */
  comments: {
    panel: HTMLElement;
    threads(): readonly Thread[];
    onThreads(fn: (threads: readonly Thread[]) => void): void;
  };
}

export interface TranscriptController {
  /** The page has a new state of the video (from the event stream). */
  update(v: Video): void;
  readonly tabs: SideTabs;
}

/** Slow poll while pending, under the event stream. */
const POLL_MS = 10_000;
/** Changes of the video come in bursts (processing progress): at most one fetch per this. */
const REFETCH_MS = 1500;
const SHOW_COMMENTS_KEY = 'baton.recordComments';
/** Keys that scroll a list: pressed inside it, the person is reading on their own. */
const SCROLL_KEYS = new Set(['ArrowUp', 'ArrowDown', 'PageUp', 'PageDown', 'Home', 'End', ' ']);

function readShowComments(): boolean {
  try {
    return localStorage.getItem(SHOW_COMMENTS_KEY) !== 'false';
  } catch {
    return true;
  }
}

export function mountTranscript(opts: TranscriptOptions): TranscriptController {
  let video = opts.video;
  let data: Transcript | null = null;
  let loadFailed = false;
  let threads: readonly Thread[] = opts.comments.threads();
  let showComments = readShowComments();
  let query = '';
  let entries: Entry[] = [];
  /** Entry index of each line, by line index. */
  let lineEntry: number[] = [];
  let items: HTMLLIElement[] = [];
  let current = -1;
  let following = true;
  let matches: number[] = [];
  let matchAt = -1;
  /** The entry whose time button is the list's one tab stop. */
  let focusEntry = 0;
  let editing: { segId: number } | null = null;
  let dirty = false;

  const player = (): HTMLVideoElement | null => opts.stage.player()?.media ?? null;
  const playerMs = (): number => {
    const p = player();
    return p && Number.isFinite(p.currentTime) ? Math.floor(p.currentTime * 1000) : 0;
  };
  const segments = (): Segment[] => (data?.status === 'done' ? data.segments : []);

  /* ---------- The DOM ---------- */

  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const say = (msg: string): void => {
    status.textContent = '';
    queueMicrotask(() => {
      status.textContent = msg;
    });
  };

  const searchInput = h('input', {
    type: 'search', id: 'transcript-search', class: 'input transcript__search-input', placeholder: 'Search transcript',
    autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'transcript-matches',
  });
  const matchCount = h('span', { id: 'transcript-matches', class: 'transcript__matches', 'aria-live': 'polite' });
  const prevBtn = h('button', { type: 'button', class: 'icon-btn transcript__step', id: 'transcript-prev', 'aria-label': 'Previous match', title: 'Previous match (Shift+Enter)' }, chevron('up'));
  const nextBtn = h('button', { type: 'button', class: 'icon-btn transcript__step', id: 'transcript-next', 'aria-label': 'Next match', title: 'Next match (Enter)' }, chevron('down'));
  const search = h('div', { class: 'transcript__search', role: 'search' },
    h('label', { class: 'visually-hidden', for: 'transcript-search', text: 'Search the transcript' }),
    icon('search', 16), searchInput, matchCount, prevBtn, nextBtn);

  const commentsToggle = h('input', { type: 'checkbox', id: 'transcript-show-comments', class: 'transcript__switch-input' });
  commentsToggle.checked = showComments;
  const toggleLabel = h('label', { class: 'transcript__toggle', for: 'transcript-show-comments' },
    commentsToggle, h('span', { class: 'transcript__switch', 'aria-hidden': 'true' }), h('span', { text: 'Show comments' }));

  const download = menuButton({
    label: 'Download transcript',
    items: [
      { label: 'Transcript (.txt)', action: 'download-txt', icon: 'download', onSelect: () => save('txt') },
      { label: 'WebVTT captions (.vtt)', action: 'download-vtt', icon: 'download', onSelect: () => save('vtt') },
      { label: 'SubRip captions (.srt)', action: 'download-srt', icon: 'download', onSelect: () => save('srt') },
      { label: 'Transcript with comments (.txt)', action: 'download-record', icon: 'message', onSelect: () => saveRecord() },
    ],
  });
  download.classList.add('transcript__download');
  const downloadBtn = download.querySelector<HTMLButtonElement>('button[aria-haspopup]')!;
  downloadBtn.id = 'transcript-download';
  downloadBtn.className = 'btn btn--secondary btn--small transcript__download-btn';
  downloadBtn.replaceChildren(icon('download', 16), h('span', { class: 'transcript__download-label', text: 'Download' }));

  const tools = h('div', { class: 'transcript__tools' }, search,
    h('div', { class: 'transcript__row' }, toggleLabel, download));

  const stateBox = h('div', { class: 'transcript__state', id: 'transcript-state', hidden: true });
  const list = h('ol', { class: 'transcript__list', id: 'transcript-list', 'aria-label': 'Transcript' });
  const scroller = h('div', { class: 'transcript__scroll' }, stateBox, list);
  const followBtn = h('button', {
    type: 'button', id: 'transcript-follow', class: 'btn btn--primary btn--small transcript__follow', hidden: true,
  }, chevron('down'), h('span', { text: 'Follow along' }));
  const foot = h('p', { class: 'transcript__foot', id: 'transcript-foot', hidden: true });
  const panel = h('section', {
    id: 'transcript', class: 'transcript', tabindex: '-1', 'data-status': 'loading', 'data-following': 'true',
  }, h('div', { class: 'transcript__inner' }, tools, scroller, followBtn, foot, status));

  // The comment panel moves into the first tab; the tabs take its place.
  const commentsPanel = opts.comments.panel;
  const anchor = commentsPanel.previousElementSibling ?? commentsPanel.parentElement!;
  const tabs = sideTabs([
    { key: 'comments', label: 'Comments', panel: commentsPanel },
    { key: 'transcript', label: 'Transcript', panel },
  ]);
  if (anchor === commentsPanel.parentElement) anchor.prepend(tabs.root);
  else anchor.after(tabs.root);
  document.body.classList.add('has-side');
  tabs.onChange((key) => {
    if (key === 'transcript') {
      following = true;
      syncFollow();
      queueMicrotask(() => scrollToCurrent(false));
    }
  });

  /* ---------- Rendering ---------- */

  function render(): void {
    if (editing) {
      // A refresh must not throw away a correction being typed.
      dirty = true;
      return;
    }
    dirty = false;
    const st = loadFailed ? 'error' : data?.status ?? 'loading';
    panel.dataset.status = st;
    renderState(st);
    const segs = segments();
    // Without lines the comments tab is the record already.
    const comments: RecordComment[] = showComments && segs.length ? recordComments(threads) : [];
    entries = interleave(segs, comments);
    lineEntry = [];
    entries.forEach((e, i) => {
      if (e.kind === 'line') lineEntry[e.line] = i;
    });
    const re = matcher(query);
    matches = [];
    const previous = items;
    items = entries.map((e, i) => {
      const text = e.kind === 'line' ? e.seg.text : e.comment.body;
      const marks = findMatches(text, re);
      if (marks.length || (e.kind === 'comment' && re && findMatches(e.comment.authorName, re).length)) matches.push(i);
      return e.kind === 'line' ? lineItem(e.seg, e.line, marks) : commentItem(e.comment, marks, re);
    });
    // A rebuilt list keeps the person's place: the entry that had focus has it again.
    const had = list.contains(document.activeElement) ? keyOf(document.activeElement!.closest('li')) : '';
    const before = keyOf(previous[focusEntry] ?? null);
    list.replaceChildren(...items);
    const again = items.findIndex((li) => keyOf(li) === (had || before));
    focusEntry = again >= 0 ? again : Math.min(focusEntry, Math.max(0, items.length - 1));
    list.hidden = items.length === 0;
    const hasLines = segs.length > 0;
    tools.hidden = !hasLines;
    download.hidden = !hasLines || !data?.downloads;
    searchInput.disabled = items.length === 0;
    matchAt = matches.length ? Math.min(Math.max(matchAt, 0), matches.length - 1) : -1;
    renderMatches();
    renderFoot();
    current = -1;
    roving();
    if (had && again >= 0) items[again]!.querySelector<HTMLElement>('.tline__time')?.focus({ preventScroll: true });
    onTime();
  }

  function keyOf(li: Element | null): string {
    return li instanceof HTMLElement ? `${li.dataset.kind}:${li.dataset.id}` : '';
  }

  function renderState(st: string): void {
    stateBox.replaceChildren();
    stateBox.hidden = true;
    const show = (...children: (Node | null)[]): void => {
      stateBox.hidden = false;
      stateBox.append(...children.filter((c): c is Node => c !== null));
    };
    if (st === 'loading') {
      show(h('p', { class: 'transcript__muted', text: 'Loading the transcript…' }));
      return;
    }
    if (st === 'error') {
      show(h('div', { class: 'notice notice--error' },
        h('span', { text: 'The transcript couldn’t be loaded.' }),
        h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Try again', onclick: () => void refetch() })));
      return;
    }
    if (!data) return;
    if (data.status === 'pending') {
      const ready = video.status === 'ready';
      show(h('div', { class: 'transcript__pending', id: 'transcript-pending' },
        h('span', { class: 'transcript__spinner', 'aria-hidden': 'true' }),
        h('div', {},
          h('p', { class: 'transcript__state-title', text: ready ? 'Transcribing…' : 'The transcript comes once the video is ready.' }),
          h('p', { class: 'transcript__muted', text: ready ? `${pendingHint(data.engine, video.durationMs)} It shows up here by itself.` : 'It shows up here by itself, no need to reload.' }))));
      return;
    }
    if (data.status === 'failed') {
      const retryBtn = video.isOwner
        ? h('button', { type: 'button', id: 'transcript-retry', class: 'btn btn--secondary btn--small', onclick: (ev: Event) => void retry(ev.currentTarget as HTMLButtonElement) },
          icon('refresh', 16), h('span', { text: 'Retry' }))
        : null;
      show(h('div', { class: 'notice notice--error transcript__failed', id: 'transcript-failed' },
        h('div', {},
          h('p', { class: 'transcript__state-title', text: 'The transcript couldn’t be made.' }),
          h('p', { text: data.message || 'The transcription engine gave up on this video.' })),
        retryBtn));
      return;
    }
    if (data.status === 'off') {
      if (video.isOwner) {
        // The server's hint names the settings of this build; the fallback says the least that is true.
        const hint = data.message || 'An administrator can turn them on by setting BATON_TRANSCRIBE (pocketsphinx, whisper or openai).';
        show(h('div', { class: 'transcript__off', id: 'transcript-off' },
          h('p', { class: 'transcript__state-title', text: 'Transcripts are off' }),
          h('p', { class: 'transcript__muted', text: hint }),
          h('p', { class: 'transcript__muted', text: 'Once they are on, videos already here are transcribed too.' })));
      } else {
        show(h('p', { class: 'transcript__muted', id: 'transcript-off', text: 'This video has no transcript.' }));
      }
      return;
    }
    if (data.segments.length === 0) {
      show(h('p', { class: 'transcript__muted', id: 'transcript-empty', text: data.message || 'Nothing was said in this video.' }));
    }
  }

  function renderFoot(): void {
    const parts: string[] = [];
    if (data?.status === 'done' && data.segments.length) {
      if (data.engine) parts.push(`Transcribed by ${data.engine}${data.engine === 'pocketsphinx' ? ' (English, may be rough)' : ''}`);
      if (video.isOwner) parts.push('Select a line’s pencil to correct it');
    }
    foot.textContent = parts.join(' · ');
    foot.hidden = parts.length === 0;
  }

  function timeButton(ms: number, what: string): HTMLButtonElement {
    return h('button', {
      type: 'button', class: 'tline__time', tabindex: '-1', 'data-action': 'seek', 'data-ms': String(ms),
      'aria-label': `${what}, ${spokenTimecode(ms)}. Play from here`, text: formatTimecode(ms),
    });
  }

  function lineItem(seg: Segment, line: number, marks: [number, number][]): HTMLLIElement {
    const text = h('span', { class: 'tline__text', dir: 'auto' }, ...highlight(seg.text, marks));
    const li = h('li', {
      class: 'tline', 'data-kind': 'line', 'data-line': String(line), 'data-id': String(seg.id), 'data-ms': String(seg.startMs),
    }, timeButton(seg.startMs, 'Line'), text);
    if (seg.edited) li.append(h('span', { class: 'tline__edited', text: 'edited', title: 'Corrected by the owner' }));
    if (video.isOwner && seg.id > 0) {
      li.append(h('button', {
        type: 'button', class: 'icon-btn tline__edit', tabindex: '-1', 'data-action': 'edit',
        'aria-label': `Correct the line at ${formatTimecode(seg.startMs)}`, title: 'Correct this line',
      }, icon('pencil', 16)));
    }
    return li;
  }

  function commentItem(c: RecordComment, marks: [number, number][], re: RegExp | null): HTMLLIElement {
    const body = h('span', { class: 'trec__text', dir: 'auto' });
    if (c.deleted) body.append(h('em', { text: 'Deleted comment' }));
    else body.append(...highlight(c.body, marks));
    const meta = h('span', { class: 'trec__meta' },
      h('span', { class: 'trec__author' }, ...highlight(c.authorName, findMatches(c.authorName, re))),
      c.byOwner ? h('span', { class: 'badge trec__badge', text: 'Creator' }) : null,
      c.replies ? h('span', { class: 'trec__replies', text: c.replies === 1 ? '1 reply' : `${c.replies} replies` }) : null,
      c.resolved ? h('span', { class: 'trec__resolved', text: 'Resolved' }) : null);
    return h('li', { class: 'trec', 'data-kind': 'comment', 'data-id': c.id, 'data-ms': String(c.timeMs) },
      timeButton(c.timeMs, `Comment by ${c.authorName}`),
      h('span', { class: 'trec__body' }, icon('message', 14), meta, body));
  }

  /* ---------- Playback ---------- */

  function onTime(ev?: Event): void {
    const segs = segments();
    const i = lineAt(segs, playerMs());
    if (i !== current) {
      if (current >= 0) setCurrent(current, false);
      current = i;
      if (i >= 0) setCurrent(i, true);
      panel.dataset.current = String(i);
    }
    const p = player();
    if (following && !tabsHidden() && (ev?.type === 'seeked' || (p && !p.paused))) scrollToCurrent(true);
  }

  function setCurrent(line: number, on: boolean): void {
    const li = items[lineEntry[line] ?? -1];
    if (!li) return;
    li.classList.toggle('tline--current', on);
    if (on) li.setAttribute('aria-current', 'true');
    else li.removeAttribute('aria-current');
  }

  const tabsHidden = (): boolean => panel.hidden !== false;

  function scrollToCurrent(onlyIfOut: boolean): void {
    const li = items[lineEntry[current] ?? -1];
    if (!li || scroller.scrollHeight <= scroller.clientHeight + 1) return;
    const r = li.getBoundingClientRect();
    const b = scroller.getBoundingClientRect();
    // Keep the line in the upper third: what comes next stays readable.
    const margin = b.height / 3;
    if (onlyIfOut && r.top >= b.top + 8 && r.bottom <= b.top + margin * 2) return;
    scroller.scrollTo({ top: scroller.scrollTop + (r.top - b.top) - margin / 2, behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
  }

  function stopFollowing(): void {
    if (!following) return;
    // A smooth scroll of ours still under way would fight the person's.
    scroller.scrollTo({ top: scroller.scrollTop, behavior: 'instant' });
    following = false;
    syncFollow();
  }

  function syncFollow(): void {
    panel.dataset.following = String(following);
    // A list that fits has nothing to follow.
    followBtn.hidden = following || segments().length === 0 || scroller.scrollHeight <= scroller.clientHeight + 1;
  }

  // The person scrolling the list themselves stops the following.
  scroller.addEventListener('wheel', stopFollowing, { passive: true });
  scroller.addEventListener('touchmove', stopFollowing, { passive: true });
  scroller.addEventListener('keydown', (ev) => {
    if (SCROLL_KEYS.has(ev.key) && !(ev.target as Element).closest('form')) stopFollowing();
  });
  scroller.addEventListener('pointerdown', (ev) => {
    // The scroll bar: a press on the scroller itself, not on a line.
    if (ev.target === scroller) stopFollowing();
  });
  followBtn.addEventListener('click', () => {
    following = true;
    syncFollow();
    scrollToCurrent(false);
    say('Following playback.');
  });

  for (const type of ['timeupdate', 'seeked', 'loadedmetadata', 'play']) {
    // Capture: media events do not bubble, and the stage swaps players.
    opts.stageEl.addEventListener(type, onTime, true);
  }

  function seek(ms: number): void {
    const p = player();
    if (!p) return;
    const d = video.durationMs > 0 ? video.durationMs : Number.isFinite(p.duration) ? p.duration * 1000 : 0;
    p.currentTime = Math.max(0, d > 0 ? Math.min(ms, d) : ms) / 1000;
    following = true;
    syncFollow();
    onTime();
  }

  /* ---------- The list: clicks and keys ---------- */

  function entryIndex(el: Element | null): number {
    const li = el?.closest('li');
    return li ? items.indexOf(li as HTMLLIElement) : -1;
  }

  function roving(): void {
    items.forEach((li, i) => {
      const on = i === focusEntry;
      li.querySelectorAll<HTMLElement>('.tline__time, .tline__edit').forEach((b) => {
        b.tabIndex = on ? 0 : -1;
      });
    });
  }

  function focusAt(i: number): void {
    if (i < 0 || i >= items.length) return;
    focusEntry = i;
    roving();
    items[i]!.querySelector<HTMLElement>('.tline__time')?.focus();
  }

  list.addEventListener('click', (ev) => {
    const target = ev.target as Element;
    if (target.closest('form')) return;
    const i = entryIndex(target);
    if (i < 0) return;
    if (target.closest('[data-action="edit"]')) {
      const e = entries[i];
      if (e?.kind === 'line') startEdit(e.seg, i);
      return;
    }
    // Selecting words to copy them is not a click on the line.
    if (!target.closest('button') && (window.getSelection()?.toString() ?? '') !== '') return;
    focusEntry = i;
    roving();
    seek(entries[i]!.timeMs);
  });

  list.addEventListener('keydown', (ev) => {
    if ((ev.target as Element).closest('form')) return;
    const i = entryIndex(ev.target as Element);
    if (i < 0) return;
    let next = -1;
    if (ev.key === 'ArrowDown') next = i + 1;
    else if (ev.key === 'ArrowUp') next = i - 1;
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = items.length - 1;
    if (next < 0 || next >= items.length) return;
    ev.preventDefault();
    focusAt(next);
  });
  list.addEventListener('focusin', (ev) => {
    const i = entryIndex(ev.target as Element);
    if (i >= 0 && i !== focusEntry) {
      focusEntry = i;
      roving();
    }
  });

  /* ---------- Search ---------- */

  function renderMatches(): void {
    items.forEach((li) => li.classList.remove('tline--match'));
    const q = query.trim();
    if (!q) {
      matchCount.textContent = '';
    } else if (matches.length === 0) {
      matchCount.textContent = 'No matches';
    } else {
      matchCount.textContent = `${matchAt + 1} of ${matches.length}`;
      items[matches[matchAt]!]?.classList.add('tline--match');
    }
    prevBtn.disabled = nextBtn.disabled = matches.length < 2;
    search.classList.toggle('transcript__search--active', q !== '');
  }

  function step(by: number): void {
    if (matches.length === 0) return;
    matchAt = (matchAt + by + matches.length) % matches.length;
    renderMatches();
    const li = items[matches[matchAt]!];
    if (li) {
      stopFollowing();
      li.scrollIntoView({ block: 'center', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
    }
  }

  let searchTimer = 0;
  searchInput.addEventListener('input', () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      query = searchInput.value;
      matchAt = 0;
      render();
      if (matches.length) step(0);
    }, 120);
  });
  searchInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      step(ev.shiftKey ? -1 : 1);
    } else if (ev.key === 'Escape' && searchInput.value) {
      ev.preventDefault();
      ev.stopPropagation();
      searchInput.value = '';
      query = '';
      render();
    }
  });
  prevBtn.addEventListener('click', () => step(-1));
  nextBtn.addEventListener('click', () => step(1));

  commentsToggle.addEventListener('change', () => {
    showComments = commentsToggle.checked;
    try {
      localStorage.setItem(SHOW_COMMENTS_KEY, String(showComments));
    } catch {
      // No storage: the default next time.
    }
    render();
    say(showComments ? 'Comments shown between the lines.' : 'Transcript lines only.');
  });

  /* ---------- Downloads ---------- */

  function save(format: 'txt' | 'vtt' | 'srt'): void {
    const href = data?.downloads?.[format];
    if (!href) return;
    const a = h('a', { href, download: '', hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
  }

  /** saveRecord downloads the record as this page holds it: made here, since the comments live here. */
  function saveRecord(): void {
    const text = recordText(video.title, segments(), threads, formatTimecode);
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const name = `${(video.title.trim() || 'Video').replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').slice(0, 80)} record.txt`;
    const a = h('a', { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /* ---------- Correcting a line (the owner) ---------- */

  function startEdit(seg: Segment, i: number): void {
    const li = items[i];
    if (!li || editing) return;
    editing = { segId: seg.id };
    const field = h('textarea', {
      class: 'input tline__field', rows: '2', maxlength: '2000', 'aria-label': `Corrected line at ${formatTimecode(seg.startMs)}`,
      'aria-describedby': `tline-error-${seg.id}`,
    });
    field.value = seg.text;
    const error = h('p', { class: 'tline__error', id: `tline-error-${seg.id}`, role: 'alert', hidden: true });
    const saveBtn = h('button', { type: 'submit', class: 'btn btn--primary btn--small', text: 'Save' });
    const cancelBtn = h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Cancel' });
    const form = h('form', { class: 'tline__form' }, field, error,
      h('div', { class: 'tline__form-row' }, saveBtn, cancelBtn,
        h('span', { class: 'tline__hint', text: 'Enter saves · Esc cancels' })));
    li.classList.add('tline--editing');
    const text = li.querySelector('.tline__text');
    text?.replaceWith(form);
    li.querySelector('.tline__edit')?.setAttribute('hidden', '');
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);

    const finish = (saved: Segment | null): void => {
      editing = null;
      if (saved && data) {
        data = { ...data, segments: data.segments.map((s) => (s.id === saved.id ? { ...s, ...saved } : s)) };
      }
      render();
      // Back to where the person was.
      const again = items.findIndex((x) => x.dataset.kind === 'line' && x.dataset.id === String(seg.id));
      if (again >= 0) {
        focusEntry = again;
        roving();
        (items[again]!.querySelector<HTMLElement>('.tline__edit') ?? items[again]!.querySelector<HTMLElement>('.tline__time'))?.focus();
      }
      if (dirty) void refetch();
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void (async () => {
        const value = field.value.trim();
        if (value === seg.text) {
          finish(null);
          return;
        }
        saveBtn.disabled = cancelBtn.disabled = true;
        field.setAttribute('aria-busy', 'true');
        error.hidden = true;
        try {
          const saved = await api.correctLine(video.id, seg.id, value);
          finish(saved);
          say(`Line at ${formatTimecode(seg.startMs)} corrected.`);
        } catch (err) {
          saveBtn.disabled = cancelBtn.disabled = false;
          field.removeAttribute('aria-busy');
          error.textContent = err instanceof Error ? err.message : 'The line couldn’t be saved. Try again.';
          error.hidden = false;
          field.setAttribute('aria-invalid', 'true');
          field.focus();
        }
      })();
    });
    field.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        form.requestSubmit();
      } else if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        if (!saveBtn.disabled) finish(null);
      }
    });
    cancelBtn.addEventListener('click', () => finish(null));
  }

  /* ---------- Loading and live ---------- */

  async function retry(btn: HTMLButtonElement): Promise<void> {
    btn.disabled = true;
    try {
      data = await api.retryTranscript(video.id);
      render();
      say('Transcribing again.');
      schedulePoll();
    } catch (err) {
      btn.disabled = false;
      toastError(err);
    }
  }

  let inflight: Promise<void> | null = null;
  let lastFetch = 0;
  let again = false;
  async function refetch(): Promise<void> {
    if (inflight) {
      again = true;
      return inflight;
    }
    lastFetch = Date.now();
    inflight = (async () => {
      try {
        const next = await api.loadTranscript(video.slug);
        const changed = JSON.stringify(next) !== JSON.stringify(data);
        const wasDone = data?.status === 'done';
        data = next;
        loadFailed = false;
        if (changed) {
          render();
          if (!wasDone && next.status === 'done') say(`The transcript is here: ${next.segments.length} lines.`);
        }
      } catch {
        // A page that showed a transcript keeps it; only a first failure shows.
        if (!data) {
          loadFailed = true;
          render();
        }
      } finally {
        inflight = null;
        schedulePoll();
        if (again) {
          again = false;
          void refetch();
        }
      }
    })();
    return inflight;
  }

  let pollTimer = 0;
  function schedulePoll(): void {
    window.clearTimeout(pollTimer);
    if (data && data.status !== 'pending') return;
    pollTimer = window.setTimeout(() => void refetch(), POLL_MS);
  }

  let refetchTimer = 0;
  function refetchSoon(): void {
    window.clearTimeout(refetchTimer);
    refetchTimer = window.setTimeout(() => void refetch(), Math.max(0, lastFetch + REFETCH_MS - Date.now()));
  }

  let threadsSeen = '';
  function setThreads(t: readonly Thread[]): void {
    threads = t;
    const n = commentCount(t as Thread[]);
    tabs.setCount('comments', n ? String(n) : '');
    // The comment panel renders for many reasons; the record only when what it shows changed.
    const seen = JSON.stringify(recordComments(t));
    if (seen === threadsSeen) return;
    threadsSeen = seen;
    if (showComments) render();
  }
  opts.comments.onThreads(setThreads);
  opts.stage.onPlayer(() => onTime());

  render();
  void refetch();

  return {
    tabs,
    update(v: Video) {
      const prev = video;
      video = v;
      if (prev.isOwner !== v.isOwner || (prev.status !== 'ready' && v.status === 'ready')) render();
      // Every record change reaches the page as a change of the video, but
      // so do views and progress, to every viewer at once: a finished
      // transcript is asked for again only when the video itself changed
      // (a trim moves its lines).
      if (data?.status !== 'done' || prev.durationMs !== v.durationMs || prev.mp4Url !== v.mp4Url) refetchSoon();
    },
  };
}

function chevron(dir: 'up' | 'down'): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', dir === 'up' ? 'M6 15l6-6 6 6' : 'M6 9l6 6 6-6');
  svg.append(path);
  return svg;
}
