// The Embed dialog: a live preview of the player as it will appear, the
// size (fill the width at 16:9, or fixed), where it starts and whether it
// plays by itself (muted, the only way browsers allow), and the code to
// copy.
import { copyWithToast } from './clipboard';
import { formDialog, nextDialogId } from './dialog';
import { h } from './dom';
import { formatClock } from './format';
import { DEFAULT_EMBED, embedCode, embedSrc, type EmbedOptions } from './route';
import { parseTimecode } from './comments/timecode';

/** embedDialog opens the dialog for the embed page at base; nowSeconds is the watch page's current time. */
export function embedDialog(base: string, title: string, nowSeconds: number): Promise<void> {
  const n = nextDialogId();
  const id = (s: string): string => `embed-${s}-${n}`;
  const o: EmbedOptions = { ...DEFAULT_EMBED };

  const sizeResponsive = h('input', { type: 'radio', name: id('size'), id: 'embed-size-responsive', value: 'responsive', class: 'choice__input', checked: true });
  const sizeFixed = h('input', { type: 'radio', name: id('size'), id: 'embed-size-fixed', value: 'fixed', class: 'choice__input' });
  const width = h('input', { type: 'number', id: 'embed-width', class: 'input input--narrow', min: 160, max: 3840, step: 10, value: o.width, inputmode: 'numeric' });
  const height = h('input', { type: 'number', id: 'embed-height', class: 'input input--narrow', min: 90, max: 2160, step: 10, value: o.height, inputmode: 'numeric' });
  const fixedFields = h('div', { class: 'embed-dialog__inline', hidden: true },
    h('label', { class: 'visually-hidden', for: width.id, text: 'Width in pixels' }), width,
    h('span', { 'aria-hidden': 'true', text: '×' }),
    h('label', { class: 'visually-hidden', for: height.id, text: 'Height in pixels' }), height,
    h('span', { class: 'embed-dialog__note', text: 'px' }));
  const startOn = h('input', { type: 'checkbox', id: 'embed-start-on', class: 'check__input' });
  const start = h('input', { type: 'text', id: 'embed-start', class: 'input input--small', value: formatClock(nowSeconds * 1000), autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Start at (m:ss)' });
  const autoplay = h('input', { type: 'checkbox', id: 'embed-autoplay', class: 'check__input' });
  const code = h('textarea', { id: 'embed-code', class: 'input embed-dialog__code', readonly: true, rows: 3, spellcheck: 'false', 'aria-label': 'Embed code' });
  const preview = h('iframe', { id: 'embed-preview', class: 'embed-dialog__preview', title: 'Preview', allow: 'autoplay; fullscreen; picture-in-picture', loading: 'lazy' });
  const problem = h('p', { class: 'dialog__error', role: 'alert', hidden: true });

  const check = (input: HTMLInputElement, label: string, ...extra: HTMLElement[]): HTMLElement =>
    h('div', { class: 'embed-dialog__row' }, h('label', { class: 'check', for: input.id }, input, h('span', { class: 'check__text' }, h('span', { class: 'check__label', text: label }))), ...extra);

  let lastSrc = '';
  const sync = (): void => {
    o.responsive = sizeResponsive.checked;
    fixedFields.hidden = o.responsive;
    o.width = Number(width.value) || DEFAULT_EMBED.width;
    o.height = Number(height.value) || DEFAULT_EMBED.height;
    start.disabled = !startOn.checked;
    let s = 0;
    problem.hidden = true;
    if (startOn.checked) {
      const ms = parseTimecode(start.value);
      if (ms === null) {
        problem.textContent = 'Write the start time as m:ss, e.g. 1:23.';
        problem.hidden = false;
      } else s = ms / 1000;
    }
    o.start = s;
    o.autoplay = autoplay.checked;
    code.value = embedCode(base, title, o);
    // The preview never autoplays with sound; reloading it only when the address changes.
    const src = embedSrc(base, { start: o.start, autoplay: o.autoplay });
    if (src !== lastSrc) {
      lastSrc = src;
      preview.src = src;
    }
    preview.classList.toggle('embed-dialog__preview--fixed', !o.responsive);
    preview.style.aspectRatio = o.responsive ? '16 / 9' : `${o.width} / ${o.height}`;
  };
  for (const el of [sizeResponsive, sizeFixed, width, height, startOn, start, autoplay]) {
    el.addEventListener('input', sync);
    el.addEventListener('change', sync);
  }
  code.addEventListener('focus', () => code.select());
  sync();

  const body = [
    h('div', { class: 'embed-dialog__stage' }, preview),
    h('fieldset', { class: 'fieldset embed-dialog__section' },
      h('legend', { class: 'field__label', text: 'Size' }),
      h('div', { class: 'choices choices--inline' },
        h('label', { class: 'choice', for: sizeResponsive.id }, sizeResponsive, h('span', { class: 'choice__text' }, h('span', { class: 'choice__label', text: 'Responsive' }), h('span', { class: 'choice__hint', text: 'Fills the width, 16:9' }))),
        h('label', { class: 'choice', for: sizeFixed.id }, sizeFixed, h('span', { class: 'choice__text' }, h('span', { class: 'choice__label', text: 'Fixed size' }), h('span', { class: 'choice__hint', text: 'Width × height' })))),
      fixedFields),
    h('div', { class: 'embed-dialog__section' },
      check(startOn, 'Start at', start),
      check(autoplay, 'Play automatically (muted)')),
    problem,
    h('div', { class: 'embed-dialog__section' }, h('label', { class: 'field__label', for: code.id, text: 'Code' }), code),
  ];
  return formDialog({
    title: 'Embed', subtitle: title, submitLabel: 'Copy code', cancelLabel: 'Close', id: 'embed-dialog', submitId: 'embed-copy',
    wide: true, formClass: 'embed-dialog', body,
    action: async () => {
      sync();
      if (!problem.hidden) throw new Error(problem.textContent ?? 'Check the start time.');
      await copyWithToast(code.value, 'Embed code');
    },
    focus: () => sizeResponsive,
  }).then(() => undefined);
}
