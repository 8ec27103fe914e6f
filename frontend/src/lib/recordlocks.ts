// Web Locks named for the video a tab is recording or uploading, so that
// other tabs do not offer to recover a recording that is still alive.

const PREFIX = 'baton-recording:';

/** acquireLock holds the lock for videoId until the returned function is called. */
export function acquireLock(videoId: string): () => void {
  let release: () => void = () => {};
  if (navigator.locks) {
    const held = new Promise<void>((r) => {
      release = r;
    });
    void navigator.locks.request(PREFIX + videoId, () => held).catch(() => {});
  }
  return release;
}

/** lockedVideos lists the videos some tab of this browser holds a lock for. */
export async function lockedVideos(): Promise<Set<string>> {
  if (!navigator.locks) return new Set();
  try {
    const q = await navigator.locks.query();
    return new Set((q.held ?? []).map((l) => l.name ?? '').filter((n) => n.startsWith(PREFIX)).map((n) => n.slice(PREFIX.length)));
  } catch {
    return new Set();
  }
}
