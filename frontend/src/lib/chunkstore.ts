// IndexedDB backup of recordings in progress: every chunk is stored before it
// is uploaded and deleted once the server has it, so a crash, a closed tab
// or a reload loses nothing. The recorder page offers to finish what it finds
// here.
import type { Chunk, ChunkSink } from './chunkupload';

const DB_NAME = 'baton-recorder';
const DB_VERSION = 1;
const RECORDINGS = 'recordings';
const CHUNKS = 'chunks';

/** What is kept about one recording besides its chunks. */
export interface RecordingMeta {
  videoId: string;
  uploadUrl: string;
  shareUrl: string;
  slug: string;
  title: string;
  mimeType: string;
  /** Date.now() when recording started. */
  startedAt: number;
  /** Bytes produced so far, acknowledged or not: the file's length. */
  totalBytes: number;
  chunkCount: number;
  /** Recorded time so far (pauses excluded), for display. */
  recordedMs: number;
  /** A reply recorded in a thread: the video replied to, and the comment that carries it. */
  replyTo?: string;
  commentId?: string;
  /** What a reply shows (camera, screen, voice). */
  kind?: string;
}

interface ChunkRow extends Chunk {
  videoId: string;
}

export function indexedDBAvailable(): boolean {
  return typeof indexedDB !== 'undefined';
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  if (!opening) {
    opening = new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, DB_VERSION);
      r.onupgradeneeded = () => {
        const db = r.result;
        if (!db.objectStoreNames.contains(RECORDINGS)) db.createObjectStore(RECORDINGS, { keyPath: 'videoId' });
        if (!db.objectStoreNames.contains(CHUNKS)) db.createObjectStore(CHUNKS, { keyPath: ['videoId', 'seq'] });
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB unavailable'));
      r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    });
    opening.catch(() => {
      opening = null;
    });
  }
  return opening;
}

function chunkRange(videoId: string): IDBKeyRange {
  return IDBKeyRange.bound([videoId, -Infinity], [videoId, Infinity]);
}

/** saveRecording creates or replaces a recording's metadata. */
export async function saveRecording(meta: RecordingMeta): Promise<void> {
  const db = await open();
  const tx = db.transaction(RECORDINGS, 'readwrite');
  tx.objectStore(RECORDINGS).put(meta);
  await done(tx);
}

/** listRecordings returns every recording with something left to do, oldest first. */
export async function listRecordings(): Promise<RecordingMeta[]> {
  const db = await open();
  const tx = db.transaction(RECORDINGS, 'readonly');
  const all = await req(tx.objectStore(RECORDINGS).getAll() as IDBRequest<RecordingMeta[]>);
  return all.sort((a, b) => a.startedAt - b.startedAt);
}

/** loadChunks returns a recording's kept chunks in order. */
export async function loadChunks(videoId: string): Promise<Chunk[]> {
  const db = await open();
  const tx = db.transaction(CHUNKS, 'readonly');
  const rows = await req(tx.objectStore(CHUNKS).getAll(chunkRange(videoId)) as IDBRequest<ChunkRow[]>);
  return rows
    .sort((a, b) => a.seq - b.seq)
    .map(({ seq, offset, size, blob }) => ({ seq, offset, size, blob }));
}

/** deleteRecording forgets a recording and its chunks. */
export async function deleteRecording(videoId: string): Promise<void> {
  const db = await open();
  const tx = db.transaction([RECORDINGS, CHUNKS], 'readwrite');
  tx.objectStore(RECORDINGS).delete(videoId);
  tx.objectStore(CHUNKS).delete(chunkRange(videoId));
  await done(tx);
}

/**
 * recordingSink keeps one recording's chunks. The chunk and the recording's
 * total are written in one transaction, so after a crash the total always
 * matches the chunks that were kept.
 */
export function recordingSink(meta: RecordingMeta, recordedMs: () => number): ChunkSink {
  return {
    async put(chunk, totalBytes) {
      const db = await open();
      const tx = db.transaction([RECORDINGS, CHUNKS], 'readwrite');
      meta.totalBytes = totalBytes;
      meta.chunkCount = chunk.seq + 1;
      meta.recordedMs = recordedMs();
      tx.objectStore(CHUNKS).put({ videoId: meta.videoId, ...chunk } satisfies ChunkRow);
      tx.objectStore(RECORDINGS).put(meta);
      await done(tx);
    },
    async ack(serverOffset) {
      const db = await open();
      const tx = db.transaction(CHUNKS, 'readwrite');
      const store = tx.objectStore(CHUNKS);
      const cursorReq = store.openCursor(chunkRange(meta.videoId));
      cursorReq.onsuccess = () => {
        const cur = cursorReq.result;
        if (!cur) return;
        const row = cur.value as ChunkRow;
        if (row.offset + row.size > serverOffset) return; // in order: the rest is newer
        cur.delete();
        cur.continue();
      };
      await done(tx);
    },
  };
}
