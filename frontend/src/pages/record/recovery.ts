// Crash recovery: a recording whose tab closed (or crashed) before its
// upload finished is still in IndexedDB. The recorder offers to upload
// the rest, or to discard it and delete its video.
import { ApiError, deleteVideo } from '../../lib/api';
import { deleteRecording, type RecordingMeta } from '../../lib/chunkstore';
import { confirmDialog } from '../../lib/dialog';
import { formatBytes, formatClock, formatDateTime } from '../../lib/format';
import { hooks } from './hooks';
import { resume, unfinished } from '../../lib/recovery';
import type { Recorder } from './machine';
import { ui } from './ui';

export class Recovery {
  /** The newest recording no tab is working on; null when there is none. */
  private pending: RecordingMeta | null = null;

  constructor(private readonly rec: Recorder) {}

  /** check shows the recovery notice when there is something to recover and the recorder is idle. */
  async check(): Promise<void> {
    // Replies are offered on the page of the video they reply to.
    const open = await unfinished((m) => !m.replyTo);
    hooks.recoverable = open.length;
    this.pending = open[open.length - 1] ?? null;
    if (!this.pending || this.rec.state !== 'idle') {
      ui.recover.hidden = true;
      return;
    }
    const m = this.pending;
    const parts = [
      `“${m.title || 'Untitled recording'}”`,
      m.recordedMs ? `${formatClock(m.recordedMs)} recorded` : '',
      formatDateTime(new Date(m.startedAt)),
      m.totalBytes ? formatBytes(m.totalBytes) : '',
    ].filter(Boolean);
    ui.recoverDetail.textContent = `${parts.join(' · ')}. This tab closed before it was uploaded completely. What was recorded is kept on this device.`;
    ui.recover.hidden = false;
  }

  /** recover uploads what the server does not have yet, then follows processing. */
  async recover(): Promise<void> {
    const m = this.pending;
    const rec = this.rec;
    if (!m || rec.state !== 'idle') return;
    ui.recover.hidden = true;
    rec.showLink(m);
    rec.setState('recovering');
    rec.showDone('Recovering your recording…', 'Uploading what wasn’t uploaded yet…');
    rec.setProgress(0, false);
    rec.followProcessing(m.videoId);
    ui.doneTitle.focus();
    let r;
    try {
      r = await resume(m, rec.onUploadStatus);
    } catch {
      rec.fail('The recording kept on this device couldn’t be read.');
      return;
    }
    await rec.finishUpload(r.uploader, m, r.release);
  }

  /** discard deletes the kept recording and its video, after asking. */
  async discard(): Promise<void> {
    const m = this.pending;
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
    await this.check();
  }
}
