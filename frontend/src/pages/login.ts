// Sign-in page: /login, /signup, /invite/{token}, and / for signed-out
// visitors. One form in three modes: sign in; sign up (open sign-up, or the
// very first account, which becomes the admin); and joining through an
// invite link, which works even when sign-up is closed.
import '../styles/auth.css';

import { ApiError } from '../lib/api';
import { authOptions, checkInvite, login, me, safeNext, signup } from '../lib/auth';
import { $, h } from '../lib/dom';

type Mode = 'login' | 'signup' | 'setup' | 'invite';

const form = $<HTMLFormElement>('auth-form');
const title = $('auth-title');
const lead = $('auth-lead');
const errorBox = $('auth-error');
const nameField = $('name-field');
const nameInput = $<HTMLInputElement>('auth-name');
const emailInput = $<HTMLInputElement>('auth-email');
const pwInput = $<HTMLInputElement>('auth-password');
const pwHint = $('password-hint');
const submit = $<HTMLButtonElement>('auth-submit');
const switchLine = $('auth-switch');

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'));
const inviteToken = location.pathname.startsWith('/invite/') ? decodeURIComponent(location.pathname.slice('/invite/'.length)) : '';

let mode: Mode = 'login';

// The form is only ever sent by this script, as JSON (the API refuses form
// bodies, which other sites could post); the page ships its button
// disabled so that nothing is posted without it.
submit.disabled = false;

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function setMode(m: Mode, signupOpen: boolean): void {
  mode = m;
  const joining = m !== 'login';
  nameField.hidden = !joining;
  pwHint.hidden = !joining;
  pwInput.autocomplete = joining ? 'new-password' : 'current-password';
  const texts: Record<Mode, [string, string, string]> = {
    login: ['Sign in', 'Welcome back. Sign in to record and share videos.', 'Sign in'],
    signup: ['Create your account', 'Record your screen and camera, and share the link in seconds.', 'Create account'],
    setup: ['Set up Baton', 'Create the first account. It becomes the admin of this workspace.', 'Create admin account'],
    invite: ['Join the workspace', 'You were invited. Create your account to watch and share videos with the team.', 'Join'],
  };
  const [t, l, s] = texts[m];
  title.textContent = t;
  lead.textContent = l;
  submit.textContent = s;
  document.title = `${t} · Baton`;
  const keep = next !== '/' ? `?next=${encodeURIComponent(next)}` : '';
  switchLine.replaceChildren();
  if (m === 'login' && signupOpen) {
    switchLine.append('New here? ', h('a', { href: `/signup${keep}`, text: 'Create an account' }));
  } else if (m === 'signup' || m === 'invite') {
    switchLine.append('Already have an account? ', h('a', { href: `/login${keep}`, text: 'Sign in' }));
  } else if (m === 'login') {
    switchLine.append('No account? Ask an admin of this Baton for an invite link.');
  }
  (joining ? nameInput : emailInput).focus();
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  errorBox.hidden = true;
  const email = emailInput.value.trim();
  const password = pwInput.value;
  if (!email || !password) {
    showError('Enter your email and password.');
    (email ? pwInput : emailInput).focus();
    return;
  }
  if (mode !== 'login' && [...password].length < 10) {
    showError('Use a password of at least 10 characters.');
    pwInput.focus();
    return;
  }
  submit.disabled = true;
  submit.setAttribute('aria-busy', 'true');
  try {
    if (mode === 'login') await login(email, password);
    else await signup({ email, name: nameInput.value.trim(), password, invite: mode === 'invite' ? inviteToken : undefined });
    location.assign(next);
  } catch (err) {
    showError(err instanceof Error ? err.message : 'Something went wrong. Try again.');
    pwInput.select();
    submit.disabled = false;
    submit.removeAttribute('aria-busy');
  }
});

async function start(): Promise<void> {
  try {
    // Already signed in (and not joining through an invite): go on.
    if (!inviteToken && (await me())) {
      location.replace(next);
      return;
    }
    const opts = await authOptions();
    if (inviteToken) {
      try {
        const inv = await checkInvite(inviteToken);
        setMode('invite', opts.signupOpen);
        if (inv.role === 'admin') lead.textContent = 'You were invited as an admin. Create your account to join the workspace.';
      } catch (err) {
        setMode('login', opts.signupOpen);
        showError(err instanceof ApiError ? err.message : 'This invite link isn’t valid.');
      }
      return;
    }
    if (opts.setupRequired) setMode('setup', true);
    else if (location.pathname === '/signup' && opts.signupOpen) setMode('signup', true);
    else {
      if (location.pathname === '/signup') showError('Sign-up is closed here. Ask an admin for an invite link.');
      setMode('login', opts.signupOpen);
    }
  } catch (err) {
    setMode('login', false);
    showError(err instanceof Error ? err.message : 'Couldn’t reach Baton.');
  }
}

void start();
