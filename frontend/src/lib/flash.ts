// A message for the next page: the recorder copies the link, then moves to
// the video's page, which says so (a toast on the old page would vanish
// with it). Kept in sessionStorage, read once.

const KEY = 'baton.flash';

export function setFlash(message: string): void {
  try {
    sessionStorage.setItem(KEY, message);
  } catch {
    // No storage: the page just doesn't say it.
  }
}

export function takeFlash(): string {
  try {
    const m = sessionStorage.getItem(KEY) ?? '';
    sessionStorage.removeItem(KEY);
    return m;
  } catch {
    return '';
  }
}
