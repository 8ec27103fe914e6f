// Library: "2 of 5 replied, 1 overdue" on the cards of videos that carry an ask.
import '../../styles/asks.css';

import { h } from '../dom';
import type { AskSummary } from './api';

/** askLine is the card's line, or null for videos without an ask. */
export function askLine(v: object): HTMLElement | null {
  // The library's JSON carries `ask` for the caller's videos that have one.
  const ask = (v as { ask?: AskSummary }).ask;
  if (!ask) return null;
  return h('p', { class: `card__ask${ask.overdue ? ' card__ask--overdue' : ''}`, text: ask.text });
}

/** mountWaitingLink adds "Waiting on me (n)" to the header's extra slot. */
export async function mountWaitingLink(slot: HTMLElement): Promise<void> {
  const { waitingOnMe } = await import('./api');
  let n = 0;
  try {
    n = (await waitingOnMe()).asks.length;
  } catch {
    return;
  }
  if (document.getElementById('waiting-link')) return;
  slot.prepend(h('a', { id: 'waiting-link', class: 'btn btn--ghost', href: '/waiting',
    text: n > 0 ? `Waiting on me (${n})` : 'Waiting on me' }));
}
