// The side of the watch page: tabs over the comment panel and the
// transcript panel (WAI-ARIA tabs: arrows move between tabs, Home/End,
// activation follows focus). Beside the video on wide screens, under it
// on phones. A panel about to be used (a marker opened a thread, N opens
// the composer) sends REVEAL and its tab is shown.
import { h } from '../dom';
import { REVEAL } from '../comments';

export interface SideTab {
  key: string;
  label: string;
  panel: HTMLElement;
}

export interface SideTabs {
  readonly root: HTMLElement;
  show(key: string, focus?: boolean): void;
  /** A count after the tab's label ("" for none). */
  setCount(key: string, text: string): void;
  readonly current: string;
  onChange(fn: (key: string) => void): void;
}

const STORE_KEY = 'baton.sideTab';

function remembered(): string {
  try {
    return localStorage.getItem(STORE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function sideTabs(tabs: SideTab[]): SideTabs {
  const list = h('div', { class: 'side__tabs', role: 'tablist', 'aria-label': 'Comments and transcript' });
  const buttons = tabs.map((t) => {
    const count = h('span', { class: 'side__count', 'data-count': t.key });
    const b = h('button', {
      type: 'button', role: 'tab', class: 'side__tab', id: `tab-${t.key}`, 'aria-controls': t.panel.id,
      'data-tab': t.key,
    }, h('span', { text: t.label }), count);
    t.panel.setAttribute('role', 'tabpanel');
    t.panel.setAttribute('aria-labelledby', b.id);
    list.append(b);
    return b;
  });
  const root = h('div', { class: 'side', id: 'side' }, list, ...tabs.map((t) => t.panel));
  let current = '';
  const listeners: ((key: string) => void)[] = [];

  function show(key: string, focus = false): void {
    const i = Math.max(0, tabs.findIndex((t) => t.key === key));
    const changed = current !== tabs[i]!.key;
    current = tabs[i]!.key;
    tabs.forEach((t, j) => {
      t.panel.hidden = j !== i;
      buttons[j]!.setAttribute('aria-selected', String(j === i));
      buttons[j]!.tabIndex = j === i ? 0 : -1;
    });
    root.dataset.tab = current;
    if (focus) buttons[i]!.focus();
    if (changed) {
      try {
        localStorage.setItem(STORE_KEY, current);
      } catch {
        // No storage: the first tab next time.
      }
      for (const fn of listeners) fn(current);
    }
  }

  list.addEventListener('click', (ev) => {
    const b = (ev.target as Element).closest<HTMLButtonElement>('[role="tab"]');
    if (b?.dataset.tab) show(b.dataset.tab);
  });
  list.addEventListener('keydown', (ev) => {
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    let next = -1;
    if (ev.key === 'ArrowRight') next = (i + 1) % buttons.length;
    else if (ev.key === 'ArrowLeft') next = (i - 1 + buttons.length) % buttons.length;
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = buttons.length - 1;
    if (next < 0) return;
    ev.preventDefault();
    show(tabs[next]!.key, true);
  });
  root.addEventListener(REVEAL, (ev) => {
    const t = tabs.find((x) => x.panel.contains(ev.target as Node));
    if (t && t.key !== current) show(t.key);
  });

  const first = remembered();
  show(tabs.some((t) => t.key === first) ? first : tabs[0]!.key);
  return {
    root,
    show,
    setCount(key, text) {
      const el = list.querySelector<HTMLElement>(`[data-count="${key}"]`);
      if (el) el.textContent = text;
    },
    get current() {
      return current;
    },
    onChange(fn) {
      listeners.push(fn);
    },
  };
}
