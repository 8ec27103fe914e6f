// Notifications API: the inbox behind the bell, people's hours, follows,
// "new since my last visit", and webhooks.
import { request } from '../api';

export interface Notification {
  id: string;
  kind: 'comment' | 'reply' | 'mention' | 'resolved' | 'view' | 'ready'
    | 'checkin-prompt' | 'checkin-reminder' | 'checkin-round';
  videoId: string;
  videoSlug: string;
  title: string;
  commentId?: string;
  actor: string;
  text: string;
  timeMs: number;
  urgent: boolean;
  /** /v/{slug}?t=seconds: opens the video at the moment. */
  url: string;
  createdAt: string;
  /** "" while unread. */
  readAt: string;
}

export interface WorkingHours {
  days: string[];
  start: string;
  end: string;
}

export type EmailMode = 'working-hours' | 'daily' | 'off';

/** The notification part of GET /api/auth/me. */
export interface NotifySettings {
  timeZone: string;
  workingHours: WorkingHours;
  emailMode: EmailMode;
  /** false until the member saved settings once. */
  hoursSet: boolean;
  /** false when the server has no SMTP configured. */
  emailEnabled: boolean;
  /** HH:MM in the member's zone, when the server answered. */
  localTime: string;
  /** "Mon–Fri 09:00–17:30". */
  hoursText: string;
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  format: 'standard' | 'slack';
  workspace: boolean;
  createdAt: string;
  secret?: string;
}

export interface Delivery {
  id: string;
  type: string;
  state: 'pending' | 'delivered' | 'failed';
  createdAt: string;
  attempts: { at: string; statusCode: number; error: string; nextRetry: string }[];
}

const enc = encodeURIComponent;

export function inbox(limit = 20, before = ''): Promise<{ items: Notification[]; unread: number; next: string }> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (before) q.set('before', before);
  return request('GET', `/api/notifications?${q}`);
}

export function markRead(ids: string[] | 'all'): Promise<{ unread: number }> {
  return request('POST', '/api/notifications/read', ids === 'all' ? { all: true } : { ids });
}

export function settings(): Promise<NotifySettings & { user: { id: string } }> {
  return request('GET', '/api/auth/me');
}

export function saveSettings(change: Partial<Pick<NotifySettings, 'timeZone' | 'workingHours' | 'emailMode'>>): Promise<NotifySettings> {
  return request('PATCH', '/api/auth/me', change);
}

export function followState(videoId: string): Promise<{ following: boolean; signedIn: boolean }> {
  return request('GET', `/api/videos/${enc(videoId)}/follow`);
}

export function setFollow(videoId: string, on: boolean): Promise<{ following: boolean }> {
  return request(on ? 'POST' : 'DELETE', `/api/videos/${enc(videoId)}/follow`);
}

export function markSeen(videoId: string): Promise<{ lastSeenAt: string }> {
  return request('POST', `/api/videos/${enc(videoId)}/seen`);
}

export function newCommentCounts(videoIds: string[]): Promise<{ counts: Record<string, number> }> {
  return request('GET', `/api/notifications/counts?videoIds=${enc(videoIds.join(','))}`);
}

export function listWebhooks(): Promise<{ items: Webhook[] }> {
  return request('GET', '/api/webhooks');
}

export function createWebhook(w: { url: string; events: string[]; format: string; workspace?: boolean }): Promise<Webhook> {
  return request('POST', '/api/webhooks', w);
}

export function deleteWebhook(id: string): Promise<void> {
  return request('DELETE', `/api/webhooks/${enc(id)}`);
}

export function testWebhook(id: string): Promise<{ deliveryId: string }> {
  return request('POST', `/api/webhooks/${enc(id)}/test`);
}

export function webhookDeliveries(id: string): Promise<{ items: Delivery[] }> {
  return request('GET', `/api/webhooks/${enc(id)}/deliveries`);
}

/** browserZone is the IANA zone the browser runs in ("" if unknown). */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
  } catch {
    return '';
  }
}

/** clockIn is the time now in an IANA zone, HH:MM. */
export function clockIn(zone: string, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(now);
  } catch {
    return '';
  }
}

const DAY_NAMES: Record<string, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
export const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** describeHours writes working hours for people: "Mon–Fri 09:00–17:30". */
export function describeHours(h: WorkingHours): string {
  const on = WEEK.map((d) => h.days.includes(d));
  const runs: string[] = [];
  for (let i = 0; i < 7; ) {
    if (!on[i]) { i++; continue; }
    let j = i;
    while (j + 1 < 7 && on[j + 1]) j++;
    const a = DAY_NAMES[WEEK[i]!]!, b = DAY_NAMES[WEEK[j]!]!;
    if (j === i) runs.push(a);
    else if (j === i + 1) runs.push(a, b);
    else runs.push(`${a}–${b}`);
    i = j + 1;
  }
  return `${runs.join(', ')} ${h.start}–${h.end}`;
}

/** sentence says what a notification is about. */
export function sentence(n: Notification): string {
  const who = n.actor || 'Someone';
  const title = n.title || 'a video';
  switch (n.kind) {
    case 'comment': return `${who} commented on “${title}”`;
    case 'reply': return `${who} replied on “${title}”`;
    case 'mention': return `${who} mentioned you on “${title}”`;
    case 'resolved': return `${who} resolved your thread on “${title}”`;
    case 'view': return `“${title}”: ${n.text}`;
    case 'ready': return `“${title}” is ready to share`;
    case 'checkin-prompt': return `Time for your update: “${title}”`;
    case 'checkin-reminder': return `Your update for “${title}” is due soon`;
    case 'checkin-round': return `“${title}”: the round closed`;
  }
  return title;
}

/** atMoment reports whether a notification is about a moment of a video (it shows "at m:ss"). */
export function atMoment(n: Notification): boolean {
  return n.kind === 'comment' || n.kind === 'reply' || n.kind === 'mention' || n.kind === 'resolved';
}
