// Copy to clipboard, with a fallback for insecure origins (plain http on a
// LAN address), where navigator.clipboard does not exist.
import { toast } from './toast';

export async function copyText(text: string): Promise<boolean> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission denied or document not focused: try the old way.
    }
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  ta.style.pointerEvents = 'none';
  const active = document.activeElement as HTMLElement | null;
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  active?.focus();
  return ok;
}

/** copyWithToast copies and tells the person what happened. */
export async function copyWithToast(text: string, what = 'Link'): Promise<boolean> {
  const ok = await copyText(text);
  if (ok) toast(`${what} copied to clipboard`, 'success');
  else toast(`Couldn’t copy automatically. Select the ${what.toLowerCase()} and copy it: ${text}`, 'error');
  return ok;
}
