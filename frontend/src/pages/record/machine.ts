// The recording state machine: Start (devices, countdown, the video and its
// link created meanwhile), recording with pause and resume, Stop (the last
// chunks uploaded, processing followed), Cancel and Restart. The page shows
// one state at a time (main[data-state]); see record.ts for the diagram.
import { ApiError, createVideo, deleteVideo, getVideo, watchVideo, type Video } from '../../lib/api';
import {
  CaptureError, Compositor, Ticker, mixAudio, modeUsesCamera, modeUsesScreen, openScreen, recorderOptions, stopStream,
  videoFor, missingApis, stopMediaRecorder,
} from '../../lib/capture';
import { ChunkUploader, EUPLOAD_ABORTED, type UploadStatus } from '../../lib/chunkupload';
import { deleteRecording, indexedDBAvailable, recordingSink, saveRecording, type RecordingMeta } from '../../lib/chunkstore';
import { copyText } from '../../lib/clipboard';
import { confirmDialog } from '../../lib/dialog';
import { setFlash } from '../../lib/flash';
import { clampPercent, formatBytes, formatClock, formatDurationLong } from '../../lib/format';
import { elapsedMs, pickMimeType, type Corner } from '../../lib/recording';
import { watchPath } from '../../lib/route';
import { createStage, readyHint } from '../../lib/stage';
import { toast } from '../../lib/toast';
import { currentMode, savePrefs, showSetupError, type Devices, type Prefs } from './devices';
import { hooks, resetHooks, saveHooks, type State } from './hooks';
import { acquireLock } from '../../lib/recordlocks';
import { ui } from './ui';

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

/**
 * defaultTitle names an untitled recording by when it was made, in the
 * recorder's own time zone and language ("Recording on Sun, Dec 6, 8:15 PM").
 */
export function defaultTitle(now = new Date()): string {
  const when = now.toLocaleString(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
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

function sizeOf(track: MediaStreamTrack): { width: number; height: number } {
  const s = track.getSettings();
  return { width: s.width ?? 640, height: s.height ?? 480 };
}

function warnBeforeUnload(e: BeforeUnloadEvent): void {
  e.preventDefault();
}

/** stopRecorder stops the session's MediaRecorder (lib/capture.ts). */
function stopRecorder(s: Session): Promise<void> {
  return stopMediaRecorder(s.recorder);
}

export class Recorder {
  state: State = 'idle';
  /** The server's limit; 0 for none known. */
  maxRecordingMs = 0;
  readonly devices: Devices;
  private readonly ticker = new Ticker(1000 / 30);
  private readonly resultStage = createStage(ui.result);
  private readonly doneFill = ui.doneProgress.querySelector<HTMLElement>('.progress__fill')!;
  private session: Session | null = null;
  private stopWatching: (() => void) | null = null;
  private countdownAbort: (() => void) | null = null;
  private lastTimerText = '';

  constructor(private readonly prefs: Prefs, devices: (r: Recorder) => Devices) {
    this.devices = devices(this);
  }

  get recording(): boolean {
    return this.state === 'recording' || this.state === 'paused';
  }

  setState(s: State): void {
    this.state = s;
    hooks.state = s;
    ui.main.dataset.state = s;
    const recordingLike = s === 'recording' || s === 'paused';
    const done = s === 'finishing' || s === 'processing' || s === 'ready' || s === 'failed' || s === 'recovering';
    ui.stage.hidden = done;
    ui.result.hidden = !done;
    ui.setupPanel.hidden = !(s === 'idle' || s === 'starting');
    ui.livePanel.hidden = !(recordingLike || s === 'countdown');
    ui.donePanel.hidden = !done;
    ui.startBtn.disabled = s !== 'idle';
    ui.startBtn.setAttribute('aria-busy', String(s === 'starting'));
    ui.badge.hidden = !recordingLike;
    ui.badge.dataset.paused = String(s === 'paused');
    ui.pauseBtn.disabled = !recordingLike;
    ui.stopBtn.disabled = !recordingLike;
    ui.restartBtn.disabled = !recordingLike;
    ui.cancelBtn.disabled = !(recordingLike || s === 'countdown');
    if (s !== 'idle') ui.recover.hidden = true;
    this.syncStage();
  }

  syncStage(): void {
    const mode = currentMode();
    ui.stage.dataset.mode = mode;
    ui.stage.dataset.corner = this.prefs.corner;
    const live = ui.canvasSlot.childElementCount > 0 && (this.state === 'countdown' || this.recording);
    ui.stage.dataset.view = live ? 'canvas' : 'preview';
    ui.cornersGroup.hidden = mode !== 'screen-camera' || this.devices.cameraMissing || ui.stage.hidden;
    for (const b of ui.cornerButtons) b.setAttribute('aria-pressed', String(b.dataset.corner === this.prefs.corner));
  }

  setCorner(c: Corner): void {
    this.prefs.corner = c;
    savePrefs(this.prefs);
    if (this.session?.compositor) {
      this.session.compositor.corner = c;
      this.session.compositor.draw();
    }
    this.syncStage();
  }

  /** wake resumes a stalled upload at once (the network is back). */
  wake(): void {
    this.session?.uploader.wake();
  }

  /* ---------- Start ---------- */

  /** countdown shows 3-2-1; resolves true when done or skipped, false when cancelled. */
  private countdown(seconds: number): Promise<boolean> {
    return new Promise((resolve) => {
      let n = seconds;
      ui.countdownNumber.textContent = String(n);
      ui.countdown.hidden = false;
      ui.countdownSkip.focus();
      const finish = (ok: boolean): void => {
        window.clearInterval(timer);
        ui.countdownSkip.removeEventListener('click', skip);
        ui.countdown.hidden = true;
        this.countdownAbort = null;
        resolve(ok);
      };
      const skip = (): void => finish(true);
      const timer = window.setInterval(() => {
        n--;
        if (n <= 0) finish(true);
        else ui.countdownNumber.textContent = String(n);
      }, 1000);
      ui.countdownSkip.addEventListener('click', skip);
      this.countdownAbort = () => finish(false);
    });
  }

  /** showLink puts the recording's link wherever the page shows it. */
  showLink(v: { id?: string; videoId?: string; slug: string; shareUrl: string }): void {
    ui.shareInput.value = v.shareUrl;
    ui.doneLink.value = v.shareUrl;
    ui.watchLink.href = watchPath(v.slug);
    hooks.videoId = v.id ?? v.videoId ?? '';
    hooks.slug = v.slug;
    hooks.shareUrl = v.shareUrl;
    hooks.linkShownAt = performance.now();
  }

  readonly onUploadStatus = (s: UploadStatus): void => {
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
      const when = readyHint(this.processing, 'you stop');
      if (when) text += ` · ${when}`;
      kind = 'ok';
    }
    this.checkProcessing(s);
    if (this.recording) {
      if (ui.uploadStatus.textContent !== text) ui.uploadStatus.textContent = text;
      ui.uploadStatus.dataset.kind = kind;
    } else if (this.state === 'finishing' || this.state === 'recovering') {
      const left = Math.max(0, s.produced - s.acked);
      ui.doneDetail.textContent = s.retrying
        ? 'Connection lost. Retrying… The recording is kept on this device.'
        : left > 0 ? `Uploading the last ${formatBytes(left)}…` : 'Checking the recording…';
      this.setProgress(s.produced > 0 ? (s.acked / s.produced) * 100 : 0, false);
    }
  };

  /** How the server processes this recording (live or after Stop), asked now and then while recording. */
  private processing: Video['processing'] = undefined;
  private processingAskedAt = 0;

  private checkProcessing(s: UploadStatus): void {
    const id = this.session?.video.id;
    const now = performance.now();
    if (!id || !this.recording || !s.firstAckAt || now - this.processingAskedAt < 10_000) return;
    this.processingAskedAt = now;
    getVideo(id).then((v) => { this.processing = v.processing; }, () => {});
  }

  async start(reuseScreen: MediaStream | null = null): Promise<void> {
    if (this.state !== 'idle') return;
    const mode = currentMode();
    const missing = missingApis(mode);
    if (missing.length) {
      showSetupError(`This browser can’t record: it lacks ${missing.join(', ')}.`);
      return;
    }
    showSetupError('');
    this.processing = undefined;
    this.processingAskedAt = 0;
    this.setState('starting');
    hooks.error = '';
    const dev = this.devices;
    let screen: MediaStream | null = reuseScreen;
    let mix: { track: MediaStreamTrack | null; close(): void } | null = null;
    let compositor: Compositor | null = null;
    try {
      await dev.refresh();
      if (modeUsesCamera(mode) && !dev.camStream) {
        throw new CaptureError('not-found', ui.camMessage.textContent || 'The camera couldn’t be started.');
      }
      if (ui.micToggle.checked && !dev.micStream) {
        throw new CaptureError('denied', ui.setupError.textContent || 'The microphone couldn’t be started. Turn it off to record without sound.');
      }
      if (modeUsesScreen(mode) && !screen) screen = await openScreen(ui.systemAudio.checked);

      // What MediaRecorder records: one video track and at most one audio track.
      let videoTrack: MediaStreamTrack;
      if (screen) {
        const sv = videoFor(screen);
        const size = await waitForSize(sv);
        const camVideo = mode === 'screen-camera' && dev.camStream ? videoFor(dev.camStream) : null;
        compositor = new Compositor(sv, camVideo, size, this.prefs.corner, this.ticker);
        compositor.start();
        compositor.canvas.id = 'rec-canvas';
        compositor.canvas.setAttribute('aria-label', 'Recording preview');
        ui.canvasSlot.replaceChildren(compositor.canvas);
        videoTrack = compositor.stream(30).getVideoTracks()[0]!;
      } else {
        videoTrack = dev.camStream!.getVideoTracks()[0]!;
      }
      const audioTracks: MediaStreamTrack[] = [];
      const micTrack = ui.micToggle.checked ? dev.micStream?.getAudioTracks()[0] : undefined;
      if (micTrack) audioTracks.push(micTrack);
      const screenAudio = screen?.getAudioTracks()[0];
      if (screenAudio) audioTracks.push(screenAudio);
      mix = mixAudio(audioTracks);
      const stream = new MediaStream(mix.track ? [videoTrack, mix.track] : [videoTrack]);

      // The video and its link exist before the first byte: create them
      // while the countdown runs.
      const title = ui.titleInput.value.trim() || defaultTitle();
      const created = createVideo(title).then((v) => {
        this.showLink(v);
        return v;
      });
      created.catch(() => this.countdownAbort?.());
      ui.liveState.textContent = 'Get ready';
      this.setState('countdown');
      const [video, go] = await Promise.all([created, this.countdown(3)]);
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
        onStatus: this.onUploadStatus,
      });
      this.session = {
        video, meta, uploader, screen, compositor, mix, stream, recorder: null, segments,
        stopTick: null, releaseLock: acquireLock(video.id),
      };
      this.startRecorder(this.session, mimeType, compositor ? compositor.size : sizeOf(videoTrack), mix.track !== null);
    } catch (err) {
      this.countdownAbort?.();
      compositor?.stop();
      mix?.close();
      if (!reuseScreen || !(err instanceof CaptureError)) stopStream(screen);
      ui.canvasSlot.replaceChildren();
      this.session = null;
      this.setState('idle');
      const msg = err instanceof Error ? err.message : 'Recording couldn’t start.';
      hooks.error = msg;
      if (msg) showSetupError(msg);
      dev.updateModeAvailability();
    }
  }

  private startRecorder(s: Session, mimeType: string, size: { width: number; height: number }, audio: boolean): void {
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
      void this.stop();
    };
    // The screen share ended from the browser's own "Stop sharing" button.
    s.screen?.getVideoTracks()[0]?.addEventListener('ended', () => void this.stop());
    if (!s.screen) s.stream.getVideoTracks()[0]?.addEventListener('ended', () => void this.stop());

    ui.liveMeter.hidden = !(ui.micToggle.checked && this.devices.micStream);
    rec.start(1000);
    const now = performance.now();
    s.segments.push({ start: now, end: null });
    hooks.recordingStartedAt = now;
    ui.timerLimit.textContent = this.maxRecordingMs ? ` / ${formatClock(this.maxRecordingMs)}` : '';
    s.stopTick = this.ticker.add(() => this.tick());
    this.setState('recording');
    ui.liveState.textContent = 'Recording';
    window.addEventListener('beforeunload', warnBeforeUnload);
    this.tick();
  }

  private tick(): void {
    const s = this.session;
    if (!s) return;
    const ms = elapsedMs(s.segments, performance.now());
    hooks.recordedMs = ms;
    const text = formatClock(ms);
    if (text !== this.lastTimerText) {
      this.lastTimerText = text;
      ui.timer.textContent = text;
      ui.badgeText.textContent = this.state === 'paused' ? `Paused ${text}` : `REC ${text}`;
      ui.timer.setAttribute('aria-label', `${formatDurationLong(ms) || '0 seconds'} recorded`);
      if (this.maxRecordingMs) ui.timer.parentElement!.dataset.warn = String(this.maxRecordingMs - ms < 30_000);
    }
    if (this.maxRecordingMs && ms >= this.maxRecordingMs && this.state === 'recording') {
      toast(`Recordings can be up to ${formatDurationLong(this.maxRecordingMs)}. This one was stopped and is being saved.`, 'info');
      void this.stop();
    }
  }

  /* ---------- While recording ---------- */

  togglePause(): void {
    const s = this.session;
    if (!s?.recorder) return;
    const now = performance.now();
    if (this.state === 'recording') {
      s.recorder.pause();
      const seg = s.segments[s.segments.length - 1];
      if (seg) seg.end = now;
      this.setState('paused');
      ui.pauseBtn.textContent = 'Resume';
      ui.pauseBtn.setAttribute('aria-pressed', 'true');
      ui.liveState.textContent = 'Paused';
    } else if (this.state === 'paused') {
      s.recorder.resume();
      s.segments.push({ start: now, end: null });
      this.setState('recording');
      ui.pauseBtn.textContent = 'Pause';
      ui.pauseBtn.setAttribute('aria-pressed', 'false');
      ui.liveState.textContent = 'Recording';
    }
    this.lastTimerText = '';
    this.tick();
  }

  /** releaseCapture stops drawing and every capture that belongs to the session. */
  private releaseCapture(s: Session, keepScreen = false): void {
    s.stopTick?.();
    s.stopTick = null;
    s.compositor?.stop();
    s.mix?.close();
    if (!keepScreen) stopStream(s.screen);
    // The canvas stream's track; camera and mic stay for the next recording.
    for (const t of s.stream.getVideoTracks()) if (s.compositor) t.stop();
    ui.canvasSlot.replaceChildren();
    window.removeEventListener('beforeunload', warnBeforeUnload);
  }

  async stop(): Promise<void> {
    const s = this.session;
    if (!s || !this.recording) return;
    const now = performance.now();
    const seg = s.segments[s.segments.length - 1];
    if (seg && seg.end === null) seg.end = now;
    hooks.stoppedAt = now;
    hooks.recordedMs = elapsedMs(s.segments, now);
    // Copy while the click still counts as the person's gesture: browsers
    // refuse clipboard writes later on.
    const copied = copyText(s.video.shareUrl).catch(() => false);
    this.setState('finishing');
    this.showDone('Finishing upload…', 'Uploading the last seconds…');
    this.setProgress(0, false);
    this.followProcessing(s.video.id);
    ui.doneTitle.focus();
    await stopRecorder(s);
    this.releaseCapture(s);
    await this.devices.refresh();
    const uploaded = await this.finishUpload(s.uploader, s.meta, s.releaseLock);
    this.session = null;
    if (!uploaded) return;
    // The video's page shows processing and then the video; the link is
    // on the clipboard for pasting wherever the team talks.
    setFlash(await copied ? 'Link copied to clipboard. Paste it anywhere to share.' : 'Your recording is saved. Copy the link to share it.');
    saveHooks();
    this.unwatch();
    location.assign(watchPath(s.video.slug));
  }

  /* ---------- After Stop ---------- */

  /** finishUpload waits for the upload to complete, then follows processing; it reports whether the upload completed. */
  async finishUpload(uploader: ChunkUploader, meta: RecordingMeta, releaseLock: () => void): Promise<boolean> {
    try {
      await uploader.finish();
      hooks.uploadedAt = performance.now();
      await deleteRecording(meta.videoId).catch(() => {});
      releaseLock();
      // Processing ran along with the upload: it may be over already.
      if (this.state === 'finishing' || this.state === 'recovering') {
        this.setState('processing');
        this.showDone('Processing…', this.processing === 'after-upload'
          ? 'The server was busy while you recorded, so it processes the recording now: ready in a little while. The link already works.'
          : 'Almost there. The link already works.');
        this.setProgress(0, true);
      }
      return true;
    } catch (err) {
      releaseLock();
      if (err instanceof ApiError && err.code === EUPLOAD_ABORTED) return false;
      // The server refused the recording (or it was deleted): nothing to resume.
      await deleteRecording(meta.videoId).catch(() => {});
      this.fail(err instanceof Error ? err.message : 'The recording couldn’t be uploaded.');
      return false;
    }
  }

  /** followProcessing shows the video's state from Stop on, in the result stage and, once uploaded, in the panel. */
  followProcessing(videoId: string): void {
    this.stopWatching?.();
    this.stopWatching = watchVideo(videoId, (v) => {
      // The person who recorded sees the final video, not the live rendition.
      this.resultStage.update({ ...v, liveUrl: '' });
      if (v.status === 'ready') {
        hooks.readyAt = performance.now();
        this.unwatch();
        this.setState('ready');
        this.showDone('Your video is ready', 'Share the link, or open the video to watch it.');
        this.setProgress(100, false);
        ui.doneProgress.hidden = true;
        ui.watchLink.classList.replace('btn--secondary', 'btn--primary');
        ui.doneTitle.focus();
      } else if (v.status === 'failed') {
        this.unwatch();
        this.fail(v.error || 'The video couldn’t be processed.');
      } else if (v.status === 'processing' && this.state === 'processing') {
        ui.doneTitle.textContent = `Processing… ${clampPercent(v.progress)}%`;
        this.setProgress(v.progress, false);
      }
    });
  }

  private unwatch(): void {
    this.stopWatching?.();
    this.stopWatching = null;
  }

  fail(message: string): void {
    hooks.error = message;
    this.setState('failed');
    this.showDone('The recording couldn’t be finished', '');
    ui.doneProgress.hidden = true;
    ui.doneError.textContent = message;
    ui.doneError.hidden = false;
    ui.doneTitle.focus();
  }

  showDone(title: string, detail: string): void {
    ui.doneTitle.textContent = title;
    ui.doneDetail.textContent = detail;
    ui.doneError.hidden = true;
    ui.doneProgress.hidden = false;
    ui.watchLink.classList.replace('btn--primary', 'btn--secondary');
  }

  setProgress(pct: number, indeterminate: boolean): void {
    const p = clampPercent(pct);
    ui.doneProgress.classList.toggle('progress--indeterminate', indeterminate);
    if (indeterminate) {
      ui.doneProgress.removeAttribute('aria-valuenow');
      this.doneFill.style.width = '';
    } else {
      ui.doneProgress.setAttribute('aria-valuenow', String(p));
      this.doneFill.style.width = `${p}%`;
    }
  }

  /** again goes back to the setup for another recording. */
  again(): void {
    this.unwatch();
    this.resetLive();
    ui.doneProgress.hidden = false;
    this.setState('idle');
  }

  /* ---------- Cancel and Restart ---------- */

  /** discardSession throws the current recording away: nothing is uploaded, the video is deleted. */
  private async discardSession(keepScreen: boolean): Promise<MediaStream | null> {
    const s = this.session;
    if (!s) return null;
    this.session = null;
    if (s.recorder) s.recorder.ondataavailable = null;
    await stopRecorder(s);
    s.uploader.abort();
    this.releaseCapture(s, keepScreen);
    s.releaseLock();
    await deleteRecording(s.video.id).catch(() => {});
    try {
      await deleteVideo(s.video.id);
    } catch (err) {
      if (!(err instanceof ApiError && err.notFound)) throw err;
    }
    return keepScreen && s.screen?.getVideoTracks()[0]?.readyState === 'live' ? s.screen : null;
  }

  private resetLive(): void {
    ui.pauseBtn.textContent = 'Pause';
    ui.pauseBtn.setAttribute('aria-pressed', 'false');
    this.lastTimerText = '';
    ui.timer.textContent = '0:00';
    ui.shareInput.value = '';
    resetHooks();
  }

  async cancel(): Promise<void> {
    if (this.state === 'countdown') {
      this.countdownAbort?.();
      return;
    }
    if (!this.recording) return;
    const wasRecording = this.state === 'recording';
    if (wasRecording) this.togglePause();
    const ok = await confirmDialog({
      title: 'Delete this recording?',
      message: 'The recording is thrown away and its link stops working.',
      confirmLabel: 'Delete recording',
      danger: true,
      id: 'cancel-dialog',
      action: async () => {
        await this.discardSession(false);
        return true;
      },
    });
    if (ok) {
      this.resetLive();
      this.setState('idle');
      toast('Recording deleted.');
      ui.startBtn.focus();
    } else if (wasRecording && this.state === 'paused') {
      this.togglePause();
    }
  }

  async restart(): Promise<void> {
    if (!this.recording) return;
    const wasRecording = this.state === 'recording';
    if (wasRecording) this.togglePause();
    let screen: MediaStream | null = null;
    const ok = await confirmDialog({
      title: 'Start over?',
      message: 'This recording is deleted and a new one starts, with a new link.',
      confirmLabel: 'Start over',
      danger: true,
      id: 'restart-dialog',
      action: async () => {
        screen = await this.discardSession(true);
        return true;
      },
    });
    if (ok) {
      this.resetLive();
      this.setState('idle');
      await this.start(screen);
    } else if (wasRecording && this.state === 'paused') {
      this.togglePause();
    }
  }
}
