// Recorder: /record. Screen, camera or both, with the microphone; the video
// and its share link exist from the moment recording starts, chunks upload
// as they are recorded (kept in IndexedDB until the server has them), and
// after Stop only the tail is left to upload and process.
//
// States (main[data-state], window.__baton.state):
//   idle -> starting -> countdown -> recording <-> paused -> finishing ->
//   processing -> ready | failed;  recovering -> processing for a recording
//   a closed tab left behind.
// One stylesheet per page, which @imports the shared ones in a fixed order.
import '../styles/record.css';

import { ApiError, createVideo, deleteVideo, getConfig, watchVideo, type Video } from '../lib/api';
import {
  CaptureError,
  Compositor,
  LevelMeter,
  Ticker,
  listDevices,
  missingApis,
  mixAudio,
  modeUsesCamera,
  modeUsesScreen,
  openCamera,
  openMic,
  openScreen,
  recorderOptions,
  stopStream,
  videoFor,
  type Mode,
} from '../lib/capture';
import { ChunkUploader, EUPLOAD_ABORTED, type UploadStatus } from '../lib/chunkupload';
import {
  deleteRecording,
  indexedDBAvailable,
  listRecordings,
  loadChunks,
  recordingSink,
  saveRecording,
  type RecordingMeta,
} from '../lib/chunkstore';
import { copyWithToast } from '../lib/clipboard';
import { confirmDialog } from '../lib/dialog';
import { $ } from '../lib/dom';
import { clampPercent, formatBytes, formatClock, formatDateTime, formatDurationLong } from '../lib/format';
import { cornerAt, elapsedMs, isCorner, pickMimeType, type Corner } from '../lib/recording';
import { watchPath } from '../lib/route';
import { createStage } from '../lib/stage';
import { toast } from '../lib/toast';

/* ---------- Test hooks ---------- */

type State =
  | 'idle' | 'starting' | 'countdown' | 'recording' | 'paused'
  | 'finishing' | 'processing' | 'ready' | 'failed' | 'recovering';

/** Plain data for end-to-end tests and debugging; timestamps are performance.now(). */
interface Hooks {
  state: State;
  videoId: string;
  slug: string;
  shareUrl: string;
  mimeType: string;
  linkShownAt: number;
  recordingStartedAt: number;
  firstChunkAckAt: number;
  stoppedAt: number;
  uploadedAt: number;
  readyAt: number;
  recordedMs: number;
  /** Recorded time when MediaRecorder handed over its latest chunk. */
  producedMs: number;
  chunksProduced: number;
  bytesProduced: number;
  bytesAcked: number;
  uploadFailures: number;
  recoverable: number;
  error: string;
}

const hooks: Hooks = {
  state: 'idle', videoId: '', slug: '', shareUrl: '', mimeType: '',
  linkShownAt: 0, recordingStartedAt: 0, firstChunkAckAt: 0, stoppedAt: 0, uploadedAt: 0, readyAt: 0,
  recordedMs: 0, producedMs: 0, chunksProduced: 0, bytesProduced: 0, bytesAcked: 0, uploadFailures: 0,
  recoverable: 0, error: '',
};
(window as unknown as { __baton: Hooks }).__baton = hooks;

/* ---------- Elements ---------- */

const main = $('main');
const stageEl = $('rec-stage');
const placeholderText = $('rec-placeholder-text');
const canvasSlot = $('rec-canvas-slot');
const camPreview = $<HTMLVideoElement>('cam-preview');
const camMessage = $('cam-message');
const badge = $('rec-badge');
const badgeText = $('rec-badge-text');
const countdownEl = $('countdown');
const countdownNumber = $('countdown-number');
const countdownSkip = $<HTMLButtonElement>('countdown-skip');
const cornerButtons = [...document.querySelectorAll<HTMLButtonElement>('#bubble-corners .corner-btn')];
const cornersGroup = $('bubble-corners');

const setupPanel = $('rec-setup');
const unsupported = $('rec-unsupported');
const cameraField = $('camera-field');
const cameraSelect = $<HTMLSelectElement>('camera-select');
const micToggle = $<HTMLInputElement>('mic-toggle');
const micSelect = $<HTMLSelectElement>('mic-select');
const micLevel = $('mic-level');
const systemAudioField = $('system-audio-field');
const systemAudio = $<HTMLInputElement>('system-audio');
const titleInput = $<HTMLInputElement>('rec-title');
const setupError = $('rec-setup-error');
const startBtn = $<HTMLButtonElement>('record-start');
const limitHint = $('rec-limit');

const livePanel = $('rec-live');
const liveState = $('rec-live-state');
const timerEl = $('rec-timer');
const timerLimit = $('rec-timer-limit');
const shareInput = $<HTMLInputElement>('rec-share-link');
const micLevelLive = $('mic-level-live');
const uploadStatusEl = $('rec-upload-status');
const pauseBtn = $<HTMLButtonElement>('rec-pause');
const stopBtn = $<HTMLButtonElement>('rec-stop');
const restartBtn = $<HTMLButtonElement>('rec-restart');
const cancelBtn = $<HTMLButtonElement>('rec-cancel');

const donePanel = $('rec-done');
const doneTitle = $('done-title');
const doneDetail = $('done-detail');
const doneProgress = $('rec-progress');
const doneFill = doneProgress.querySelector<HTMLElement>('.progress__fill')!;
const doneError = $('done-error');
const doneLink = $<HTMLInputElement>('rec-done-link');
const watchLink = $<HTMLAnchorElement>('rec-watch');
const againBtn = $<HTMLButtonElement>('rec-again');

const resultEl = $('rec-result');
const resultStage = createStage(resultEl);
const liveMeter = $('live-meter');

const recoverEl = $('recover');
const recoverDetail = $('recover-detail');
const recoverStart = $<HTMLButtonElement>('recover-start');
const recoverDiscard = $<HTMLButtonElement>('recover-discard');

/* ---------- Preferences ---------- */

interface Prefs {
  mode: Mode;
  mic: boolean;
  cameraId: string;
  micId: string;
  systemAudio: boolean;
  corner: Corner;
}

const PREFS_KEY = 'baton.recorder';

function loadPrefs(): Prefs {
  const d: Prefs = { mode: 'screen-camera', mic: true, cameraId: '', micId: '', systemAudio: true, corner: 'bottom-right' };
  try {
    const p = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<Prefs>;
    if (p.mode === 'screen' || p.mode === 'camera' || p.mode === 'screen-camera') d.mode = p.mode;
    if (typeof p.mic === 'boolean') d.mic = p.mic;
    if (typeof p.cameraId === 'string') d.cameraId = p.cameraId;
    if (typeof p.micId === 'string') d.micId = p.micId;
    if (typeof p.systemAudio === 'boolean') d.systemAudio = p.systemAudio;
    if (isCorner(p.corner)) d.corner = p.corner;
  } catch {
    // Unreadable or unavailable storage: defaults.
  }
  return d;
}

const prefs = loadPrefs();

function savePrefs(): void {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Private mode: preferences just are not remembered.
  }
}

/* ---------- Shared state ---------- */

let state: State = 'idle';
let maxRecordingMs = 0;
const ticker = new Ticker(1000 / 30);

let camStream: MediaStream | null = null;
let camStreamId = '';
let micStream: MediaStream | null = null;
let micStreamId = '';
let meter: LevelMeter | null = null;
let cameraMissing = false;

/** The recording in progress (from Start until it is handed to processing). */
interface Session {
  video: Video;
  meta: RecordingMeta;
  uploader: ChunkUploader;
  screen: MediaStream | null;
  compositor: Compositor | null;
  mix: { close(): void } | null;
  stream: MediaStream;
  recorder: MediaRecorder | null;
  segments: { start: number; end: number | null }[];
  stopTick: (() => void) | null;
  releaseLock: () => void;
}

let session: Session | null = null;
let stopWatching: (() => void) | null = null;

function setState(s: State): void {
  state = s;
  hooks.state = s;
  main.dataset.state = s;
  const recordingLike = s === 'recording' || s === 'paused';
  const done = s === 'finishing' || s === 'processing' || s === 'ready' || s === 'failed' || s === 'recovering';
  stageEl.hidden = done;
  resultEl.hidden = !done;
  setupPanel.hidden = !(s === 'idle' || s === 'starting');
  livePanel.hidden = !(recordingLike || s === 'countdown');
  donePanel.hidden = !done;
  startBtn.disabled = s !== 'idle';
  startBtn.setAttribute('aria-busy', String(s === 'starting'));
  badge.hidden = !recordingLike;
  badge.dataset.paused = String(s === 'paused');
  pauseBtn.disabled = !recordingLike;
  stopBtn.disabled = !recordingLike;
  restartBtn.disabled = !recordingLike;
  cancelBtn.disabled = !(recordingLike || s === 'countdown');
  if (s !== 'idle') recoverEl.hidden = true;
  syncStage();
}

function syncStage(): void {
  const mode = currentMode();
  stageEl.dataset.mode = mode;
  stageEl.dataset.corner = prefs.corner;
  const live = canvasSlot.childElementCount > 0 && (state === 'countdown' || state === 'recording' || state === 'paused');
  stageEl.dataset.view = live ? 'canvas' : 'preview';
  cornersGroup.hidden = mode !== 'screen-camera' || cameraMissing || stageEl.hidden;
  for (const b of cornerButtons) b.setAttribute('aria-pressed', String(b.dataset.corner === prefs.corner));
}

/* ---------- Setup: devices and preview ---------- */

function currentMode(): Mode {
  const checked = document.querySelector<HTMLInputElement>('input[name="mode"]:checked');
  const v = checked?.value;
  return v === 'screen' || v === 'camera' ? v : 'screen-camera';
}

function showSetupError(msg: string): void {
  setupError.textContent = msg;
  setupError.hidden = !msg;
}

function fillSelect(sel: HTMLSelectElement, devices: MediaDeviceInfo[], current: string, noun: string): void {
  const prev = sel.value || current;
  sel.replaceChildren();
  devices.forEach((d, i) => {
    const opt = document.createElement('option');
    opt.value = d.deviceId;
    opt.textContent = d.label || `${noun} ${i + 1}`;
    sel.append(opt);
  });
  if (devices.some((d) => d.deviceId === prev)) sel.value = prev;
  sel.disabled = devices.length === 0;
}

let previewChain: Promise<void> = Promise.resolve();

/** refreshPreview opens or closes the camera and microphone to match the settings. */
function refreshPreview(): Promise<void> {
  previewChain = previewChain.then(doRefreshPreview, doRefreshPreview);
  return previewChain;
}

async function doRefreshPreview(): Promise<void> {
  if (!navigator.mediaDevices?.getUserMedia) return;
  const mode = currentMode();
  const errors: string[] = [];

  if (modeUsesCamera(mode) && !cameraMissing) {
    const want = cameraSelect.value || prefs.cameraId;
    if (!camStream || (want && want !== camStreamId)) {
      stopStream(camStream);
      camStream = null;
      try {
        camStream = await openCamera(want);
        camStreamId = camStream.getVideoTracks()[0]?.getSettings().deviceId ?? want;
        camMessage.hidden = true;
      } catch (err) {
        const ce = err instanceof CaptureError ? err : new CaptureError('other', 'The camera couldn’t be started.');
        if (ce.kind === 'not-found') cameraMissing = true;
        errors.push(ce.message);
        camMessage.textContent = ce.message;
        camMessage.hidden = false;
      }
    }
  } else if (camStream && state === 'idle') {
    stopStream(camStream);
    camStream = null;
    camStreamId = '';
  }
  camPreview.srcObject = camStream;
  if (camStream) void camPreview.play().catch(() => {});

  if (micToggle.checked) {
    const want = micSelect.value || prefs.micId;
    if (!micStream || (want && want !== micStreamId)) {
      stopStream(micStream);
      meter?.close();
      micStream = null;
      try {
        micStream = await openMic(want);
        micStreamId = micStream.getAudioTracks()[0]?.getSettings().deviceId ?? want;
        meter = new LevelMeter(micStream, showLevel);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : 'The microphone couldn’t be started.');
      }
    }
  } else if (micStream) {
    stopStream(micStream);
    meter?.close();
    meter = null;
    micStream = null;
    micStreamId = '';
    showLevel(0);
  }

  const { cameras, mics } = await listDevices();
  if (cameras.length === 0) cameraMissing = true;
  fillSelect(cameraSelect, cameras, camStreamId || prefs.cameraId, 'Camera');
  fillSelect(micSelect, mics, micStreamId || prefs.micId, 'Microphone');
  micSelect.disabled = micSelect.disabled || !micToggle.checked;

  updateModeAvailability();
  showSetupError(errors.join(' '));
  syncStage();
}

function updateModeAvailability(): void {
  const mode = currentMode();
  const camInput = $<HTMLInputElement>('mode-camera');
  const both = $<HTMLInputElement>('mode-screen-camera');
  if (cameraMissing) {
    camInput.disabled = true;
    both.disabled = true;
    if (mode !== 'screen') {
      $<HTMLInputElement>('mode-screen').checked = true;
      placeholderText.textContent = 'No camera was found, so this records your screen only.';
    }
  }
  const m = currentMode();
  cameraField.hidden = !modeUsesCamera(m);
  systemAudioField.hidden = !modeUsesScreen(m);
  if (!cameraMissing) {
    placeholderText.textContent = m === 'camera'
      ? 'Your camera will appear here.'
      : 'You’ll choose a screen, window or tab when you start.';
  }
  const missing = missingApis(m);
  const noIDB = !indexedDBAvailable();
  if (missing.length) {
    unsupported.textContent = `This browser can’t record here: it lacks ${missing.join(', ')}. Try a current Chrome, Edge or Firefox${modeUsesScreen(m) ? ' on a computer' : ''}.`;
    unsupported.hidden = false;
  } else if (noIDB) {
    unsupported.textContent = 'This browser can’t keep a backup of the recording (IndexedDB is unavailable, e.g. in private mode). You can still record, but keep this tab open until the upload finishes.';
    unsupported.hidden = false;
  } else {
    unsupported.hidden = true;
  }
  startBtn.disabled = state !== 'idle' || missing.length > 0;
}

function showLevel(level: number): void {
  const pct = `${Math.round(level * 100)}%`;
  micLevel.style.width = pct;
  micLevelLive.style.width = pct;
}

function setCorner(c: Corner): void {
  prefs.corner = c;
  savePrefs();
  if (session?.compositor) {
    session.compositor.corner = c;
    session.compositor.draw();
  }
  syncStage();
}

/* ---------- Recording ---------- */

function defaultTitle(): string {
  const when = new Date().toLocaleString(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  return `Recording on ${when}`;
}

function waitForSize(v: HTMLVideoElement): Promise<{ width: number; height: number }> {
  return new Promise((resolve) => {
    const done = (): void => resolve({ width: v.videoWidth, height: v.videoHeight });
    if (v.videoWidth > 0) return done();
    v.addEventListener('loadedmetadata', done, { once: true });
    setTimeout(done, 3000);
  });
}

/** countdown shows 3-2-1; resolves true when done or skipped, false when cancelled. */
let countdownAbort: (() => void) | null = null;

function countdown(seconds: number): Promise<boolean> {
  return new Promise((resolve) => {
    let n = seconds;
    countdownNumber.textContent = String(n);
    countdownEl.hidden = false;
    countdownSkip.focus();
    const finish = (ok: boolean): void => {
      window.clearInterval(timer);
      countdownSkip.removeEventListener('click', skip);
      countdownEl.hidden = true;
      countdownAbort = null;
      resolve(ok);
    };
    const skip = (): void => finish(true);
    const timer = window.setInterval(() => {
      n--;
      if (n <= 0) finish(true);
      else countdownNumber.textContent = String(n);
    }, 1000);
    countdownSkip.addEventListener('click', skip);
    countdownAbort = () => finish(false);
  });
}

function showLink(video: Video): void {
  shareInput.value = video.shareUrl;
  doneLink.value = video.shareUrl;
  watchLink.href = watchPath(video.slug);
  hooks.videoId = video.id;
  hooks.slug = video.slug;
  hooks.shareUrl = video.shareUrl;
  hooks.linkShownAt = performance.now();
}

/** acquireLock holds a Web Lock named for the video while this tab works on it, so other tabs do not offer to recover it. */
function acquireLock(videoId: string): () => void {
  let release: () => void = () => {};
  if (navigator.locks) {
    const held = new Promise<void>((r) => {
      release = r;
    });
    void navigator.locks.request(`baton-recording:${videoId}`, () => held).catch(() => {});
  }
  return release;
}

function onUploadStatus(s: UploadStatus): void {
  hooks.chunksProduced = s.chunksProduced;
  hooks.bytesProduced = s.produced;
  hooks.bytesAcked = s.acked;
  hooks.uploadFailures = s.failures;
  if (s.firstAckAt && !hooks.firstChunkAckAt) hooks.firstChunkAckAt = s.firstAckAt;
  const behind = s.produced - s.acked;
  let text: string;
  let kind: 'ok' | 'busy' | 'warn';
  if (s.retrying) {
    text = s.unbacked
      ? 'Connection lost. Retrying… Keep this tab open: the recording is only in this tab.'
      : 'Connection lost. Retrying… Nothing is lost: the recording is kept on this device.';
    kind = 'warn';
  } else if (behind > 2_000_000) {
    text = `Uploading… ${formatBytes(behind)} to catch up`;
    kind = 'busy';
  } else {
    text = s.unbacked ? 'Uploading as you record (no backup on this device)' : 'Saved and uploaded as you record';
    kind = 'ok';
  }
  if (state === 'recording' || state === 'paused') {
    if (uploadStatusEl.textContent !== text) uploadStatusEl.textContent = text;
    uploadStatusEl.dataset.kind = kind;
  } else if (state === 'finishing' || state === 'recovering') {
    const left = Math.max(0, s.produced - s.acked);
    doneDetail.textContent = s.retrying
      ? 'Connection lost. Retrying… The recording is kept on this device.'
      : left > 0 ? `Uploading the last ${formatBytes(left)}…` : 'Checking the recording…';
    setProgress(s.produced > 0 ? (s.acked / s.produced) * 100 : 0, false);
  }
}

async function startRecording(reuseScreen: MediaStream | null = null): Promise<void> {
  if (state !== 'idle') return;
  const mode = currentMode();
  const missing = missingApis(mode);
  if (missing.length) {
    showSetupError(`This browser can’t record: it lacks ${missing.join(', ')}.`);
    return;
  }
  showSetupError('');
  setState('starting');
  hooks.error = '';
  let screen: MediaStream | null = reuseScreen;
  let mix: { track: MediaStreamTrack | null; close(): void } | null = null;
  let compositor: Compositor | null = null;
  try {
    await refreshPreview();
    if (modeUsesCamera(mode) && !camStream) {
      throw new CaptureError('not-found', camMessage.textContent || 'The camera couldn’t be started.');
    }
    if (micToggle.checked && !micStream) {
      throw new CaptureError('denied', setupError.textContent || 'The microphone couldn’t be started. Turn it off to record without sound.');
    }
    if (modeUsesScreen(mode) && !screen) screen = await openScreen(systemAudio.checked);

    // What MediaRecorder records: one video track and at most one audio track.
    let videoTrack: MediaStreamTrack;
    if (screen) {
      const sv = videoFor(screen);
      const size = await waitForSize(sv);
      const camVideo = mode === 'screen-camera' && camStream ? videoFor(camStream) : null;
      compositor = new Compositor(sv, camVideo, size, prefs.corner, ticker);
      compositor.start();
      compositor.canvas.id = 'rec-canvas';
      compositor.canvas.setAttribute('aria-label', 'Recording preview');
      canvasSlot.replaceChildren(compositor.canvas);
      videoTrack = compositor.stream(30).getVideoTracks()[0]!;
    } else {
      videoTrack = camStream!.getVideoTracks()[0]!;
    }
    const audioTracks: MediaStreamTrack[] = [];
    const micTrack = micToggle.checked ? micStream?.getAudioTracks()[0] : undefined;
    if (micTrack) audioTracks.push(micTrack);
    const screenAudio = screen?.getAudioTracks()[0];
    if (screenAudio) audioTracks.push(screenAudio);
    mix = mixAudio(audioTracks);
    const stream = new MediaStream(mix.track ? [videoTrack, mix.track] : [videoTrack]);

    // The video and its link exist before the first byte: create them
    // while the countdown runs.
    const title = titleInput.value.trim() || defaultTitle();
    const created = createVideo(title).then((v) => {
      showLink(v);
      return v;
    });
    created.catch(() => countdownAbort?.());
    liveState.textContent = 'Get ready';
    setState('countdown');
    const [video, go] = await Promise.all([created, countdown(3)]);
    if (!go) {
      // Cancelled during the countdown.
      void deleteVideo(video.id).catch(() => {});
      throw new CaptureError('cancelled', '');
    }
    const mimeType = pickMimeType((t) => MediaRecorder.isTypeSupported(t));
    hooks.mimeType = mimeType;
    const meta: RecordingMeta = {
      videoId: video.id, uploadUrl: video.uploadUrl, shareUrl: video.shareUrl, slug: video.slug,
      title: video.title, mimeType, startedAt: Date.now(), totalBytes: 0, chunkCount: 0, recordedMs: 0,
    };
    const backup = indexedDBAvailable();
    if (backup) await saveRecording(meta).catch(() => {});
    const segments: Session['segments'] = [];
    const uploader = new ChunkUploader({
      uploadUrl: video.uploadUrl,
      sink: backup ? recordingSink(meta, () => elapsedMs(segments, performance.now())) : undefined,
      onStatus: onUploadStatus,
    });
    session = {
      video, meta, uploader, screen, compositor, mix, stream, recorder: null, segments,
      stopTick: null, releaseLock: acquireLock(video.id),
    };
    startRecorder(session, mimeType, compositor ? compositor.size : sizeOf(videoTrack), mix.track !== null);
  } catch (err) {
    countdownAbort?.();
    compositor?.stop();
    mix?.close();
    if (!reuseScreen || !(err instanceof CaptureError)) stopStream(screen);
    canvasSlot.replaceChildren();
    session = null;
    setState('idle');
    const msg = err instanceof Error ? err.message : 'Recording couldn’t start.';
    hooks.error = msg;
    if (msg) showSetupError(msg);
    updateModeAvailability();
  }
}

function sizeOf(track: MediaStreamTrack): { width: number; height: number } {
  const s = track.getSettings();
  return { width: s.width ?? 640, height: s.height ?? 480 };
}

function startRecorder(s: Session, mimeType: string, size: { width: number; height: number }, audio: boolean): void {
  let rec: MediaRecorder;
  try {
    rec = new MediaRecorder(s.stream, recorderOptions(mimeType, size, audio));
  } catch {
    // An option the browser rejects: let it choose.
    rec = new MediaRecorder(s.stream);
    hooks.mimeType = rec.mimeType;
  }
  s.recorder = rec;
  rec.ondataavailable = (e) => {
    if (!e.data || e.data.size === 0) return;
    hooks.producedMs = elapsedMs(s.segments, performance.now());
    s.uploader.push(e.data);
  };
  rec.onerror = () => {
    hooks.error = 'The browser stopped recording unexpectedly.';
    toast('The browser stopped recording unexpectedly. What was recorded is being saved.', 'error');
    void stopRecording();
  };
  // The screen share ended from the browser's own "Stop sharing" button.
  s.screen?.getVideoTracks()[0]?.addEventListener('ended', () => void stopRecording());
  if (!s.screen) s.stream.getVideoTracks()[0]?.addEventListener('ended', () => void stopRecording());

  liveMeter.hidden = !(micToggle.checked && micStream);
  rec.start(1000);
  const now = performance.now();
  s.segments.push({ start: now, end: null });
  hooks.recordingStartedAt = now;
  timerLimit.textContent = maxRecordingMs ? ` / ${formatClock(maxRecordingMs)}` : '';
  s.stopTick = ticker.add(tick);
  setState('recording');
  liveState.textContent = 'Recording';
  window.addEventListener('beforeunload', warnBeforeUnload);
  tick();
}

let lastTimerText = '';

function tick(): void {
  const s = session;
  if (!s) return;
  const ms = elapsedMs(s.segments, performance.now());
  hooks.recordedMs = ms;
  const text = formatClock(ms);
  if (text !== lastTimerText) {
    lastTimerText = text;
    timerEl.textContent = text;
    badgeText.textContent = state === 'paused' ? `Paused ${text}` : `REC ${text}`;
    timerEl.setAttribute('aria-label', `${formatDurationLong(ms) || '0 seconds'} recorded`);
    if (maxRecordingMs) timerEl.parentElement!.dataset.warn = String(maxRecordingMs - ms < 30_000);
  }
  if (maxRecordingMs && ms >= maxRecordingMs && state === 'recording') {
    toast(`Recordings can be up to ${formatDurationLong(maxRecordingMs)}. This one was stopped and is being saved.`, 'info');
    void stopRecording();
  }
}

function warnBeforeUnload(e: BeforeUnloadEvent): void {
  e.preventDefault();
}

function togglePause(): void {
  const s = session;
  if (!s?.recorder) return;
  const now = performance.now();
  if (state === 'recording') {
    s.recorder.pause();
    const seg = s.segments[s.segments.length - 1];
    if (seg) seg.end = now;
    setState('paused');
    pauseBtn.textContent = 'Resume';
    pauseBtn.setAttribute('aria-pressed', 'true');
    liveState.textContent = 'Paused';
  } else if (state === 'paused') {
    s.recorder.resume();
    s.segments.push({ start: now, end: null });
    setState('recording');
    pauseBtn.textContent = 'Pause';
    pauseBtn.setAttribute('aria-pressed', 'false');
    liveState.textContent = 'Recording';
  }
  lastTimerText = '';
  tick();
}

/** stopRecorder stops MediaRecorder and resolves after its last chunk was handed over. */
function stopRecorder(s: Session): Promise<void> {
  const rec = s.recorder;
  if (!rec || rec.state === 'inactive') return Promise.resolve();
  return new Promise((resolve) => {
    rec.addEventListener('stop', () => resolve(), { once: true });
    try {
      rec.stop();
    } catch {
      resolve();
    }
  });
}

/** releaseCapture stops drawing and every capture that belongs to the session. */
function releaseCapture(s: Session, keepScreen = false): void {
  s.stopTick?.();
  s.stopTick = null;
  s.compositor?.stop();
  s.mix?.close();
  if (!keepScreen) stopStream(s.screen);
  // The canvas stream's track; camera and mic stay for the next recording.
  for (const t of s.stream.getVideoTracks()) if (s.compositor) t.stop();
  canvasSlot.replaceChildren();
  window.removeEventListener('beforeunload', warnBeforeUnload);
}

async function stopRecording(): Promise<void> {
  const s = session;
  if (!s || (state !== 'recording' && state !== 'paused')) return;
  const now = performance.now();
  const seg = s.segments[s.segments.length - 1];
  if (seg && seg.end === null) seg.end = now;
  hooks.stoppedAt = now;
  hooks.recordedMs = elapsedMs(s.segments, now);
  setState('finishing');
  showDone('Finishing upload…', 'Uploading the last seconds…');
  setProgress(0, false);
  followProcessing(s.video.id);
  doneTitle.focus();
  await stopRecorder(s);
  releaseCapture(s);
  await refreshPreview();
  await finishUpload(s.uploader, s.meta, s.releaseLock);
  session = null;
}

/** finishUpload waits for the upload to complete, then follows processing. */
async function finishUpload(uploader: ChunkUploader, meta: RecordingMeta, releaseLock: () => void): Promise<void> {
  try {
    await uploader.finish();
    hooks.uploadedAt = performance.now();
    await deleteRecording(meta.videoId).catch(() => {});
    releaseLock();
    // Processing ran along with the upload: it may be over already.
    if (state === 'finishing' || state === 'recovering') {
      setState('processing');
      showDone('Processing…', 'Almost there. The link already works.');
      setProgress(0, true);
    }
  } catch (err) {
    releaseLock();
    if (err instanceof ApiError && err.code === EUPLOAD_ABORTED) return;
    // The server refused the recording (or it was deleted): nothing to resume.
    await deleteRecording(meta.videoId).catch(() => {});
    fail(err instanceof Error ? err.message : 'The recording couldn’t be uploaded.');
  }
}

/** followProcessing shows the video's state from Stop on, in the result stage and, once uploaded, in the panel. */
function followProcessing(videoId: string): void {
  stopWatching?.();
  stopWatching = watchVideo(videoId, (v) => {
    // The person who recorded sees the final video, not the live rendition.
    resultStage.update({ ...v, liveUrl: '' });
    if (v.status === 'ready') {
      hooks.readyAt = performance.now();
      stopWatching?.();
      stopWatching = null;
      setState('ready');
      showDone('Your video is ready', 'Share the link, or open the video to watch it.');
      setProgress(100, false);
      doneProgress.hidden = true;
      watchLink.classList.replace('btn--secondary', 'btn--primary');
      doneTitle.focus();
    } else if (v.status === 'failed') {
      stopWatching?.();
      stopWatching = null;
      fail(v.error || 'The video couldn’t be processed.');
    } else if (v.status === 'processing' && state === 'processing') {
      doneTitle.textContent = `Processing… ${clampPercent(v.progress)}%`;
      setProgress(v.progress, false);
    }
  });
}

function fail(message: string): void {
  hooks.error = message;
  setState('failed');
  showDone('The recording couldn’t be finished', '');
  doneProgress.hidden = true;
  doneError.textContent = message;
  doneError.hidden = false;
  doneTitle.focus();
}

function showDone(title: string, detail: string): void {
  doneTitle.textContent = title;
  doneDetail.textContent = detail;
  doneError.hidden = true;
  doneProgress.hidden = false;
  watchLink.classList.replace('btn--primary', 'btn--secondary');
}

function setProgress(pct: number, indeterminate: boolean): void {
  const p = clampPercent(pct);
  doneProgress.classList.toggle('progress--indeterminate', indeterminate);
  if (indeterminate) {
    doneProgress.removeAttribute('aria-valuenow');
    doneFill.style.width = '';
  } else {
    doneProgress.setAttribute('aria-valuenow', String(p));
    doneFill.style.width = `${p}%`;
  }
}

/** discardSession throws the current recording away: nothing is uploaded, the video is deleted. */
async function discardSession(keepScreen: boolean): Promise<MediaStream | null> {
  const s = session;
  if (!s) return null;
  session = null;
  if (s.recorder) s.recorder.ondataavailable = null;
  await stopRecorder(s);
  s.uploader.abort();
  releaseCapture(s, keepScreen);
  s.releaseLock();
  await deleteRecording(s.video.id).catch(() => {});
  try {
    await deleteVideo(s.video.id);
  } catch (err) {
    if (!(err instanceof ApiError && err.notFound)) throw err;
  }
  return keepScreen && s.screen?.getVideoTracks()[0]?.readyState === 'live' ? s.screen : null;
}

function resetLive(): void {
  pauseBtn.textContent = 'Pause';
  pauseBtn.setAttribute('aria-pressed', 'false');
  lastTimerText = '';
  timerEl.textContent = '0:00';
  shareInput.value = '';
  for (const k of ['videoId', 'slug', 'shareUrl', 'error'] as const) hooks[k] = '';
  for (const k of ['linkShownAt', 'recordingStartedAt', 'firstChunkAckAt', 'stoppedAt', 'uploadedAt', 'readyAt', 'recordedMs', 'producedMs', 'chunksProduced', 'bytesProduced', 'bytesAcked', 'uploadFailures'] as const) hooks[k] = 0;
}

async function cancelRecording(): Promise<void> {
  if (state === 'countdown') {
    countdownAbort?.();
    return;
  }
  if (state !== 'recording' && state !== 'paused') return;
  const wasRecording = state === 'recording';
  if (wasRecording) togglePause();
  const ok = await confirmDialog({
    title: 'Delete this recording?',
    message: 'The recording is thrown away and its link stops working.',
    confirmLabel: 'Delete recording',
    danger: true,
    id: 'cancel-dialog',
    action: async () => {
      await discardSession(false);
      return true;
    },
  });
  if (ok) {
    resetLive();
    setState('idle');
    toast('Recording deleted.');
    startBtn.focus();
  } else if (wasRecording && state === 'paused') {
    togglePause();
  }
}

async function restartRecording(): Promise<void> {
  if (state !== 'recording' && state !== 'paused') return;
  const wasRecording = state === 'recording';
  if (wasRecording) togglePause();
  let screen: MediaStream | null = null;
  const ok = await confirmDialog({
    title: 'Start over?',
    message: 'This recording is deleted and a new one starts, with a new link.',
    confirmLabel: 'Start over',
    danger: true,
    id: 'restart-dialog',
    action: async () => {
      screen = await discardSession(true);
      return true;
    },
  });
  if (ok) {
    resetLive();
    setState('idle');
    await startRecording(screen);
  } else if (wasRecording && state === 'paused') {
    togglePause();
  }
}

/* ---------- Recovery ---------- */

let recoverable: RecordingMeta | null = null;

async function heldLocks(): Promise<Set<string>> {
  if (!navigator.locks) return new Set();
  try {
    const q = await navigator.locks.query();
    return new Set((q.held ?? []).map((l) => l.name ?? ''));
  } catch {
    return new Set();
  }
}

async function checkRecovery(): Promise<void> {
  if (!indexedDBAvailable()) return;
  let list: RecordingMeta[];
  try {
    list = await listRecordings();
  } catch {
    return;
  }
  const held = await heldLocks();
  const open = list.filter((m) => !held.has(`baton-recording:${m.videoId}`));
  hooks.recoverable = open.length;
  recoverable = open[open.length - 1] ?? null;
  if (!recoverable || state !== 'idle') {
    recoverEl.hidden = true;
    return;
  }
  const m = recoverable;
  const parts = [
    `“${m.title || 'Untitled recording'}”`,
    m.recordedMs ? `${formatClock(m.recordedMs)} recorded` : '',
    formatDateTime(new Date(m.startedAt)),
    m.totalBytes ? formatBytes(m.totalBytes) : '',
  ].filter(Boolean);
  recoverDetail.textContent = `${parts.join(' · ')}. This tab closed before it was uploaded completely. What was recorded is kept on this device.`;
  recoverEl.hidden = false;
}

async function recover(): Promise<void> {
  const m = recoverable;
  if (!m || state !== 'idle') return;
  recoverEl.hidden = true;
  const releaseLock = acquireLock(m.videoId);
  hooks.videoId = m.videoId;
  hooks.slug = m.slug;
  hooks.shareUrl = m.shareUrl;
  shareInput.value = m.shareUrl;
  doneLink.value = m.shareUrl;
  watchLink.href = watchPath(m.slug);
  setState('recovering');
  showDone('Recovering your recording…', 'Uploading what wasn’t uploaded yet…');
  setProgress(0, false);
  followProcessing(m.videoId);
  doneTitle.focus();
  let chunks;
  try {
    chunks = await loadChunks(m.videoId);
  } catch {
    releaseLock();
    fail('The recording kept on this device couldn’t be read.');
    return;
  }
  const uploader = new ChunkUploader({
    uploadUrl: m.uploadUrl,
    sink: recordingSink(m, () => m.recordedMs),
    chunks,
    produced: m.totalBytes,
    onStatus: onUploadStatus,
  });
  await finishUpload(uploader, m, releaseLock);
}

async function discardRecoverable(): Promise<void> {
  const m = recoverable;
  if (!m) return;
  await confirmDialog({
    title: 'Discard the unfinished recording?',
    message: 'What was recorded is deleted from this device and its link stops working.',
    confirmLabel: 'Discard',
    danger: true,
    id: 'discard-dialog',
    action: async () => {
      try {
        await deleteVideo(m.videoId);
      } catch (err) {
        if (!(err instanceof ApiError && err.notFound)) throw err;
      }
      await deleteRecording(m.videoId);
      return true;
    },
  });
  await checkRecovery();
}

/* ---------- Wiring ---------- */

function applyPrefs(): void {
  const modeInput = document.querySelector<HTMLInputElement>(`input[name="mode"][value="${prefs.mode}"]`);
  if (modeInput) modeInput.checked = true;
  micToggle.checked = prefs.mic;
  systemAudio.checked = prefs.systemAudio;
  syncMicSwitch();
}

function syncMicSwitch(): void {
  const text = micToggle.parentElement?.querySelector('.switch__text');
  if (text) text.textContent = micToggle.checked ? 'On' : 'Off';
  micSelect.disabled = !micToggle.checked || micSelect.options.length === 0;
}

for (const input of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
  input.addEventListener('change', () => {
    prefs.mode = currentMode();
    savePrefs();
    void refreshPreview();
  });
}
cameraSelect.addEventListener('change', () => {
  prefs.cameraId = cameraSelect.value;
  savePrefs();
  void refreshPreview();
});
micSelect.addEventListener('change', () => {
  prefs.micId = micSelect.value;
  savePrefs();
  void refreshPreview();
});
micToggle.addEventListener('change', () => {
  prefs.mic = micToggle.checked;
  savePrefs();
  syncMicSwitch();
  void refreshPreview();
});
systemAudio.addEventListener('change', () => {
  prefs.systemAudio = systemAudio.checked;
  savePrefs();
});
for (const b of cornerButtons) {
  b.addEventListener('click', () => {
    if (isCorner(b.dataset.corner)) setCorner(b.dataset.corner);
  });
}
stageEl.addEventListener('click', (e) => {
  if (currentMode() !== 'screen-camera' || (e.target as HTMLElement).closest('button')) return;
  const r = stageEl.getBoundingClientRect();
  setCorner(cornerAt(e.clientX - r.left, e.clientY - r.top, { width: r.width, height: r.height }));
});

startBtn.addEventListener('click', () => void startRecording());
pauseBtn.addEventListener('click', togglePause);
stopBtn.addEventListener('click', () => void stopRecording());
cancelBtn.addEventListener('click', () => void cancelRecording());
restartBtn.addEventListener('click', () => void restartRecording());
$('rec-copy-link').addEventListener('click', () => void copyWithToast(shareInput.value, 'Link'));
$('rec-done-copy').addEventListener('click', () => void copyWithToast(doneLink.value, 'Link'));
for (const input of [shareInput, doneLink]) input.addEventListener('focus', () => input.select());
againBtn.addEventListener('click', () => {
  stopWatching?.();
  stopWatching = null;
  resetLive();
  doneProgress.hidden = false;
  setState('idle');
  void checkRecovery();
  startBtn.focus();
});
recoverStart.addEventListener('click', () => void recover());
recoverDiscard.addEventListener('click', () => void discardRecoverable());

document.addEventListener('keydown', (e) => {
  if (!e.altKey || e.ctrlKey || e.metaKey) return;
  const k = e.key.toLowerCase();
  if (k === 'p' && (state === 'recording' || state === 'paused')) {
    e.preventDefault();
    togglePause();
  } else if (k === 's' && (state === 'recording' || state === 'paused')) {
    e.preventDefault();
    void stopRecording();
  }
});

// Uploads resume at once when the browser says the network is back.
window.addEventListener('online', () => session?.uploader.wake());
window.addEventListener('pagehide', () => {
  if (state === 'idle') {
    stopStream(camStream);
    stopStream(micStream);
  }
});

async function init(): Promise<void> {
  applyPrefs();
  setState('idle');
  updateModeAvailability();
  void checkRecovery();
  try {
    const cfg = await getConfig();
    maxRecordingMs = Math.max(0, cfg.maxRecordingSeconds) * 1000;
  } catch {
    // Older server or offline: no limit shown; the server still enforces its own.
  }
  if (maxRecordingMs) {
    limitHint.textContent = `Recordings can be up to ${formatDurationLong(maxRecordingMs)}.`;
    limitHint.hidden = false;
  }
  await refreshPreview();
}

void init();
