// The ask form: a question, a reply-by time in the owner's zone and the
// people who should answer (members picked by name, or any address). Used
// on the watch page and on the recorder's finish screen.
import { formDialog, nextDialogId } from '../dialog';
import { h } from '../dom';
import { toast } from '../toast';
import { getAsk, listMembers, putAsk, type Ask, type Member } from './api';
import { toLocalInput } from './ranges';

/** NEEDS says what a recipient will need to open the video. */
export const NEEDS: Record<string, string> = {
  link: 'opens with their personal link',
  'sign-in': 'will need to sign in (the video is shared with members)',
  password: 'will need the video’s password',
  unavailable: 'can’t open it: the video is visible only to you',
};

/** askDialog opens the form for the video; resolves with the saved ask or null. */
export async function askDialog(videoId: string): Promise<Ask | null> {
  const n = nextDialogId();
  let current: Ask | null = null;
  try {
    current = (await getAsk(videoId)) ?? null;
  } catch {
    current = null; // no ask yet
  }
  let members: Member[] = [];
  try {
    members = await listMembers();
  } catch {
    members = [];
  }
  const question = h('textarea', { id: `ask-q-${n}`, class: 'input ask-form__question', name: 'question', rows: 3, maxlength: 1000, required: true,
    placeholder: 'Which option do we ship?' });
  question.value = current?.question ?? '';
  const when = h('input', { id: `ask-by-${n}`, class: 'input', type: 'datetime-local', name: 'replyBy', required: true });
  const def = new Date(Date.now() + 2 * 24 * 3600 * 1000);
  def.setHours(17, 0, 0, 0);
  when.value = toLocalInput(current ? new Date(current.replyBy) : def);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const chosen = new Map<string, string>(); // member id or address -> label
  for (const r of current?.recipients ?? []) chosen.set(r.userId || r.email, r.name || r.email);
  const list = h('ul', { class: 'ask-form__chips', 'aria-label': 'Recipients' });
  const renderChips = () => {
    list.replaceChildren(...[...chosen].map(([key, label]) => h('li', { class: 'ask-chip' },
      h('span', { text: label }),
      h('button', { type: 'button', class: 'ask-chip__remove', 'aria-label': `Remove ${label}`, text: '×',
        onclick: () => { chosen.delete(key); renderChips(); } }))));
  };
  renderChips();
  const listId = `ask-members-${n}`;
  const who = h('input', { id: `ask-who-${n}`, class: 'input', type: 'text', list: listId, autocomplete: 'off',
    placeholder: 'A member’s name or any email address' });
  const datalist = h('datalist', { id: listId }, ...members.map((m) => h('option', { value: m.email, text: m.name })));
  const add = () => {
    const raw = who.value.trim();
    if (!raw) return;
    const m = members.find((x) => x.email.toLowerCase() === raw.toLowerCase() || x.name.toLowerCase() === raw.toLowerCase());
    if (m) chosen.set(m.id, m.name || m.email);
    else if (/^[^\s@]+@[^\s@]+$/.test(raw)) chosen.set(raw.toLowerCase(), raw.toLowerCase());
    else {
      toast(`“${raw}” is neither a member nor an email address.`, 'error');
      return;
    }
    who.value = '';
    renderChips();
  };
  who.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ',') {
      ev.preventDefault();
      add();
    }
  });
  // Enter in this field adds a person; it must not also submit the form.
  who.addEventListener('keypress', (ev) => {
    if (ev.key === 'Enter') ev.preventDefault();
  });
  const addBtn = h('button', { type: 'button', class: 'btn btn--secondary btn--small', text: 'Add', onclick: add });

  const saved = await formDialog<Ask>({
    title: current ? 'Edit the ask' : 'Ask for a reply',
    subtitle: 'Each person gets a personal link by email, in their working hours, and reminders until they answer.',
    submitLabel: current ? 'Save ask' : 'Send ask',
    wide: true,
    formClass: 'ask-form',
    focus: () => question,
    body: [
      h('label', { class: 'field__label', for: question.id, text: 'Question' }), question,
      h('label', { class: 'field__label', for: when.id, text: `Reply by (your time, ${zone})` }), when,
      h('label', { class: 'field__label', for: who.id, text: 'Who should answer' }),
      h('div', { class: 'ask-form__add' }, who, addBtn), datalist, list,
    ],
    action: async () => {
      add();
      if (!question.value.trim()) throw new Error('Write the question you want answered.');
      const by = new Date(when.value);
      if (Number.isNaN(by.getTime())) throw new Error('Pick the date and time to reply by.');
      if (chosen.size === 0) throw new Error('Add at least one person.');
      return putAsk(videoId, { question: question.value.trim(), replyBy: by.toISOString(), recipients: [...chosen.keys()] });
    },
  });
  if (saved) toast(saved.warnings.length ? 'Ask saved, with warnings: see below the video.' : 'Ask sent.', 'success');
  return saved;
}
