// Recurring check-ins: the API's shapes and calls.
import { request } from '../api';

export interface Person {
  id: string;
  name: string;
}

export interface Checkin {
  id: string;
  title: string;
  prompt: string;
  schedule: { days: string[]; time: string };
  dueAfter: string;
  maxLength: string;
  participants: Person[];
  observers: Person[];
  isOwner: boolean;
  url: string;
  createdAt: string;
}

export interface Post {
  user: Person;
  videoId: string;
  slug: string;
  title: string;
  durationMs: number;
  status: string;
  posterUrl: string;
  mp4Url: string;
  shareUrl: string;
  postedAt: string;
}

export interface Round {
  round: string;
  title: string;
  prompt: string;
  dueAt: string;
  posted: Post[];
  missing: Person[];
  away: Person[];
}

const enc = encodeURIComponent;

export function listCheckins(): Promise<{ checkins: Checkin[] }> {
  return request('GET', '/api/checkins', undefined, { cache: 'no-store' });
}

export function getCheckin(id: string): Promise<Checkin> {
  return request('GET', `/api/checkins/${enc(id)}`, undefined, { cache: 'no-store' });
}

export function createCheckin(body: {
  title: string; prompt: string; schedule: { days: string[]; time: string };
  participants: string[]; observers: string[]; dueAfter: string; maxLength: string;
}): Promise<Checkin> {
  return request('POST', '/api/checkins', body);
}

export function getRound(id: string, round = 'latest'): Promise<Round> {
  return request('GET', `/api/checkins/${enc(id)}/rounds/${enc(round)}`, undefined, { cache: 'no-store' });
}

export function postUpdate(id: string, round: string, videoId: string): Promise<unknown> {
  return request('POST', `/api/checkins/${enc(id)}/rounds/${enc(round)}/posts`, { videoId });
}

/** parseDuration reads Go's duration strings ("3m0s", "8h0m0s") as ms. */
export function parseDuration(s: string): number {
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)) {
    const n = Number(m[1]);
    ms += m[2] === 'h' ? n * 3600000 : m[2] === 'm' ? n * 60000 : m[2] === 's' ? n * 1000 : n;
  }
  return ms;
}
