// Finishing recordings a tab left behind: a recording whose tab closed or
// crashed before its upload finished is still in IndexedDB
// (lib/chunkstore.ts). The recorder page offers its own recordings and the
// watch page the replies recorded in its threads; both go through here.
import { ChunkUploader, type UploadStatus } from './chunkupload';
import { deleteRecording, indexedDBAvailable, listRecordings, loadChunks, recordingSink, type RecordingMeta } from './chunkstore';
import { acquireLock, lockedVideos } from './recordlocks';

/** unfinished lists the kept recordings that keep selects and no tab of this browser is working on, oldest first. */
export async function unfinished(keep: (m: RecordingMeta) => boolean): Promise<RecordingMeta[]> {
  if (!indexedDBAvailable()) return [];
  let list: RecordingMeta[];
  try {
    list = await listRecordings();
  } catch {
    return [];
  }
  const held = await lockedVideos();
  return list.filter((m) => keep(m) && !held.has(m.videoId));
}

/** A kept recording being uploaded again; release the lock once it is settled. */
export interface Resumed {
  uploader: ChunkUploader;
  release: () => void;
}

/**
 * resume takes the recording for this tab (other tabs stop offering it)
 * and makes the uploader that sends what the server does not have yet;
 * call uploader.finish(), then forget().
 */
export async function resume(m: RecordingMeta, onStatus?: (s: UploadStatus) => void): Promise<Resumed> {
  const release = acquireLock(m.videoId);
  try {
    const chunks = await loadChunks(m.videoId);
    const uploader = new ChunkUploader({
      uploadUrl: m.uploadUrl, sink: recordingSink(m, () => m.recordedMs), chunks, produced: m.totalBytes, onStatus,
    });
    return { uploader, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** forget deletes what is kept of a recording (uploaded, refused or thrown away). */
export async function forget(videoId: string): Promise<void> {
  await deleteRecording(videoId).catch(() => {});
}
