// Toasts: short messages in a live region, so screen readers announce them.
// Errors stay longer and use an assertive region.
import { h, icon } from './dom';

export type ToastKind = 'info' | 'success' | 'error';

let politeRegion: HTMLElement | null = null;
let alertRegion: HTMLElement | null = null;

function regions(): { polite: HTMLElement; alert: HTMLElement } {
  if (!politeRegion || !alertRegion) {
    const stack = h('div', { class: 'toasts', id: 'toasts' });
    politeRegion = h('div', { class: 'toasts__region', role: 'status', 'aria-live': 'polite' });
    alertRegion = h('div', { class: 'toasts__region', role: 'alert', 'aria-live': 'assertive' });
    stack.append(alertRegion, politeRegion);
    document.body.appendChild(stack);
  }
  return { polite: politeRegion, alert: alertRegion };
}

/** toast shows a message for a few seconds. Messages are plain text. */
export function toast(message: string, kind: ToastKind = 'info'): void {
  const { polite, alert } = regions();
  const region = kind === 'error' ? alert : polite;
  const close = h('button', {
    type: 'button',
    class: 'toast__close',
    'aria-label': 'Dismiss',
  }, icon('close', 16));
  const el = h('div', { class: `toast toast--${kind}`, 'data-kind': kind },
    kind === 'success' ? icon('check', 18) : kind === 'error' ? icon('alert', 18) : null,
    h('p', { class: 'toast__text', text: message }),
    close,
  );
  let timer = 0;
  const dismiss = (): void => {
    window.clearTimeout(timer);
    el.remove();
  };
  close.addEventListener('click', dismiss);
  const schedule = (): void => {
    timer = window.setTimeout(dismiss, kind === 'error' ? 9000 : 4000);
  };
  // Keep the toast while it is being read with a pointer or focused.
  el.addEventListener('mouseenter', () => window.clearTimeout(timer));
  el.addEventListener('mouseleave', schedule);
  el.addEventListener('focusin', () => window.clearTimeout(timer));
  region.appendChild(el);
  while (region.childElementCount > 3) region.firstElementChild?.remove();
  schedule();
}

/** toastError shows an error's message; ApiError messages are written for people. */
export function toastError(err: unknown, fallback = 'Something went wrong. Try again.'): void {
  const msg = err instanceof Error && err.message ? err.message : fallback;
  toast(msg, 'error');
}
