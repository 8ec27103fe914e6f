// Asks, receipts and insights: the API's shapes and calls.
import { request } from '../api';

export type AskState = 'not-opened' | 'opened' | 'watched' | 'replied' | 'acknowledged';

export interface AskRecipient {
  id: string;
  userId?: string;
  email: string;
  name: string;
  /** The recipient's personal link. */
  link: string;
  /** What they need to open it. */
  needs: 'link' | 'sign-in' | 'password' | 'unavailable';
  timeZone: string;
}

export interface Ask {
  question: string;
  replyBy: string;
  recipients: AskRecipient[];
  warnings: string[];
}

export interface Response {
  id: string;
  email: string;
  name: string;
  member: boolean;
  state: AskState;
  openedAt: string;
  watchedPercent: number;
  repliedAt: string;
  acknowledgedAt: string;
  overdue: boolean;
  away: boolean;
  awayUntil: string;
  timeZone: string;
}

export interface AskSummary {
  total: number;
  replied: number;
  overdue: number;
  away: number;
  replyBy: string;
  text: string;
}

export interface Responses {
  question: string;
  replyBy: string;
  summary: AskSummary;
  recipients: Response[];
}

export interface SharedAsk {
  question: string;
  replyBy: string;
  from: string;
  overdue: boolean;
  you: Response | null;
}

export interface Insights {
  views: number;
  uniqueViewers: number;
  completionRate: number;
  heat: number[];
  viewers: { name: string; email: string; firstViewAt: string; watchedPercent: number }[];
}

export interface Waiting {
  videoId: string;
  title: string;
  from: string;
  question: string;
  replyBy: string;
  link: string;
  state: AskState;
  overdue: boolean;
  posterUrl: string;
}

export interface Member {
  id: string;
  name: string;
  email: string;
}

const enc = encodeURIComponent;

/** getAsk resolves undefined when the video carries no ask (204). */
export function getAsk(videoId: string): Promise<Ask | undefined> {
  return request('GET', `/api/videos/${enc(videoId)}/ask`, undefined, { cache: 'no-store' });
}

export function putAsk(videoId: string, body: { question: string; replyBy: string; recipients: string[] }): Promise<Ask> {
  return request('PUT', `/api/videos/${enc(videoId)}/ask`, body);
}

export function deleteAsk(videoId: string): Promise<void> {
  return request('DELETE', `/api/videos/${enc(videoId)}/ask`);
}

export function getResponses(videoId: string): Promise<Responses | undefined> {
  return request('GET', `/api/videos/${enc(videoId)}/responses`, undefined, { cache: 'no-store' });
}

export function getInsights(videoId: string): Promise<Insights> {
  return request('GET', `/api/videos/${enc(videoId)}/insights`, undefined, { cache: 'no-store' });
}

export function getSharedAsk(slug: string): Promise<SharedAsk | undefined> {
  return request('GET', `/api/share/${enc(slug)}/ask`, undefined, { cache: 'no-store' });
}

export function acknowledge(slug: string): Promise<Response> {
  return request('POST', `/api/share/${enc(slug)}/ack`);
}

export function waitingOnMe(): Promise<{ asks: Waiting[] }> {
  return request('GET', '/api/asks/waiting', undefined, { cache: 'no-store' });
}

export async function listMembers(): Promise<Member[]> {
  const r = await request<{ members?: Member[] }>('GET', '/api/members');
  return r.members ?? [];
}
