// Transcript calls. Everyone who can watch reads it through the link
// (/api/share/{slug}/transcript, which also honours a link's password);
// the owner corrects lines and retries by the video's id.
import { request } from '../api';
import type { Segment, Transcript } from './model';

const enc = encodeURIComponent;

export function loadTranscript(slug: string): Promise<Transcript> {
  return request('GET', `/api/share/${enc(slug)}/transcript`, undefined, { cache: 'no-store' });
}

export function correctLine(videoId: string, segmentId: number, text: string): Promise<Segment> {
  return request('PATCH', `/api/videos/${enc(videoId)}/transcript/segments/${segmentId}`, { text });
}

export function retryTranscript(videoId: string): Promise<Transcript> {
  return request('POST', `/api/videos/${enc(videoId)}/transcript/retry`, {});
}
