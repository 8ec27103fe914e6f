// Menu button following the WAI-ARIA menu button pattern: Enter/Space/Down
// open and focus the first item, Up opens on the last, arrows/Home/End move,
// Escape closes and returns focus, Tab or a click outside closes.
import { h, icon } from './dom';

export interface MenuItem {
  label: string;
  icon?: Parameters<typeof icon>[0];
  danger?: boolean;
  action: string;
  onSelect: () => void;
}

let seq = 0;

export function menuButton(opts: { label: string; items: MenuItem[]; className?: string }): HTMLElement {
  const n = ++seq;
  const menuId = `menu-${n}`;
  const button = h('button', {
    type: 'button',
    class: `icon-btn ${opts.className ?? ''}`.trim(),
    id: `menu-button-${n}`,
    'aria-label': opts.label,
    'aria-haspopup': 'menu',
    'aria-expanded': 'false',
    'aria-controls': menuId,
    'data-action': 'menu',
  }, icon('more'));
  const items = opts.items.map((it) =>
    h('button', {
      type: 'button',
      role: 'menuitem',
      tabindex: '-1',
      class: `menu__item${it.danger ? ' menu__item--danger' : ''}`,
      'data-action': it.action,
    }, it.icon ? icon(it.icon, 18) : null, h('span', { text: it.label })),
  );
  const menu = h('div', {
    class: 'menu',
    role: 'menu',
    id: menuId,
    'aria-labelledby': button.id,
    hidden: true,
  }, ...items);
  const wrap = h('div', { class: 'menu-wrap' }, button, menu);

  const isOpen = (): boolean => !menu.hidden;
  const focusItem = (i: number): void => {
    const k = (i + items.length) % items.length;
    items[k]?.focus();
  };
  const onDocPointer = (ev: PointerEvent): void => {
    if (!wrap.contains(ev.target as Node)) close(false);
  };
  function open(focusIndex: number): void {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    wrap.classList.add('menu-wrap--open');
    document.addEventListener('pointerdown', onDocPointer, true);
    focusItem(focusIndex);
  }
  function close(returnFocus: boolean): void {
    if (!isOpen()) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    wrap.classList.remove('menu-wrap--open');
    document.removeEventListener('pointerdown', onDocPointer, true);
    if (returnFocus) button.focus();
  }

  button.addEventListener('click', (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    if (isOpen()) close(true);
    else open(0);
  });
  button.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      open(0);
    } else if (ev.key === 'ArrowUp') {
      ev.preventDefault();
      open(items.length - 1);
    }
  });
  menu.addEventListener('keydown', (ev) => {
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    switch (ev.key) {
      case 'ArrowDown':
        ev.preventDefault();
        focusItem(i + 1);
        break;
      case 'ArrowUp':
        ev.preventDefault();
        focusItem(i - 1);
        break;
      case 'Home':
        ev.preventDefault();
        focusItem(0);
        break;
      case 'End':
        ev.preventDefault();
        focusItem(items.length - 1);
        break;
      case 'Escape':
        ev.preventDefault();
        ev.stopPropagation();
        close(true);
        break;
      case 'Tab':
        close(false);
        break;
    }
  });
  items.forEach((el, i) => {
    el.addEventListener('click', (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      close(true);
      opts.items[i]?.onSelect();
    });
  });
  return wrap;
}
