// The owner's title and description on the watch page, edited in place:
// click (or Enter on) the title or the description to edit, Enter saves
// (Shift+Enter is a new line in the description), Escape cancels, and an
// error stays next to the field. Viewers see plain text.
import type { Video } from './api';
import { request } from './api';
import { h, icon } from './dom';

export interface DetailsView {
  render(v: Video): void;
}

type Field = 'title' | 'description';

export function mountDetails(titleEl: HTMLElement, descEl: HTMLElement, onSaved: (v: Video) => void): DetailsView {
  let video: Video | null = null;
  let editing: Field | null = null;

  const save = async (f: Field, value: string): Promise<Video> => {
    if (!video) throw new Error('No video.');
    if (f === 'title' && !value.trim()) throw new Error('Give the video a title.');
    return request<Video>('PATCH', `/api/videos/${encodeURIComponent(video.id)}`, { [f]: value });
  };

  function edit(f: Field): void {
    if (!video?.isOwner || editing) return;
    editing = f;
    const host = f === 'title' ? titleEl : descEl;
    const current = f === 'title' ? video.title : video.description ?? '';
    const input = f === 'title'
      ? h('input', { id: 'title-input', class: 'input inline-edit__input inline-edit__input--title', type: 'text', maxlength: 200, 'aria-label': 'Title', autocomplete: 'off' })
      : h('textarea', { id: 'description-input', class: 'input inline-edit__input', rows: 3, maxlength: 2000, 'aria-label': 'Description', placeholder: 'What is this video about?' });
    input.value = current;
    const error = h('p', { class: 'inline-edit__error', role: 'alert', id: `${f}-error`, hidden: true });
    const hint = h('p', { class: 'inline-edit__hint', text: f === 'title' ? 'Enter saves · Esc cancels' : 'Enter saves · Shift+Enter new line · Esc cancels' });
    const form = h('form', { class: 'inline-edit', id: `${f}-form` }, input, error, hint);
    host.hidden = true;
    host.after(form);
    input.focus();
    input.select();
    const close = (): void => {
      editing = null;
      form.remove();
      host.hidden = false;
      if (video) render(video);
      (host.querySelector<HTMLElement>('.inline-edit__trigger') ?? host).focus();
    };
    let busy = false;
    const submit = async (): Promise<void> => {
      if (busy) return;
      const value = input.value;
      if (value === current) return close();
      busy = true;
      input.setAttribute('aria-busy', 'true');
      error.hidden = true;
      try {
        const v = await save(f, value);
        video = { ...video!, ...v };
        onSaved(video);
        close();
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : 'Couldn’t save. Try again.';
        error.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', error.id);
        input.focus();
      } finally {
        busy = false;
        input.removeAttribute('aria-busy');
      }
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void submit();
    });
    input.addEventListener('keydown', (ev) => {
      const k = ev as KeyboardEvent;
      if (k.key === 'Escape') {
        k.preventDefault();
        k.stopPropagation();
        close();
      } else if (k.key === 'Enter' && !k.shiftKey && !k.isComposing) {
        k.preventDefault();
        void submit();
      }
    });
  }

  function render(v: Video): void {
    video = v;
    if (editing) return;
    const title = v.title || 'Untitled video';
    const desc = v.description ?? '';
    if (v.isOwner) {
      titleEl.replaceChildren(h('button', {
        type: 'button', class: 'inline-edit__trigger', id: 'title-edit', title: 'Edit the title',
        onclick: () => edit('title'),
      }, h('span', { class: 'inline-edit__text', text: title }), icon('pencil', 18)));
      descEl.hidden = false;
      descEl.replaceChildren(desc
        ? h('button', { type: 'button', class: 'inline-edit__trigger inline-edit__trigger--text', id: 'description-edit', title: 'Edit the description', onclick: () => edit('description') },
          h('span', { class: 'inline-edit__text', text: desc }), icon('pencil', 16))
        : h('button', { type: 'button', class: 'link-btn inline-edit__add', id: 'description-edit', onclick: () => edit('description') },
          icon('plus', 16), h('span', { text: 'Add a description' })));
    } else {
      titleEl.textContent = title;
      descEl.textContent = desc;
      descEl.hidden = !desc;
    }
  }

  return { render };
}
