// Accounts: who is signed in, signing in and out, API tokens, members and
// invites, and the account menu in the page header. The session lives in
// an HttpOnly cookie the scripts never see; they only ask the server.
import { request, type Sharing, type Video } from './api';
import { h } from './dom';
import { menuButton } from './menu';
import { bellButton } from './notify/bell';

export interface User {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'member';
  createdAt: string;
}

export interface AuthOptions {
  /** Anyone may create an account (or nobody has yet). */
  signupOpen: boolean;
  /** No account exists yet: the first one becomes the admin. */
  setupRequired: boolean;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt?: string;
  /** The secret, only right after it was made. */
  token?: string;
}

export interface Invite {
  id: string;
  role: 'admin' | 'member';
  createdAt: string;
  expiresAt: string;
  /** The link, only right after it was made. */
  url?: string;
}

const enc = encodeURIComponent;

export function authOptions(): Promise<AuthOptions> {
  return request('GET', '/api/auth/options');
}

/**
 * me is the signed-in user, or null when signed out. It asks
 * /api/auth/session, which answers 200 either way, so that a signed-out
 * visit does not log a failed request.
 */
export async function me(): Promise<User | null> {
  const r = await request<{ user: User | null }>('GET', '/api/auth/session');
  return r.user ?? null;
}

export async function login(email: string, password: string): Promise<User> {
  return (await request<{ user: User }>('POST', '/api/auth/login', { email, password })).user;
}

export async function signup(input: { email: string; name: string; password: string; invite?: string }): Promise<User> {
  return (await request<{ user: User }>('POST', '/api/auth/signup', input)).user;
}

export function logout(): Promise<void> {
  return request('POST', '/api/auth/logout');
}

export function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  return request('POST', '/api/auth/password', { currentPassword, newPassword });
}

export async function updateProfile(name: string): Promise<User> {
  return (await request<{ user: User }>('PATCH', '/api/auth/me', { name })).user;
}

export async function listTokens(): Promise<ApiToken[]> {
  return (await request<{ tokens: ApiToken[] }>('GET', '/api/auth/tokens')).tokens;
}

export function createToken(name: string): Promise<ApiToken> {
  return request('POST', '/api/auth/tokens', { name });
}

export function revokeToken(id: string): Promise<void> {
  return request('DELETE', `/api/auth/tokens/${enc(id)}`);
}

export function checkInvite(token: string): Promise<{ role: string; expiresAt: string }> {
  return request('GET', `/api/auth/invite/${enc(token)}`);
}

export async function listMembers(): Promise<User[]> {
  return (await request<{ members: User[] }>('GET', '/api/members')).members;
}

export function setRole(id: string, role: 'admin' | 'member'): Promise<User> {
  return request('PATCH', `/api/members/${enc(id)}`, { role });
}

export function removeMember(id: string): Promise<void> {
  return request('DELETE', `/api/members/${enc(id)}`);
}

export async function listInvites(): Promise<Invite[]> {
  return (await request<{ invites: Invite[] }>('GET', '/api/invites')).invites;
}

export function createInvite(role: 'admin' | 'member'): Promise<Invite> {
  return request('POST', '/api/invites', { role });
}

export function revokeInvite(id: string): Promise<void> {
  return request('DELETE', `/api/invites/${enc(id)}`);
}

/** SharingChange is what the sharing dialog sends; absent fields stay. */
export interface SharingChange {
  visibility?: Sharing['visibility'];
  /** "" removes the password. */
  password?: string;
  /** null removes the expiry. */
  expiresAt?: string | null;
  maxViews?: number;
  allowDownload?: boolean;
  guestComments?: boolean;
}

export function updateSharing(id: string, change: SharingChange): Promise<Video> {
  return request('PATCH', `/api/videos/${enc(id)}/sharing`, change);
}

export function regenerateLink(id: string): Promise<Video> {
  return request('POST', `/api/videos/${enc(id)}/sharing/regenerate`);
}

export function unlockVideo(slug: string, password: string): Promise<Video> {
  return request('POST', `/api/share/${enc(slug)}/unlock`, { password });
}

/** initials are up to two letters of a name, for the avatar. */
export function initials(name: string): string {
  const words = name.trim().split(/[\s._@-]+/).filter(Boolean);
  const letters = words.length >= 2 ? [words[0], words[words.length - 1]] : [words[0] ?? '?'];
  return letters.map((w) => Array.from(w ?? '')[0] ?? '').join('').toUpperCase() || '?';
}

/**
 * safeNext returns a path on this site to go to after signing in, from the
 * ?next= parameter; anything else (another site, a protocol-relative URL)
 * becomes "/".
 */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

/**
 * accountMenu fills the header slot with the account button (initials,
 * menu: account settings, sign out) for a signed-in user, or a "Sign in"
 * link for everyone else.
 */
export function accountMenu(slot: HTMLElement, user: User | null): void {
  if (!user) {
    const next = location.pathname + location.search;
    slot.replaceChildren(h('a', {
      class: 'btn btn--secondary btn--small',
      id: 'sign-in-link',
      href: `/login?next=${enc(next)}`,
      text: 'Sign in',
    }));
    return;
  }
  const menu = menuButton({
    label: `Account: ${user.name}`,
    className: 'avatar-btn',
    items: [
      { label: 'Account and API tokens', icon: 'user', action: 'account', onSelect: () => location.assign('/account') },
      { label: 'Sign out', icon: 'logout', action: 'sign-out', onSelect: () => void signOut() },
    ],
  });
  // The menu button shows initials instead of the dots.
  const btn = menu.querySelector('button');
  if (btn) {
    btn.id = 'account-button';
    btn.replaceChildren(h('span', { class: 'avatar', 'aria-hidden': 'true', text: initials(user.name) }));
    btn.title = `${user.name} (${user.email})`;
  }
  const header = h('div', { class: 'menu__header', role: 'presentation' },
    h('span', { class: 'menu__name', text: user.name }),
    h('span', { class: 'menu__email', text: user.email }),
  );
  menu.querySelector('[role="menu"]')?.prepend(header);
  slot.replaceChildren(bellButton(), menu); // notify/bell.ts
}

async function signOut(): Promise<void> {
  try {
    await logout();
  } finally {
    location.assign('/login');
  }
}
