// The one player of the watch page and the embed, on media-chrome web
// components (framework-free, maintained by Mux, MIT). media-chrome only
// draws controls around a media element: the element itself stays a plain
// <video>, fed an MP4 when the video is ready and the growing HLS
// rendition through live.ts (hls.js light, no blob workers for our CSP)
// while it is being recorded.
//
// Layout, bottom up: a control bar (play, mute + volume, time, CC,
// speed, picture-in-picture, fullscreen), the seek bar above it with
// buffered ranges and layers ON its track, a big play button in the middle
// while paused, and a top slot for badges ("Recording in progress",
// "Resumed at 1:23").
//
// The written record fills the player through tracks (record.ts does it
// for a video):
//   - captions:   player.addTrack({ kind: 'captions', label, srclang, src })
//                 -> the CC button appears (one click toggles; so does C),
//                 and the viewer's choice is remembered (prefs.ts). Other
//                 text tracks (the comments as captions, comments/index.ts)
//                 are picked from the captions menu beside it.
//   - thumbnails: player.addTrack({ kind: 'metadata', label: 'thumbnails',
//                 src }) with a WebVTT of sprite#xywh= cues -> a preview
//                 over the seek bar while hovering it.
//   - chapters:   player.addTrack({ kind: 'chapters', src }) -> media-chrome
//                 splits the seek bar into the chapters and names the one
//                 under the pointer; player.layers.chapters is a layer over
//                 the track (0..100% = the video) for anything drawn on it.
//   - markers:    player.layers.markers holds the comment and reaction
//                 markers (comments/timeline.ts); place children with
//                 left: <percent of the duration>.
// Tracks added before the media has loaded are kept; src changes keep
// them too (the <video> element is never replaced).
import './elements';
import { h } from '../dom';
import { RATES, isRate, readPrefs, startRate, writePrefs } from './prefs';

export interface PlayerOptions {
  /** What plays: the final MP4 or the live rendition (attached by the caller). */
  source: 'mp4' | 'live';
  /** The MP4 address; '' for live (see attachLive). */
  src: string;
  title: string;
  poster?: string;
  /** Start here (seconds) once the length is known. */
  startAt?: number;
  autoplay?: boolean;
  /** Start muted (embeds that autoplay: browsers only allow it muted). */
  muted?: boolean;
  /** The owner's default speed for this video; the viewer's own choice wins. */
  defaultRate?: number;
}

export interface TrackOptions {
  kind: 'captions' | 'subtitles' | 'chapters' | 'metadata';
  src: string;
  label?: string;
  srclang?: string;
  default?: boolean;
}

export interface Player {
  /** The media-controller (#player-ctl): the player's box. */
  readonly root: HTMLElement;
  /** The <video> (#player). */
  readonly media: HTMLVideoElement;
  /** The seek bar (#player-seek). */
  readonly seek: HTMLElement;
  /** Layers over the seek bar's track: 0% is the start, 100% the end. */
  readonly layers: { readonly markers: HTMLElement; readonly chapters: HTMLElement };
  /** Slot at the top of the picture for badges. */
  readonly top: HTMLElement;
  addTrack(t: TrackOptions): HTMLTrackElement;
  /** hasCaptions: a captions track is there to toggle. */
  hasCaptions(): boolean;
  /** toggleCaptions shows or hides the captions, as the CC button does (and remembers it). */
  toggleCaptions(): void;
  /** setDefaultRate applies a new owner's default, unless the viewer chose a speed. */
  setDefaultRate(r: number | undefined): void;
  /** focus puts keyboard focus on the player (its play button). */
  focus(): void;
  destroy(): void;
}

const ICON_ATTRS = { viewBox: '0 0 24 24', width: '24', height: '24', 'aria-hidden': 'true', focusable: 'false' };
const SVG_NS = 'http://www.w3.org/2000/svg';

function svgIcon(slot: string, d: string, filled = true): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries(ICON_ATTRS)) svg.setAttribute(k, v);
  svg.setAttribute('slot', slot);
  const p = document.createElementNS(SVG_NS, 'path');
  p.setAttribute('d', d);
  if (filled) p.setAttribute('fill', 'currentColor');
  else {
    p.setAttribute('fill', 'none');
    p.setAttribute('stroke', 'currentColor');
    p.setAttribute('stroke-width', '2');
    p.setAttribute('stroke-linecap', 'round');
    p.setAttribute('stroke-linejoin', 'round');
  }
  svg.append(p);
  return svg;
}

const PLAY = 'M8 5.5v13a1 1 0 0 0 1.5.86l10.5-6.5a1 1 0 0 0 0-1.72L9.5 4.64A1 1 0 0 0 8 5.5z';
const PAUSE = 'M7 5h3.5v14H7zM13.5 5H17v14h-3.5z';
// Lines of text in a box: the list of text tracks.
const TRACKS = 'M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zM7 10h10M7 14h6';

/** Elements of one kind get the same id on every page: tests and CSS rely on them. */
export function createPlayer(opts: PlayerOptions): Player {
  const prefs = readPrefs();
  const media = h('video', {
    id: 'player',
    slot: 'media',
    class: 'player__media',
    playsinline: true,
    // Live: the engine (live.ts) decides what to load and when.
    preload: opts.source === 'mp4' ? 'metadata' : null,
    crossorigin: null,
    'aria-label': opts.source === 'live' ? `${opts.title || 'Video'} (live)` : opts.title || 'Video',
    'data-source': opts.source,
  });
  if (opts.poster) media.poster = opts.poster;
  media.muted = opts.muted ?? prefs.muted;
  media.volume = prefs.volume;
  const rate0 = startRate(prefs, opts.defaultRate);
  media.defaultPlaybackRate = rate0;
  media.playbackRate = rate0;
  if (opts.src) media.src = opts.src;

  const markers = h('div', { class: 'player__layer player__layer--markers', id: 'comment-markers' });
  const chapters = h('div', { class: 'player__layer player__layer--chapters', 'aria-hidden': 'true' });
  const seek = h('media-time-range' as 'div', { id: 'player-seek', class: 'player__seek', 'aria-label': 'Seek' });
  // Our own preview children replace media-chrome's defaults, so the
  // chapter name (shown when the video has chapters) is listed here too.
  seek.append(
    h('media-preview-thumbnail' as 'div', { slot: 'preview' }),
    h('media-preview-chapter-display' as 'div', { slot: 'preview', class: 'player__preview-chapter' }),
    h('media-preview-time-display' as 'div', { slot: 'preview' }),
  );
  const seekRow = h('div', { class: 'player__seekrow' }, seek, h('div', { class: 'player__track' }, chapters, markers));

  const bigPlay = h('media-play-button' as 'div', { slot: 'centered-chrome', class: 'player__big-play', id: 'player-big-play', tabindex: '-1', 'aria-hidden': 'true' });
  bigPlay.append(svgIcon('play', PLAY), svgIcon('pause', PAUSE));

  const play = h('media-play-button' as 'div', { id: 'player-play', class: 'player__btn' });
  play.append(svgIcon('play', PLAY), svgIcon('pause', PAUSE));

  const rateMenu = h('media-playback-rate-menu' as 'div', {
    id: 'player-rate-menu', class: 'player__menu', hidden: true, anchor: 'auto', rates: RATES.join(' '),
  });
  const captionsMenu = h('media-captions-menu' as 'div', { id: 'player-captions-menu', class: 'player__menu', hidden: true, anchor: 'auto' });
  // The captions menu lists every text track (the transcript's and the
  // comments'); its icon is a list so it is not taken for the CC button.
  const tracksButton = h('media-captions-menu-button' as 'div', { id: 'player-tracks', class: 'player__btn player__tracks', invoketarget: 'player-captions-menu' });
  tracksButton.append(svgIcon('icon', TRACKS, false));
  // CC: one click shows or hides the transcript's captions.
  const cc = h('button', {
    type: 'button', id: 'player-captions', class: 'player__btn player__cc', hidden: true,
    'aria-pressed': 'false', 'aria-label': 'Captions', 'aria-keyshortcuts': 'C', title: 'Captions (c)',
  }, h('span', { class: 'player__cc-text', 'aria-hidden': 'true', text: 'CC' }));

  const bar = h('media-control-bar' as 'div', { class: 'player__bar' },
    play,
    h('media-mute-button' as 'div', { id: 'player-mute', class: 'player__btn' }),
    h('media-volume-range' as 'div', { id: 'player-volume', class: 'player__volume', 'aria-label': 'Volume' }),
    h('media-time-display' as 'div', { id: 'player-time', class: 'player__time', showduration: true }),
    h('span', { class: 'player__spacer' }),
    cc,
    tracksButton,
    h('media-playback-rate-menu-button' as 'div', { id: 'player-rate', class: 'player__btn player__rate', invoketarget: 'player-rate-menu', rates: RATES.join(' ') }),
    h('media-pip-button' as 'div', { id: 'player-pip', class: 'player__btn' }),
    h('media-fullscreen-button' as 'div', { id: 'player-fullscreen', class: 'player__btn' }),
  );

  const top = h('div', { slot: 'top-chrome', class: 'player__top' });
  const root = h('media-controller' as 'div', {
    id: 'player-ctl',
    class: 'player',
    // Our own shortcuts (keys.ts) work on the whole page, not only while
    // the player has focus, and add j/l, c and ?.
    nohotkeys: true,
    // No gesture layer over the picture: with it, Chromium's own HLS
    // player (the live engine where there is no MSE) decoded two frames
    // and stopped painting. A click on the picture still plays and pauses
    // (below).
    gesturesdisabled: true,
    // Controls stay visible while paused; during playback they fade after
    // 2 s without the pointer moving, as in every player people know.
    autohide: '2',
    'data-source': opts.source,
  }, media, top, bigPlay,
  h('media-loading-indicator' as 'div', { slot: 'centered-chrome', noautohide: true, loadingdelay: '600' }),
  rateMenu, captionsMenu, seekRow, bar);

  // Sliders keep focus on an input inside their shadow root, where page CSS
  // cannot see :focus-visible: mirror it on the element for the ring.
  for (const range of [seek, bar.querySelector<HTMLElement>('media-volume-range')]) {
    range?.addEventListener('focusin', () => {
      const inner = range.shadowRoot?.activeElement;
      range.toggleAttribute('data-focus-visible', !!inner?.matches(':focus-visible'));
    });
    range?.addEventListener('focusout', () => range.removeAttribute('data-focus-visible'));
  }

  // media-chrome moves focus into an opened menu when its opening
  // transition ends; with no transition (reduced motion, a busy machine)
  // it never does, and a keyboard user is left on the button. Do it then.
  for (const menu of [rateMenu, captionsMenu]) {
    new MutationObserver(() => {
      if (menu.hidden) return;
      window.setTimeout(() => {
        const invoker = root.querySelector(`[invoketarget="${menu.id}"]`);
        if (!menu.hidden && !menu.matches(':focus-within') && document.activeElement === invoker) menu.focus();
      }, 350);
    }).observe(menu, { attributes: true, attributeFilter: ['hidden'] });
  }

  // The speed is the viewer's choice from the menu (a request event), not
  // whatever rate the element reports: a new source, or the menu drawing
  // itself before it knows the rate, sets it back to 1, and that must
  // neither be remembered nor win.
  let wanted = rate0;
  let chosen = prefs.rate !== null;
  // The menu also sends a request when it merely shows a rate set from
  // here (the owner's default): only one right after the viewer clicked
  // or pressed a key in it is their choice.
  let pickedAt = -Infinity;
  const onPick = (): void => {
    pickedAt = performance.now();
  };
  for (const type of ['click', 'keydown', 'pointerup']) rateMenu.addEventListener(type, onPick, true);
  const onRequest = (ev: Event): void => {
    const r = Number((ev as CustomEvent).detail);
    if (!isRate(r) || performance.now() - pickedAt > 1000) return;
    wanted = r;
    chosen = true;
    writePrefs({ rate: r });
  };
  root.addEventListener('mediaplaybackraterequest', onRequest);
  // Captions: the tracks added with addTrack (the transcript's). The CC
  // button and the C key show or hide them, and the viewer's choice is
  // kept for their next video. One set of captions at a time: turning
  // them on turns off any other shown from the menu (the comments).
  const ownCaptions = (): TextTrack[] =>
    [...media.querySelectorAll<HTMLTrackElement>('track[data-captions]')].map((el) => el.track);
  const captionsOn = (): boolean => ownCaptions().some((t) => t.mode === 'showing');
  const showCaptions = (on: boolean): void => {
    const own = ownCaptions();
    for (const t of media.textTracks) {
      if (t.kind !== 'captions' && t.kind !== 'subtitles') continue;
      if (own.includes(t)) t.mode = on && t === own[0] ? 'showing' : 'disabled';
      else if (on && t.mode === 'showing') t.mode = 'disabled';
    }
  };
  const syncCC = (): void => {
    cc.hidden = ownCaptions().length === 0;
    cc.setAttribute('aria-pressed', String(captionsOn()));
  };
  const toggleCaptions = (): void => {
    if (!ownCaptions().length) return;
    const on = !captionsOn();
    showCaptions(on);
    writePrefs({ captions: on });
    syncCC();
  };
  cc.addEventListener('click', toggleCaptions);
  media.textTracks.addEventListener('change', syncCC);

  // The browser draws cues at the bottom of the picture, under our
  // controls. Every captions cue is lifted by whole lines (the browser
  // still wraps and stacks them) until its last line clears the seek bar,
  // at a size that follows the picture's height.
  const placeCues = (): void => {
    const mh = media.clientHeight;
    if (!mh) return;
    const size = Math.round(Math.min(26, Math.max(12, mh * 0.05)));
    media.style.setProperty('--player-cue-size', `${size}px`);
    const covered = media.getBoundingClientRect().bottom - seekRow.getBoundingClientRect().top;
    const step = size * 1.35;
    const line = -(Math.ceil((Math.max(0, covered) + step * 0.6) / step) + 1);
    for (const t of media.textTracks) {
      if (t.kind !== 'captions' && t.kind !== 'subtitles') continue;
      let moved = false;
      for (const c of t.cues ?? []) {
        if (!(c instanceof VTTCue) || (c.snapToLines && c.line === line)) continue;
        c.snapToLines = true;
        c.line = line;
        moved = true;
      }
      // Chromium keeps a cue on screen where it first drew it: show the
      // track again so the one showing now moves too. Nothing moves the
      // second time, so the change this fires ends here.
      if (moved && t.mode === 'showing') {
        t.mode = 'hidden';
        t.mode = 'showing';
      }
    }
  };
  // And on every change of cues shown: a track that loads only once it
  // is turned on may not announce itself otherwise.
  media.textTracks.addEventListener('addtrack', (ev) => (ev as TrackEvent).track?.addEventListener('cuechange', placeCues));
  const resized = new ResizeObserver(placeCues);
  resized.observe(root);
  // Cues arrive when a track loads (tracks added later included).
  media.addEventListener('load', placeCues, true);
  media.textTracks.addEventListener('change', placeCues);
  // What the gesture layer did: a click on the picture plays or pauses, a
  // double click toggles fullscreen.
  media.addEventListener('click', () => {
    media.dispatchEvent(new CustomEvent(media.paused ? 'mediaplayrequest' : 'mediapauserequest', { bubbles: true, composed: true }));
  });
  media.addEventListener('dblclick', () => {
    media.dispatchEvent(new CustomEvent(document.fullscreenElement ? 'mediaexitfullscreenrequest' : 'mediaenterfullscreenrequest', { bubbles: true, composed: true }));
  });

  const onRate = (): void => {
    if (media.playbackRate !== wanted) media.playbackRate = wanted;
  };
  const onVolume = (): void => writePrefs({ volume: media.volume, muted: media.muted });
  media.addEventListener('ratechange', onRate);
  media.addEventListener('volumechange', onVolume);
  // A new source resets the rate to defaultPlaybackRate, which is the remembered one.
  media.addEventListener('loadedmetadata', () => {
    if (media.playbackRate !== media.defaultPlaybackRate) media.playbackRate = media.defaultPlaybackRate;
    if (opts.startAt && opts.startAt > 0 && opts.startAt < media.duration) media.currentTime = opts.startAt;
  }, { once: true });
  if (opts.autoplay) {
    media.autoplay = true;
    media.addEventListener('canplay', () => void media.play().catch(() => {}), { once: true });
  }

  return {
    root, media, seek, top,
    layers: { markers, chapters },
    addTrack(t) {
      const el = h('track', { kind: t.kind, src: t.src, label: t.label, srclang: t.srclang, default: t.default });
      media.append(el);
      // A track added after the media loaded is not picked by the
      // browser's automatic selection: set its mode here, or its cues
      // never load. Metadata and chapters are read, never drawn; captions
      // show as the viewer last chose.
      if (t.kind === 'metadata' || t.kind === 'chapters') el.track.mode = 'hidden';
      else {
        el.dataset.captions = '';
        showCaptions(t.default ?? readPrefs().captions);
        syncCC();
      }
      if (t.kind === 'chapters') {
        // media-chrome reads the chapter cues when the list of tracks
        // changes, which is before a track added now has loaded them: tell
        // it again once they are there, so the seek bar is split.
        el.addEventListener('load', () => media.textTracks.dispatchEvent(new Event('change')), { once: true });
      }
      return el;
    },
    hasCaptions: () => ownCaptions().length > 0,
    toggleCaptions,
    setDefaultRate(r) {
      if (chosen) return;
      const next = isRate(r) ? r : 1;
      wanted = next;
      media.defaultPlaybackRate = next;
      media.playbackRate = next;
    },
    focus() {
      play.focus();
    },
    destroy() {
      media.removeEventListener('ratechange', onRate);
      root.removeEventListener('mediaplaybackraterequest', onRequest);
      media.textTracks.removeEventListener('change', syncCC);
      media.textTracks.removeEventListener('change', placeCues);
      resized.disconnect();
      media.removeEventListener('volumechange', onVolume);
      media.pause();
      media.removeAttribute('src');
      media.load();
    },
  };
}
