// Modal dialogs on the native <dialog> element: it traps focus, closes on
// Escape and returns focus to the opener by itself.
import { h } from './dom';

interface DialogParts {
  dialog: HTMLDialogElement;
  form: HTMLFormElement;
  body: HTMLElement;
  error: HTMLElement;
  submit: HTMLButtonElement;
  cancel: HTMLButtonElement;
}

let seq = 0;

/** nextDialogId numbers ids of elements inside dialogs, unique on the page. */
export function nextDialogId(): number {
  return ++seq;
}

export interface DialogOptions {
  title: string;
  submitLabel: string;
  /** Default "Cancel"; "Close" where the dialog saves nothing by itself. */
  cancelLabel?: string;
  danger?: boolean;
  id?: string;
  /** dialog--wide for forms with several sections. */
  wide?: boolean;
  /** Extra class on the form (the dialog's own styles). */
  formClass?: string;
  submitId?: string;
  /** Under the title: a line saying what the dialog is about. */
  subtitle?: string;
}

function build(opts: DialogOptions): DialogParts {
  const n = nextDialogId();
  const titleId = `dialog-title-${n}`;
  const error = h('p', { class: 'dialog__error', role: 'alert', hidden: true });
  const submit = h('button', {
    type: 'submit',
    class: `btn ${opts.danger ? 'btn--danger' : 'btn--primary'}`,
    'data-action': 'confirm',
    id: opts.submitId,
    text: opts.submitLabel,
  });
  const cancel = h('button', {
    type: 'button',
    class: 'btn btn--secondary',
    'data-action': 'cancel',
    text: opts.cancelLabel ?? 'Cancel',
  });
  const body = h('div', { class: 'dialog__body' });
  const form = h('form', { method: 'dialog', class: `dialog__form${opts.formClass ? ` ${opts.formClass}` : ''}` },
    h('div', { class: 'dialog__head' },
      h('h2', { class: 'dialog__title', id: titleId, text: opts.title }),
      opts.subtitle ? h('p', { class: 'dialog__subtitle', text: opts.subtitle }) : null),
    body,
    error,
    h('div', { class: 'dialog__actions' }, cancel, submit),
  );
  const dialog = h('dialog', { class: `dialog${opts.wide ? ' dialog--wide' : ''}`, 'aria-labelledby': titleId, id: opts.id }, form);
  document.body.appendChild(dialog);
  return { dialog, form, body, error, submit, cancel };
}

/**
 * runDialog shows a dialog whose confirm button runs `action`. If the action
 * throws, its message is shown inside the dialog and it stays open. Resolves
 * with the action's result, or null when cancelled.
 */
function runDialog<T>(parts: DialogParts, action: () => Promise<T>, focus?: HTMLElement): Promise<T | null> {
  const { dialog, form, error, submit, cancel } = parts;
  return new Promise((resolve) => {
    let result: T | null = null;
    let busy = false;
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('cancel', (ev) => {
      if (busy) ev.preventDefault();
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) return;
      busy = true;
      submit.disabled = true;
      submit.setAttribute('aria-busy', 'true');
      error.hidden = true;
      try {
        result = await action();
        dialog.close();
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : 'Something went wrong. Try again.';
        error.hidden = false;
      } finally {
        busy = false;
        submit.disabled = false;
        submit.removeAttribute('aria-busy');
      }
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    dialog.showModal();
    (focus ?? submit).focus();
  });
}

/**
 * formDialog is the dialog every other one is made of: a title, the body
 * the caller builds, an error line and Cancel/confirm buttons. The confirm
 * button runs `action`; an Error it throws is shown in the dialog, which
 * stays open. Resolves with the action's result, or null when cancelled.
 * `focus` is what has focus when it opens (default: the confirm button).
 */
export function formDialog<T>(opts: DialogOptions & {
  body: (Node | null)[];
  action: () => Promise<T>;
  focus?: () => HTMLElement | null | undefined;
}): Promise<T | null> {
  const parts = build(opts);
  parts.body.append(...opts.body.filter((n): n is Node => n !== null));
  return runDialog(parts, opts.action, opts.focus?.() ?? undefined);
}

/** confirmDialog asks before something irreversible, then runs it. */
export function confirmDialog<T>(opts: {
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
  id?: string;
  action: () => Promise<T>;
}): Promise<T | null> {
  const parts = build({ title: opts.title, submitLabel: opts.confirmLabel, danger: opts.danger, id: opts.id });
  parts.body.appendChild(h('p', { class: 'dialog__message', text: opts.message }));
  // Destructive dialogs focus Cancel, so a stray Enter does no harm.
  return runDialog(parts, opts.action, opts.danger ? parts.cancel : undefined);
}

/** textDialog asks for one line of text (e.g. a new title) and saves it with `action`. */
export function textDialog<T>(opts: {
  title: string;
  label: string;
  value: string;
  submitLabel: string;
  maxLength?: number;
  id?: string;
  action: (value: string) => Promise<T>;
}): Promise<T | null> {
  const parts = build({ title: opts.title, submitLabel: opts.submitLabel, id: opts.id });
  const inputId = `dialog-input-${nextDialogId()}`;
  const input = h('input', {
    id: inputId,
    class: 'input',
    type: 'text',
    name: 'value',
    required: true,
    autocomplete: 'off',
    spellcheck: 'true',
    maxlength: opts.maxLength ?? 200,
  });
  input.value = opts.value;
  parts.body.append(h('label', { class: 'field__label', for: inputId, text: opts.label }), input);
  const done = runDialog(parts, () => opts.action(input.value.trim()), input);
  input.select();
  return done;
}
