// Streams a recording into its tus upload while it is being recorded.
//
// The server creates the upload with the video, with a deferred length. Each
// chunk MediaRecorder produces is first handed to a ChunkSink (IndexedDB in
// the page, so a crash or reload loses nothing) and then appended with PATCH,
// strictly in order, one request at a time. When a request fails for a
// reason that may pass (network, 5xx, offset conflict), the uploader waits,
// asks the server how much it has (HEAD) and resumes from there, slicing a
// chunk the server holds part of. The last PATCH declares Upload-Length; the
// server answers it only after checking the file, so its error is the one to
// show.
import { ApiError, parseApiError } from './api';
import { isRetryableStatus, planSend, retryDelay } from './recording';

/** A chunk as the uploader and its sink see it. */
export interface Chunk {
  seq: number;
  /** Byte offset of the chunk in the whole file. */
  offset: number;
  size: number;
  blob: Blob;
}

/**
 * ChunkSink keeps chunks until the server has them. `put` must not resolve
 * before the chunk is durable; `ack` is told the server's offset so chunks
 * below it can go. Either may reject: the uploader then carries on without a
 * backup (the page says so) rather than stop the recording.
 */
export interface ChunkSink {
  put(chunk: Chunk, totalBytes: number): Promise<void>;
  ack(serverOffset: number): Promise<void>;
}

export interface UploadStatus {
  /** Bytes handed to the uploader (the file's length once finished). */
  produced: number;
  /** Bytes the server has confirmed. */
  acked: number;
  chunksProduced: number;
  /** A request failed and the uploader is waiting to retry. */
  retrying: boolean;
  /** Failed attempts since the last success. */
  failures: number;
  /** The sink failed: chunks are only in memory. */
  unbacked: boolean;
  done: boolean;
  /** performance.now() of the first acknowledged chunk, or 0. */
  firstAckAt: number;
}

export interface UploaderOptions {
  uploadUrl: string;
  sink?: ChunkSink;
  fetch?: typeof fetch;
  /** Called on every status change. */
  onStatus?: (s: UploadStatus) => void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** Codes of uploader failures that are not server answers. */
export const EUPLOAD_GAP = 'upload_gap';
export const EUPLOAD_ABORTED = 'aborted';

const TUS_HEADERS = { 'Tus-Resumable': '1.0.0' };

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Pending extends Chunk {
  persisted: Promise<void>;
}

export class ChunkUploader {
  private readonly url: string;
  private readonly sink: ChunkSink | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly sleepFn: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly onStatus: (s: UploadStatus) => void;

  private pending: Pending[] = [];
  private produced = 0;
  private chunksProduced = 0;
  private nextSeq = 0;
  /** The server's offset, or null when it must be asked (HEAD). */
  private serverOffset: number | null;
  private acked = 0;
  private finishing = false;
  private done = false;
  private failures = 0;
  private retrying = false;
  private unbacked = false;
  private firstAckAt = 0;
  private pumping = false;
  private persistChain: Promise<void> = Promise.resolve();
  private readonly stop = new AbortController();
  /** Aborted to cut a backoff wait short (the network came back). */
  private wakeup = new AbortController();
  private settle: { resolve: () => void; reject: (e: ApiError) => void } | null = null;
  private readonly finished: Promise<void>;
  private failure: ApiError | null = null;

  constructor(opts: UploaderOptions & {
    /** Resume: chunks kept from an earlier session, in order. */
    chunks?: Chunk[];
    /** Resume: total bytes produced by that session. */
    produced?: number;
  }) {
    this.url = opts.uploadUrl;
    this.sink = opts.sink;
    this.fetchFn = opts.fetch ?? ((...a) => fetch(...a));
    this.sleepFn = opts.sleep ?? defaultSleep;
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
    this.onStatus = opts.onStatus ?? (() => {});
    // A fresh upload is known to be empty; a resumed one must be asked.
    this.serverOffset = opts.chunks ? null : 0;
    if (opts.chunks) {
      for (const c of opts.chunks) {
        this.pending.push({ ...c, persisted: Promise.resolve() });
        this.nextSeq = Math.max(this.nextSeq, c.seq + 1);
      }
      this.produced = opts.produced ?? opts.chunks.reduce((n, c) => Math.max(n, c.offset + c.size), 0);
      this.chunksProduced = this.nextSeq;
    }
    this.finished = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Nobody may be awaiting yet; the rejection is delivered by finish().
    this.finished.catch(() => {});
  }

  status(): UploadStatus {
    return {
      produced: this.produced,
      acked: this.acked,
      chunksProduced: this.chunksProduced,
      retrying: this.retrying,
      failures: this.failures,
      unbacked: this.unbacked,
      done: this.done,
      firstAckAt: this.firstAckAt,
    };
  }

  /** The uploader's failure, if it gave up. */
  get error(): ApiError | null {
    return this.failure;
  }

  /** push adds the next chunk of the recording. Empty blobs are ignored. */
  push(blob: Blob): void {
    if (this.finishing || this.failure || blob.size === 0) return;
    const chunk: Chunk = { seq: this.nextSeq++, offset: this.produced, size: blob.size, blob };
    this.produced += blob.size;
    this.chunksProduced++;
    const total = this.produced;
    // Writes are chained so the sink sees chunks in order.
    const persisted = this.persistChain.then(() => this.persist(chunk, total));
    this.persistChain = persisted;
    this.pending.push({ ...chunk, persisted });
    this.emit();
    this.kick();
  }

  private async persist(chunk: Chunk, total: number): Promise<void> {
    if (!this.sink || this.unbacked) return;
    try {
      await this.sink.put(chunk, total);
    } catch {
      this.unbacked = true;
      this.emit();
    }
  }

  /**
   * finish declares that no more chunks come; resolves once the server has
   * the whole file and accepted it, rejects with the reason it gave up.
   */
  finish(): Promise<void> {
    this.finishing = true;
    this.kick();
    return this.finished;
  }

  /** start resumes an upload built from kept chunks without finishing it. */
  start(): void {
    this.kick();
  }

  /** wake retries at once instead of waiting out a backoff (e.g. the browser is online again). */
  wake(): void {
    this.wakeup.abort();
  }

  /** abort stops uploading (the recording was cancelled). */
  abort(): void {
    this.stop.abort();
    this.fail(new ApiError(0, EUPLOAD_ABORTED, 'The upload was cancelled.'));
  }

  private emit(): void {
    this.onStatus(this.status());
  }

  private fail(err: ApiError): void {
    if (this.failure || this.done) return;
    this.failure = err;
    this.retrying = false;
    this.emit();
    this.settle?.reject(err);
  }

  private kick(): void {
    if (this.pumping || this.done || this.failure) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      await this.pumpLoop();
    } finally {
      this.pumping = false;
    }
    // Work may have arrived between the loop's last look and now.
    if (this.finishing || this.pending.length > 0) this.kick();
  }

  private async pumpLoop(): Promise<void> {
    while (!this.done && !this.failure && !this.stop.signal.aborted) {
      if (this.serverOffset === null) {
        const ok = await this.head();
        if (!ok) continue;
        if (this.done) return;
      }
      const offset = this.serverOffset!;
      const { acked, plan } = planSend(this.pending, offset);
      if (acked > 0) {
        // The server has these: the backup can let them go.
        this.pending.splice(0, acked);
        void this.sink?.ack(offset).catch(() => {});
      }
      if (plan.kind === 'gap' || (plan.kind === 'idle' && this.finishing && offset < this.produced)) {
        this.fail(new ApiError(0, EUPLOAD_GAP,
          'Part of the recording never reached the server and is no longer on this device, so it can’t be finished.'));
        return;
      }
      if (plan.kind === 'idle') {
        if (!this.finishing) return;
        // Everything is there: declare the length with an empty PATCH.
        await this.patch(offset, null, this.produced);
        continue;
      }
      const c = this.pending[0]!;
      await c.persisted;
      // Only once every chunk is in can the last one carry the length.
      const last = this.finishing && this.pending.length === 1;
      await this.patch(offset, c.blob.slice(plan.start), last ? this.produced : null);
    }
  }

  /** head asks the server for its offset; false when it must be retried. */
  private async head(): Promise<boolean> {
    let res: Response;
    try {
      res = await this.fetchFn(this.url, {
        method: 'HEAD',
        headers: TUS_HEADERS,
        cache: 'no-store',
        signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(20_000)]),
      });
    } catch {
      await this.backoff();
      return false;
    }
    if (!res.ok) {
      if (isRetryableStatus(res.status)) {
        await this.backoff();
        return false;
      }
      // HEAD has no body; ask GET-like questions through the status only.
      this.fail(headError(res.status));
      return false;
    }
    const off = Number(res.headers.get('Upload-Offset'));
    if (!Number.isSafeInteger(off) || off < 0 || off > this.produced) {
      this.fail(new ApiError(res.status, 'bad_offset', 'The server reported more of this recording than was recorded. It can’t be finished.'));
      return false;
    }
    this.setOffset(off);
    const len = res.headers.get('Upload-Length');
    if (len !== null && this.finishing && Number(len) === this.produced && off === this.produced) {
      // An earlier final PATCH went through but its answer was lost.
      this.complete();
    }
    return true;
  }

  private async patch(offset: number, body: Blob | null, length: number | null): Promise<void> {
    const headers: Record<string, string> = {
      ...TUS_HEADERS,
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset),
    };
    if (length !== null) headers['Upload-Length'] = String(length);
    // Generous: the final PATCH is answered only after the server checked the file.
    const timeout = length !== null ? 180_000 : 60_000 + Math.round((body?.size ?? 0) / 50);
    let res: Response;
    try {
      res = await this.fetchFn(this.url, {
        method: 'PATCH',
        headers,
        body: body ?? new Blob([]),
        cache: 'no-store',
        signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(timeout)]),
      });
    } catch {
      if (this.stop.signal.aborted) return;
      // The server may have kept part of the body: ask before resuming.
      this.serverOffset = null;
      await this.backoff();
      return;
    }
    if (res.status === 204 || res.status === 200) {
      const off = Number(res.headers.get('Upload-Offset'));
      if (Number.isSafeInteger(off) && off >= offset && off <= this.produced) {
        this.setOffset(off);
      } else {
        this.serverOffset = null;
      }
      this.failures = 0;
      this.retrying = false;
      if (length !== null && off === length) {
        this.complete();
        return;
      }
      this.emit();
      return;
    }
    const text = await res.text().catch(() => '');
    const err = parseApiError(res.status, text);
    if (res.status === 409 && err.code !== 'upload_offset_mismatch' && err.code !== 'upload_locked') {
      // e.g. "This upload is already complete." with another offset.
      this.fail(err);
      return;
    }
    if (isRetryableStatus(res.status)) {
      this.serverOffset = null;
      // An offset mismatch is answered at once; the rest wait a little.
      if (res.status !== 409) await this.backoff();
      else this.failures++;
      if (this.failures > 50) this.fail(err);
      return;
    }
    this.fail(err);
  }

  private setOffset(off: number): void {
    this.serverOffset = off;
    if (off > this.acked) {
      this.acked = off;
      if (!this.firstAckAt && off > 0) this.firstAckAt = this.now();
    }
  }

  private complete(): void {
    this.done = true;
    this.retrying = false;
    this.pending = [];
    void this.sink?.ack(this.produced).catch(() => {});
    this.emit();
    this.settle?.resolve();
  }

  private async backoff(): Promise<void> {
    const ms = retryDelay(this.failures, this.random);
    this.failures++;
    this.retrying = true;
    this.emit();
    if (this.wakeup.signal.aborted) this.wakeup = new AbortController();
    await this.sleepFn(ms, AbortSignal.any([this.stop.signal, this.wakeup.signal]));
  }
}

function headError(status: number): ApiError {
  if (status === 404) return new ApiError(404, 'not_found', 'This recording’s video was deleted on the server.');
  if (status === 410) return new ApiError(410, 'gone', 'The server no longer accepts this recording (it was refused or expired).');
  return parseApiError(status, '');
}
