// The recorder's states, and the plain data it exposes for end-to-end tests
// and debugging as window.__baton.

export type State =
  | 'idle' | 'starting' | 'countdown' | 'recording' | 'paused'
  | 'finishing' | 'processing' | 'ready' | 'failed' | 'recovering';

/** Plain data for end-to-end tests and debugging; timestamps are performance.now(). */
export interface Hooks {
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

export const hooks: Hooks = {
  state: 'idle', videoId: '', slug: '', shareUrl: '', mimeType: '',
  linkShownAt: 0, recordingStartedAt: 0, firstChunkAckAt: 0, stoppedAt: 0, uploadedAt: 0, readyAt: 0,
  recordedMs: 0, producedMs: 0, chunksProduced: 0, bytesProduced: 0, bytesAcked: 0, uploadFailures: 0,
  recoverable: 0, error: '',
};
(window as unknown as { __baton: Hooks }).__baton = hooks;

/**
 * saveHooks keeps the figures for the page the recorder moves to after
 * Stop (sessionStorage 'baton.recorder'), where tests read them.
 */
export function saveHooks(): void {
  try {
    sessionStorage.setItem('baton.recorder', JSON.stringify(hooks));
  } catch {
    // No storage: only tests miss it.
  }
}

/** resetHooks forgets the previous recording's figures. */
export function resetHooks(): void {
  for (const k of ['videoId', 'slug', 'shareUrl', 'error'] as const) hooks[k] = '';
  for (const k of ['linkShownAt', 'recordingStartedAt', 'firstChunkAckAt', 'stoppedAt', 'uploadedAt', 'readyAt', 'recordedMs', 'producedMs', 'chunksProduced', 'bytesProduced', 'bytesAcked', 'uploadFailures'] as const) hooks[k] = 0;
}
